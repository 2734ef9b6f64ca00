// The app's one structured JSON logger, from the service kit (level words, ISO time, `service`,
// secrets redacted, trace ids while a span is active). Every session logs through a child bound
// to its session id, so each line of a session carries it.

import { createLogger as createKitLogger, type LogLevel, type Logger } from '@org/service-kit';
import type { DestinationStream } from 'pino';

export type AppLogger = Logger;

/** The `service` field of every line. */
export const SERVICE_NAME = 'audiohook-server';

/**
 * Builds the app logger: buffered stdout (flushed at shutdown and on a crash by the kit's
 * shutdown handler), unless a destination is given.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'info' });
 * logger.child({ sessionId }).info('opened');
 * ```
 */
export function createLogger(options: {
  readonly level: LogLevel;
  readonly destination?: DestinationStream;
}): AppLogger {
  return createKitLogger({
    service: SERVICE_NAME,
    level: options.level,
    ...(options.destination === undefined
      ? { buffered: true }
      : { destination: options.destination }),
  });
}

// The app's one structured JSON logger (pino). Every session logs through a child bound to its
// session id, so each line of a session carries it.

import pino, { type DestinationStream, type Logger } from 'pino';

export type AppLogger = Logger;

export interface CreateLoggerOptions {
  readonly level: string;
  /** Where lines go. @default stdout */
  readonly destination?: DestinationStream;
}

/**
 * Builds the app logger. Secrets are redacted by path in case a header dump ever reaches a log.
 *
 * @example
 * ```ts
 * const logger = createLogger({ level: 'info' });
 * logger.child({ sessionId }).info('opened');
 * ```
 */
export function createLogger(options: CreateLoggerOptions): AppLogger {
  return pino(
    {
      level: options.level,
      base: { service: 'audiohook-server' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'headers["x-api-key"]',
          'headers.signature',
          'headers["signature-input"]',
          'headers.authorization',
          '*.headers["x-api-key"]',
          '*.headers.signature',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination({ sync: false }),
  );
}

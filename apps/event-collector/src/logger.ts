import { createLogger as createServiceLogger, type Logger } from '@org/service-kit';
import type { DestinationStream } from 'pino';
import type { CollectorConfig } from './config';

/**
 * Paths pino blanks in every log line besides the service kit's defaults (tokens, secrets,
 * authorization headers, passwords), as a second line of defence: the code already never logs
 * the channel's `connectUri` (the socket credential).
 */
export const REDACT_PATHS = ['connectUri', '*.connectUri'];

/**
 * The app's structured JSON logger: the service kit's (pino, level words, ISO time, `service`,
 * secrets redacted, trace ids). `destination` is for tests.
 *
 * @example
 * ```ts
 * const logger = createLogger(config.log);
 * logger.child({ sessionId: 'ch_1a2b3c4d5e6f#1' }).info('connected');
 * ```
 */
export function createLogger(log: CollectorConfig['log'], destination?: DestinationStream): Logger {
  return createServiceLogger({
    service: 'event-collector',
    level: log.level,
    redactPaths: REDACT_PATHS,
    ...(destination ? { destination } : {}),
  });
}

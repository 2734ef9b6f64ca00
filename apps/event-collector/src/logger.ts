import pino, { type DestinationStream, type Logger } from 'pino';
import type { CollectorConfig } from './config';

/**
 * Paths pino blanks in every log line, as a second line of defence: the code already never logs
 * tokens, the client secret, the Elasticsearch credentials or the channel's `connectUri`.
 */
export const REDACT_PATHS = [
  'clientSecret',
  '*.clientSecret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'access_token',
  '*.access_token',
  'token',
  '*.token',
  'connectUri',
  '*.connectUri',
  'password',
  '*.password',
];

/**
 * The app's structured JSON logger (pino), with secrets redacted. `destination` is for tests.
 *
 * @example
 * ```ts
 * const logger = createLogger(config.log);
 * logger.child({ session: 'ch_1a2b3c4d5e6f#1' }).info('connected');
 * ```
 */
export function createLogger(log: CollectorConfig['log'], destination?: DestinationStream): Logger {
  const options = {
    level: log.level,
    base: { service: 'event-collector' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}

// The AWS SDK's own log calls, routed into the app's structured logger. Without a `logger`
// option some SDK warnings go straight to the console (for instance "An error was encountered
// in a non-retryable streaming request." whenever a streaming call fails), a line that is not
// JSON and carries no service name.

import { describeError } from './errors';
import type { Logger } from './logger';

/** The logger shape AWS SDK v3 clients take (their `logger` option). */
export interface AwsSdkLogger {
  debug(...content: unknown[]): void;
  info(...content: unknown[]): void;
  warn(...content: unknown[]): void;
  error(...content: unknown[]): void;
}

function text(content: readonly unknown[]): string {
  return content.map((part) => (typeof part === 'string' ? part : describeError(part))).join(' ');
}

/**
 * An SDK client `logger` that keeps the SDK's warnings as `warn` lines (`sdk`: what it said),
 * drops its per-command `info` and `debug` output, and writes its errors at `debug` only: an
 * SDK error is also thrown to the caller, which logs it with its context.
 *
 * @example
 * ```ts
 * const client = new DynamoDBClient({ region, logger: awsSdkLogger(logger, 'DynamoDB') });
 * // {"level":"warn",...,"sdk":"…","msg":"DynamoDB client warning"}
 * ```
 */
export function awsSdkLogger(logger: Logger, client: string): AwsSdkLogger {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (...content) => logger.warn({ sdk: text(content) }, `${client} client warning`),
    error: (...content) => logger.debug({ sdk: text(content) }, `${client} client error`),
  };
}

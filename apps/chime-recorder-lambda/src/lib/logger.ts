/** Structured attributes of one log line. Never put phone numbers or SIP headers here. */
export type LogAttributes = Readonly<Record<string, unknown>>;

import type { LambdaLogger as Logger } from '@org/service-kit/lambda';

/**
 * The logger the recorder writes to. The Lambda entry adapts the service kit's logger to it
 * ({@link fromKitLogger}); tests pass {@link memoryLogger}.
 */
export interface RecorderLogger {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
  /** A logger that adds `keys` (e.g. the transaction id of the call) to every line. */
  child(keys: LogAttributes): RecorderLogger;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * Adapts the service kit's Lambda logger: attributes become top-level fields of the JSON line,
 * `child` is the logger's child.
 *
 * @example
 * ```ts
 * const log = fromKitLogger(createLambdaLogger({ service: 'chime-recorder', level: 'info' }));
 * log.child({ transactionId }).info('pipeline created', { pipelineId });
 * ```
 */
export function fromKitLogger(target: Logger): RecorderLogger {
  const write =
    (level: Level) =>
    (message: string, attributes: LogAttributes = {}) =>
      target[level]({ ...attributes }, message);
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (keys) => fromKitLogger(target.child({ ...keys })),
  };
}

/** One line captured by {@link memoryLogger}. */
export interface LogEntry {
  level: Level;
  message: string;
  attributes: Record<string, unknown>;
}

/**
 * A logger that keeps every line in `entries`; for tests and the local harness.
 *
 * @example
 * ```ts
 * const log = memoryLogger();
 * log.info('hello', { a: 1 });
 * log.entries; // [{ level: 'info', message: 'hello', attributes: { a: 1 } }]
 * ```
 */
export function memoryLogger(): RecorderLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const make = (keys: LogAttributes): RecorderLogger => {
    const write =
      (level: Level) =>
      (message: string, attributes: LogAttributes = {}) => {
        entries.push({ level, message, attributes: { ...keys, ...attributes } });
      };
    return {
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      child: (more) => make({ ...keys, ...more }),
    };
  };
  return Object.assign(make({}), { entries });
}

const PII_KEYS = new Set([
  'fromNumber',
  'toNumber',
  'inviteHeaders',
  'updateHeaders',
  'siprecMetadata',
  'sdp',
]);

/**
 * A copy of a raw event with phone numbers, SIP headers, SDP and SIPREC metadata replaced by
 * `"[redacted]"`, for DEBUG dumps.
 *
 * @example
 * ```ts
 * redactEvent({ detail: { fromNumber: '+1815…', callId: 'x' } });
 * // { detail: { fromNumber: '[redacted]', callId: 'x' } }
 * ```
 */
export function redactEvent(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactEvent(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = PII_KEYS.has(k) ? '[redacted]' : redactEvent(v, depth + 1);
  }
  return out;
}

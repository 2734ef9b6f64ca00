// The Lambda logger: the same JSON lines as `createLogger` (level words, ISO time, `service`,
// redaction of the same keys, `msg`), written synchronously, without pino or OpenTelemetry. A
// Lambda's cold start pays for every module it loads; pino and @opentelemetry/api cost ~25 ms of
// CPU and ~70 KB of bundle there, and a Lambda neither buffers its logs nor traces in process.

import { compileRedaction, redactText } from './redaction';

/** Log level words, lowest to highest, as pino names them (`silent` writes nothing). */
export type LambdaLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const LEVEL_VALUES: Readonly<Record<LambdaLogLevel, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Infinity,
};

/** One log method: `(fields, msg)`, `(msg)` or `(error, msg)` as with pino. */
export interface LambdaLogFn {
  (fields: object, msg?: string): void;
  (msg: string): void;
}

/** What the Lambdas log through: pino's call shapes for the levels, `child` and `level`. */
export interface LambdaLogger {
  /** The lowest level written; set it to change it (children keep the level they were made with). */
  level: LambdaLogLevel;
  readonly trace: LambdaLogFn;
  readonly debug: LambdaLogFn;
  readonly info: LambdaLogFn;
  readonly warn: LambdaLogFn;
  readonly error: LambdaLogFn;
  readonly fatal: LambdaLogFn;
  /** A logger whose every line carries `bindings`. */
  child(bindings: Readonly<Record<string, unknown>>): LambdaLogger;
  isLevelEnabled(level: LambdaLogLevel): boolean;
}

/** Options of {@link createLambdaLogger}. */
export interface LambdaLoggerOptions {
  /** The `service` field of every line. */
  readonly service: string;
  /** Lowest level written. @default 'info' */
  readonly level?: LambdaLogLevel;
  /** Where lines go (tests pass `captureLogs().destination`). @default process.stdout */
  readonly destination?: { write(line: string): unknown };
  /**
   * pino-style paths redacted in addition to every secret-named key and the credentials in texts
   * (the rule of `createLogger`), e.g. `*.connectUri`.
   */
  readonly redactPaths?: readonly string[];
  /** More fields on every line (besides `service`). */
  readonly base?: Readonly<Record<string, unknown>>;
}

function errorFields(error: Error): Record<string, unknown> {
  return {
    type: error.constructor?.name ?? 'Error',
    message: error.message,
    stack: error.stack,
    ...(error as unknown as Record<string, unknown>),
  };
}

/** JSON of a log line: errors as `{type, message, stack, ...}`, bigints as text, cycles cut. */
function stringify(line: Record<string, unknown>): string {
  const ancestors: unknown[] = [];
  return JSON.stringify(line, function (this: unknown, _key: string, raw: unknown) {
    let value = raw;
    if (typeof value === 'bigint') return value.toString();
    if (value instanceof Error) value = errorFields(value);
    if (value === null || typeof value !== 'object') return value;
    while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
    if (ancestors.includes(value)) return '[Circular]';
    ancestors.push(value);
    return value;
  });
}

interface Shared {
  readonly write: (line: string) => void;
  readonly redact: <T>(value: T) => T;
}

function checkLevel(level: string): LambdaLogLevel {
  if (!Object.prototype.hasOwnProperty.call(LEVEL_VALUES, level)) {
    throw new Error(`unknown log level ${JSON.stringify(level)}`);
  }
  return level as LambdaLogLevel;
}

function makeLogger(
  shared: Shared,
  head: Readonly<Record<string, unknown>>,
  initial: LambdaLogLevel,
): LambdaLogger {
  let level = initial;
  let threshold = LEVEL_VALUES[level];
  const method =
    (name: Exclude<LambdaLogLevel, 'silent'>): LambdaLogFn =>
    (first: object | string, msg?: string): void => {
      if (LEVEL_VALUES[name] < threshold) return;
      let fields: object = {};
      let text = msg;
      if (typeof first === 'string') text = first;
      else if (first instanceof Error) {
        fields = shared.redact({ err: first });
        text ??= first.message;
      } else if (first !== null && typeof first === 'object') fields = shared.redact(first);
      const line: Record<string, unknown> = {
        level: name,
        time: new Date().toISOString(),
        ...head,
        ...fields,
      };
      if (text !== undefined) line['msg'] = redactText(text);
      let json: string;
      try {
        json = stringify(line);
      } catch (error) {
        // Never let a line crash the caller: write what cannot fail, and why.
        const reason = error instanceof Error ? error.message : String(error);
        json = JSON.stringify({
          level: name,
          time: line['time'],
          service: String(head['service']),
          msg: line['msg'],
          logFailed: redactText(reason),
        });
      }
      shared.write(`${json}\n`);
    };
  return {
    get level() {
      return level;
    },
    set level(next: LambdaLogLevel) {
      level = checkLevel(next);
      threshold = LEVEL_VALUES[level];
    },
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    fatal: method('fatal'),
    child: (bindings) => makeLogger(shared, { ...head, ...shared.redact({ ...bindings }) }, level),
    isLevelEnabled: (name) => LEVEL_VALUES[name] >= threshold && name !== 'silent',
  };
}

/**
 * Creates a Lambda's logger: one JSON line per call, synchronously on stdout, in the shape of the
 * kit's {@link createLogger} (`level` word, ISO `time`, `service`, bindings, fields, `msg`), with
 * the same redaction (secret-named keys at any depth, credentials in texts and the message, and
 * `redactPaths`). An `Error` logged (as the first argument or in a field) becomes
 * `{type, message, stack}`. No trace ids: Lambdas do not trace in process.
 *
 * @example
 * ```ts
 * const logger = createLambdaLogger({ service: 'connect-lambda', level: 'info' });
 * logger.child({ requestId }).info({ action }, 'invoked');
 * // {"level":"info","time":"2025-01-01T00:00:00.000Z","service":"connect-lambda","requestId":"…","action":"…","msg":"invoked"}
 * ```
 */
export function createLambdaLogger(options: LambdaLoggerOptions): LambdaLogger {
  const destination = options.destination;
  const shared: Shared = {
    write:
      destination === undefined
        ? (line) => void process.stdout.write(line)
        : (line) => void destination.write(line),
    redact: compileRedaction(options.redactPaths ?? []),
  };
  const head = shared.redact({ service: options.service, ...options.base });
  return makeLogger(shared, head, checkLevel(options.level ?? 'info'));
}

// The one logger factory of every app: pino with level words, ISO time, the service name, secret
// redaction and the ids of the active OpenTelemetry span. Optionally buffered (an asynchronous
// destination), flushed by the shutdown handler on a graceful stop and on a crash.

import { context, isSpanContextValid, trace, type Span } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './env-fields';
import { compileRedaction, redactText } from './redaction';
import { checkTimerMs, MAX_TIMER_MS } from './timer-range';

export type { Logger } from 'pino';

export {
  DEFAULT_REDACT_KEYS,
  isSecretKey,
  REDACTED,
  redactPathsFor,
  redactText,
} from './redaction';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** The `service` field of every line, e.g. `audiohook-server`. */
  readonly service: string;
  /** Lowest level written. @default 'info' */
  readonly level?: LogLevel;
  /** Where lines go (tests pass `captureLogs().destination`). @default stdout */
  readonly destination?: DestinationStream;
  /**
   * pino paths redacted (whatever the value's type) in addition to every secret-named key
   * ({@link isSecretKey}) and the credentials in texts ({@link redactText}), e.g. `connectUri`.
   */
  readonly redactPaths?: readonly string[];
  /**
   * Write stdout through an asynchronous buffer (pino's SonicBoom with a 4 KiB minimum write):
   * far fewer write calls on the main thread. Lines are flushed every `flushIntervalMs`, by
   * {@link flushLogger}, and by the shutdown handler on a stop or a crash. Ignored when
   * `destination` is given.
   * @default false
   */
  readonly buffered?: boolean;
  /** How often a buffered logger writes out what it holds (1..2147483647 ms). @default 1000 */
  readonly flushIntervalMs?: number;
  /** More fields on every line (besides `service`). */
  readonly base?: Readonly<Record<string, unknown>>;
}

/** Set on child loggers that carry a span's ids as bindings, so the mixin does not repeat them. */
const SPAN_BOUND = Symbol.for('@org/service-kit.spanBound');

/** The active span's ids as log fields, or nothing when no valid span is active. */
function traceFields(
  _merge: object,
  _level: number,
  logger: Logger,
): { trace_id?: string; span_id?: string } {
  if ((logger as unknown as Record<symbol, unknown>)[SPAN_BOUND] === true) return {};
  const span = trace.getSpan(context.active());
  if (span === undefined) return {};
  const ids = span.spanContext();
  if (!isSpanContextValid(ids)) return {};
  return { trace_id: ids.traceId, span_id: ids.spanId };
}

const BUFFER_MIN_BYTES = 4096;

/** The message (pino serializes it under `messageKey`): credentials in it are taken out. */
function redactMessage(message: unknown): unknown {
  return typeof message === 'string' ? redactText(message) : message;
}

/**
 * Creates an app's logger.
 *
 * Every line: `level` as a word, `time` in ISO 8601, `service`, the message as `msg`, and
 * `trace_id`/`span_id` while an OpenTelemetry span is active. Values under secret-named keys
 * ({@link isSecretKey}, any case, any depth, errors and their `cause` included) become
 * `[redacted]`, and credentials in URLs, query strings and bearer tokens are taken out of every
 * text, the message included ({@link redactText}).
 *
 * @example
 * ```ts
 * const logger = createLogger({ service: 'audiohook-server', level: config.logLevel, buffered: true });
 * logger.info({ port }, 'listening');
 * // {"level":"info","time":"2025-01-01T00:00:00.000Z","service":"audiohook-server","port":3000,"msg":"listening"}
 * ```
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  let destination = options.destination;
  const flushIntervalMs = checkTimerMs(
    'createLogger flushIntervalMs',
    options.flushIntervalMs ?? 1000,
    1,
  );
  if (destination === undefined) {
    if (options.buffered === true) {
      const boom = pino.destination({ dest: 1, sync: false, minLength: BUFFER_MIN_BYTES });
      const timer = setInterval(() => {
        try {
          boom.flush();
        } catch {
          clearInterval(timer); // destroyed: nothing left to write
        }
      }, flushIntervalMs);
      timer.unref();
      boom.on('close', () => clearInterval(timer));
      destination = boom;
    } else {
      destination = pino.destination({ dest: 1, sync: true });
    }
  }
  // Redaction through the formatters rather than pino's `redact` option: one walk by the key
  // rule, with the app's paths compiled once into a tree (pino 10's redaction walks every path on
  // every line, which cost a session of the AudioHook server more than its protocol work). Every
  // line's fields and every child's bindings pass through here; the message through the `msg`
  // serializer.
  const redact = compileRedaction(options.redactPaths ?? []);
  const logger = pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redact(bindings),
        log: (fields) => redact(fields),
      },
      messageKey: 'msg',
      serializers: { msg: redactMessage },
      mixin: traceFields,
    },
    destination,
  );
  // pino passes only the root's bindings through `formatters.bindings`, not a child's: children
  // (created from the root or from each other, all inheriting this method) redact theirs here.
  const pinoChild = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, childOptions) {
    return pinoChild.call(this, redact(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

/**
 * The ids of `span` as log fields (`trace_id`, `span_id`), or `{}` for an invalid span.
 *
 * @example
 * ```ts
 * logger.child(spanFields(span)).info('bound to the span outside its active context');
 * ```
 */
export function spanFields(span: Span): { trace_id?: string; span_id?: string } {
  const ids = span.spanContext();
  if (!isSpanContextValid(ids)) return {};
  return { trace_id: ids.traceId, span_id: ids.spanId };
}

/** Options of {@link sessionLogger}. */
export interface SessionLoggerOptions {
  /**
   * The session's span: its ids go on every line, even from callbacks that run outside the span's
   * active context (socket events).
   */
  readonly span?: Span;
}

/**
 * A child logger whose every line carries `sessionId` (and `bindings`).
 *
 * @example
 * ```ts
 * const log = sessionLogger(logger, session.id, { endpoint: 'audiohook' }, { span });
 * log.info('opened'); // {..., "sessionId": "…", "endpoint": "audiohook", "trace_id": "…", ...}
 * ```
 */
export function sessionLogger(
  logger: Logger,
  sessionId: string,
  bindings: Readonly<Record<string, unknown>> = {},
  options: SessionLoggerOptions = {},
): Logger {
  const fields = options.span === undefined ? {} : spanFields(options.span);
  const child = logger.child({ sessionId, ...bindings, ...fields });
  if (fields.trace_id !== undefined) {
    (child as unknown as Record<symbol, unknown>)[SPAN_BOUND] = true;
  }
  return child;
}

/**
 * Writes out whatever a (buffered) logger holds; resolves once it is written or after
 * `timeoutMs`, whichever comes first. Safe on any logger and destination; never throws (it runs
 * on the way out): a `timeoutMs` beyond Node's timer range waits {@link MAX_TIMER_MS}, one that is
 * not a positive number does not wait.
 *
 * @example
 * ```ts
 * await flushLogger(logger);
 * process.exit(0);
 * ```
 */
export function flushLogger(logger: Logger, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const waitMs = timeoutMs > 0 ? Math.min(timeoutMs, MAX_TIMER_MS) : 0; // NaN: 0
    const timer = setTimeout(resolve, waitMs);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      logger.flush(done);
    } catch {
      done();
    }
  });
}

/**
 * A function that writes one raw line (a newline is added) through `logger`'s destination, in
 * order with its log lines and flushed with them. For output that must not be a log line, such as
 * EMF documents.
 *
 * @example
 * ```ts
 * startEmfPublisher({ ..., write: rawLineWriter(logger) });
 * ```
 */
export function rawLineWriter(logger: Logger): (line: string) => void {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as
    DestinationStream | undefined;
  return (line) => {
    stream?.write(`${line}\n`);
  };
}

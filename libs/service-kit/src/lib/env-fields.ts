// Field helpers for environment variables: zod schemas from `string | undefined` (already trimmed,
// empty = unset, see parseEnv) to typed values. Reasons never contain the value: parseEnv adds it
// to the message for variables that are not secret.

import { z } from 'zod';
import { checkTimerMs, MAX_TIMER_MS } from './timer-range';

export { MAX_TIMER_MS } from './timer-range';

/** A schema for one environment variable: its raw text (or `undefined`) in, a typed value out. */
export type EnvField<T> = z.ZodType<T, string | undefined>;

/** The words pino (and the kit's logger) accept as log levels. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Whether a variable must be set, may be unset, or has a default. */
export interface Presence<T> {
  /** Used when the variable is unset or empty. */
  readonly default?: T;
  /** Unset yields `undefined` instead of an error. @default false */
  readonly optional?: boolean;
}

/** `T`, or `T | undefined` when the options say `optional: true`. */
export type FieldValue<T, O> = O extends { readonly optional: true } ? T | undefined : T;

const secretFields = new WeakSet<object>();

/**
 * Marks a field as secret: a bad value is reported by name and reason only, never echoed.
 *
 * @example
 * ```ts
 * parseEnv({ CLIENT_SECRET: secret(envString()) }, env);
 * ```
 */
export function secret<F extends EnvField<unknown>>(field: F): F {
  secretFields.add(field);
  return field;
}

/** Whether {@link secret} (or `envString({ secret: true })`) marked `field`. */
export function isSecretField(field: unknown): boolean {
  return typeof field === 'object' && field !== null && secretFields.has(field);
}

class Invalid {
  constructor(readonly reason: string) {}
}

/** Builds a field from a converter of the raw text; `Invalid` carries the reason. */
function field<T>(
  convert: (raw: string) => T | Invalid,
  presence: Presence<T>,
): EnvField<T | undefined> {
  return z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) {
        if (presence.default !== undefined) return presence.default;
        if (presence.optional === true) return undefined;
        ctx.addIssue({ code: 'custom', message: 'is required' });
        return z.NEVER;
      }
      const value = convert(raw);
      if (value instanceof Invalid) {
        ctx.addIssue({ code: 'custom', message: value.reason });
        return z.NEVER;
      }
      return value;
    });
}

function bounded(
  value: number,
  min: number | undefined,
  max: number | undefined,
): Invalid | number {
  if (min !== undefined && value < min) return new Invalid(`must be at least ${min}`);
  if (max !== undefined && value > max) return new Invalid(`must be at most ${max}`);
  return value;
}

/** Options of {@link envString}. */
export interface StringOptions extends Presence<string> {
  /** Never echo the value in errors (API keys, client secrets, tokens). @default false */
  readonly secret?: boolean;
  /** The value must match. */
  readonly pattern?: RegExp;
  /** The reason given when `pattern` does not match. @default 'has an invalid format' */
  readonly patternReason?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
}

/**
 * A string: required unless `default` or `optional` is given.
 *
 * @example
 * ```ts
 * envString({ default: '127.0.0.1' }); // HOST
 * envString({ secret: true });          // GENESYS_CLIENT_SECRET, required
 * envString({ optional: true });        // RECORDING_S3_BUCKET
 * ```
 */
export function envString<const O extends StringOptions = Record<never, never>>(
  options?: O,
): EnvField<FieldValue<string, O>> {
  const o: StringOptions = options ?? {};
  const result = field((raw) => {
    if (o.minLength !== undefined && raw.length < o.minLength)
      return new Invalid(`must be at least ${o.minLength} characters`);
    if (o.maxLength !== undefined && raw.length > o.maxLength)
      return new Invalid(`must be at most ${o.maxLength} characters`);
    if (o.pattern !== undefined && !o.pattern.test(raw))
      return new Invalid(o.patternReason ?? 'has an invalid format');
    return raw;
  }, o) as EnvField<FieldValue<string, O>>;
  return o.secret === true ? secret(result) : result;
}

/** Options of {@link envInt} and {@link envNumber}. */
export interface NumberOptions extends Presence<number> {
  readonly min?: number;
  readonly max?: number;
  /**
   * The value is a delay in this unit that goes to a Node.js timer: a value longer than
   * {@link MAX_TIMER_MS} (2147483647 ms, about 24.8 days) is rejected, as Node would run such a
   * timer after 1 ms. (Or use {@link envDuration}, which always checks.)
   */
  readonly timer?: 'ms' | 's';
}

/** Rejects a delay that Node's timers cannot keep (see {@link NumberOptions.timer}). */
function timerBounded(value: number | Invalid, timer: 'ms' | 's' | undefined): number | Invalid {
  if (timer === undefined || value instanceof Invalid) return value;
  const limit = timer === 's' ? MAX_TIMER_MS / 1000 : MAX_TIMER_MS;
  if (value > limit) {
    return new Invalid(`must be at most ${limit} ${timer} (the longest Node.js timer)`);
  }
  return value;
}

/**
 * A whole number (decimal digits, optional sign) within `min`..`max`.
 *
 * @example
 * ```ts
 * envInt({ default: 3000, min: 0, max: 65535 }); // PORT
 * ```
 */
export function envInt<const O extends NumberOptions = Record<never, never>>(
  options?: O,
): EnvField<FieldValue<number, O>> {
  const o: NumberOptions = options ?? {};
  return field((raw) => {
    if (!/^[-+]?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw)))
      return new Invalid('must be a whole number');
    return timerBounded(bounded(Number(raw), o.min, o.max), o.timer);
  }, o) as EnvField<FieldValue<number, O>>;
}

/**
 * A finite decimal number within `min`..`max`.
 *
 * @example
 * ```ts
 * envNumber({ default: 1, min: 0, max: 1 }); // OTEL_TRACES_SAMPLER_ARG
 * ```
 */
export function envNumber<const O extends NumberOptions = Record<never, never>>(
  options?: O,
): EnvField<FieldValue<number, O>> {
  const o: NumberOptions = options ?? {};
  return field((raw) => {
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw) || !Number.isFinite(Number(raw)))
      return new Invalid('must be a number');
    return timerBounded(bounded(Number(raw), o.min, o.max), o.timer);
  }, o) as EnvField<FieldValue<number, O>>;
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);
const LOOSE_TRUE_WORDS = new Set([...TRUE_WORDS, 'y', 'on']);
const LOOSE_FALSE_WORDS = new Set([...FALSE_WORDS, 'n', 'off']);

/** Options of {@link envBool}. */
export interface BoolOptions extends Presence<boolean> {
  /**
   * Also accept `y`/`n` and `on`/`off`, as python-dotenv style `.env` files of older
   * deployments write them. @default false
   */
  readonly loose?: boolean;
}

/**
 * A boolean: `true/false/1/0/yes/no`, any case (with `loose`, also `y/n/on/off`).
 *
 * @example
 * ```ts
 * envBool({ default: true }); // RECORDING_ENABLED
 * envBool({ default: true, loose: true }); // CONSOLE_OUTPUT=on still works
 * ```
 */
export function envBool<const O extends BoolOptions = Record<never, never>>(
  options?: O,
): EnvField<FieldValue<boolean, O>> {
  const loose = options?.loose === true;
  const yes = loose ? LOOSE_TRUE_WORDS : TRUE_WORDS;
  const no = loose ? LOOSE_FALSE_WORDS : FALSE_WORDS;
  const reason = loose
    ? 'must be true, false, 1, 0, yes, no, y, n, on or off'
    : 'must be true, false, 1, 0, yes or no';
  return field((raw) => {
    const word = raw.toLowerCase();
    if (yes.has(word)) return true;
    if (no.has(word)) return false;
    return new Invalid(reason);
  }, options ?? {}) as EnvField<FieldValue<boolean, O>>;
}

/**
 * One of a fixed set of words (exact case).
 *
 * @example
 * ```ts
 * envEnum(['close', 'append'], { default: 'close' }); // RECORDING_HEADER_UPDATE
 * ```
 */
export function envEnum<
  const V extends readonly [string, ...string[]],
  const O extends Presence<V[number]> = Record<never, never>,
>(values: V, options?: O): EnvField<FieldValue<V[number], O>> {
  const allowed: readonly string[] = values;
  return field((raw) => {
    if (allowed.includes(raw)) return raw as V[number];
    return new Invalid(`must be one of ${values.join(', ')}`);
  }, options ?? {}) as EnvField<FieldValue<V[number], O>>;
}

/** Options of {@link envList}. */
export interface ListOptions<T extends string = string> extends Presence<readonly T[]> {
  /** Fewer items (after dropping empty ones) is an error. @default 0 */
  readonly minItems?: number;
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * A comma-separated list; items are trimmed and empty items dropped.
 *
 * @example
 * ```ts
 * envList({ default: ['en-US'] }); // VOICETRANSCRIPTION_LANGUAGES
 * ```
 */
export function envList<const O extends ListOptions = Record<never, never>>(
  options?: O,
): EnvField<FieldValue<readonly string[], O>> {
  const o: ListOptions = options ?? {};
  return field((raw) => {
    const items = splitList(raw);
    if (items.length < (o.minItems ?? 0))
      return new Invalid(`must list at least ${o.minItems ?? 0} item(s)`);
    return items;
  }, o) as EnvField<FieldValue<readonly string[], O>>;
}

/**
 * A comma-separated list of words from a fixed set, in the order given.
 *
 * @example
 * ```ts
 * envEnumList(['id-prefix', 'entity-type', 'name', 'topic'], { default: ['id-prefix'], minItems: 1 });
 * ```
 */
export function envEnumList<
  const V extends readonly [string, ...string[]],
  const O extends ListOptions<V[number]> = Record<never, never>,
>(values: V, options?: O): EnvField<FieldValue<readonly V[number][], O>> {
  const o: ListOptions<V[number]> = options ?? {};
  const allowed: readonly string[] = values;
  return field((raw) => {
    const items = splitList(raw);
    const unknown = items.filter((item) => !allowed.includes(item));
    if (unknown.length > 0)
      return new Invalid(`may only list ${values.join(', ')} (${unknown.length} unknown item(s))`);
    if (items.length < (o.minItems ?? 0))
      return new Invalid(`must list at least ${o.minItems ?? 0} item(s)`);
    return items as V[number][];
  }, o) as EnvField<FieldValue<readonly V[number][], O>>;
}

/** Options of {@link envUrl}. */
export interface UrlOptions extends Presence<string> {
  /** Accepted schemes, with the colon. @default ['http:', 'https:'] */
  readonly protocols?: readonly string[];
}

/**
 * An absolute URL with one of `protocols`; returned as written.
 *
 * @example
 * ```ts
 * envUrl({ optional: true }); // OTEL_EXPORTER_OTLP_ENDPOINT
 * envUrl({ protocols: ['wss:', 'ws:'] });
 * ```
 */
export function envUrl<const O extends UrlOptions = Record<never, never>>(
  options?: O,
): EnvField<FieldValue<string, O>> {
  const o: UrlOptions = options ?? {};
  const protocols = o.protocols ?? ['http:', 'https:'];
  return field((raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return new Invalid('must be an absolute URL');
    }
    if (!protocols.includes(url.protocol))
      return new Invalid(`must be a ${protocols.map((p) => p.replace(/:$/, '')).join(' or ')} URL`);
    return raw;
  }, o) as EnvField<FieldValue<string, O>>;
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds in a duration text, unbounded (`Infinity` for 400 digits); `undefined` if not one. */
function durationOf(text: string, unit: 'ms' | 's'): number | undefined {
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * (DURATION_UNITS_MS[unit] ?? 1));
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const part of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(part[1]) * (DURATION_UNITS_MS[part[2] ?? 'ms'] ?? 1);
  }
  return Math.round(total);
}

const TOO_LONG = `must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest Node.js timer)`;

/**
 * Milliseconds in a duration text: a bare number in `unit`, or one or more `<number><ms|s|m|h>`
 * parts (`500ms`, `30s`, `1m30s`, `1.5h`). `undefined` when the text is not a duration, or when it
 * is longer than {@link MAX_TIMER_MS} (2147483647 ms, about 24.8 days: Node runs a longer timer
 * after 1 ms), so the result can always go to `setTimeout`.
 *
 * @example
 * ```ts
 * parseDurationMs('90', 's'); // 90000
 * parseDurationMs('1m30s', 's'); // 90000
 * parseDurationMs('30d', 's'); // undefined (not a duration)
 * parseDurationMs('2592000', 's'); // undefined (30 days: longer than a timer keeps)
 * ```
 */
export function parseDurationMs(text: string, unit: 'ms' | 's'): number | undefined {
  const ms = durationOf(text, unit);
  return ms !== undefined && ms <= MAX_TIMER_MS ? ms : undefined;
}

/**
 * Options of {@link envDuration}. Every number is in milliseconds; a value is never longer than
 * {@link MAX_TIMER_MS}, whatever `maxMs` says.
 */
export interface DurationOptions {
  /** The unit of a bare number: `DRAIN_TIMEOUT_MS=30000` is `ms`, `EMF_INTERVAL_SECONDS=60` is `s`. */
  readonly unit: 'ms' | 's';
  /** Default in milliseconds, used when unset (0..{@link MAX_TIMER_MS}). */
  readonly defaultMs?: number;
  /** Unset yields `undefined`. @default false */
  readonly optional?: boolean;
  readonly minMs?: number;
  readonly maxMs?: number;
}

/**
 * A duration, returned in milliseconds: a bare number in `unit`, or `500ms`, `30s`, `5m`, `1m30s`.
 * A value longer than {@link MAX_TIMER_MS} (about 24.8 days) is a configuration error naming the
 * variable: every result can go to `setTimeout`/`setInterval`.
 *
 * @throws {@link ServiceKitError} `SVC_ERR_DURATION` when `defaultMs`, `minMs` or `maxMs` is not a
 *   number of milliseconds in 0..{@link MAX_TIMER_MS} (`maxMs` may be larger; it is then capped).
 *
 * @example
 * ```ts
 * envDuration({ unit: 's', defaultMs: 60_000, minMs: 1000 }); // EMF_INTERVAL_SECONDS
 * ```
 */
export function envDuration<const O extends DurationOptions>(
  options: O,
): EnvField<FieldValue<number, O>> {
  if (options.defaultMs !== undefined) checkTimerMs('envDuration defaultMs', options.defaultMs);
  if (options.minMs !== undefined) checkTimerMs('envDuration minMs', options.minMs);
  if (options.maxMs !== undefined) {
    checkTimerMs('envDuration maxMs', Math.min(options.maxMs, MAX_TIMER_MS)); // larger: capped
  }
  const presence: Presence<number> = {
    ...(options.defaultMs === undefined ? {} : { default: options.defaultMs }),
    ...(options.optional === undefined ? {} : { optional: options.optional }),
  };
  return field((raw) => {
    const ms = durationOf(raw, options.unit);
    if (ms === undefined)
      return new Invalid(
        `must be a duration: a number of ${options.unit === 'ms' ? 'milliseconds' : 'seconds'}, or e.g. 500ms, 30s, 5m, 1m30s`,
      );
    if (!(ms <= MAX_TIMER_MS)) return new Invalid(TOO_LONG);
    if (options.minMs !== undefined && ms < options.minMs)
      return new Invalid(`must be at least ${options.minMs} ms`);
    if (options.maxMs !== undefined && ms > options.maxMs)
      return new Invalid(`must be at most ${options.maxMs} ms`);
    return ms;
  }, presence) as EnvField<FieldValue<number, O>>;
}

/**
 * A log level word (`fatal, error, warn, info, debug, trace, silent`, any case; `warning` is read
 * as `warn`, as Python and Powertools write it); never a number.
 *
 * @example
 * ```ts
 * envLogLevel(); // LOG_LEVEL, default info
 * ```
 */
export function envLogLevel(options: { readonly default?: LogLevel } = {}): EnvField<LogLevel> {
  return field(
    (raw) => {
      const word = raw.toLowerCase();
      if (word === 'warning') return 'warn';
      if ((LOG_LEVELS as readonly string[]).includes(word)) return word as LogLevel;
      return new Invalid(`must be one of ${LOG_LEVELS.join(', ')}`);
    },
    { default: options.default ?? 'info' },
  ) as EnvField<LogLevel>;
}

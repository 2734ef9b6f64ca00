// The minimal structured logger the library and connectors write to. pino fits as is.

/** One logging method: structured fields first, then the message (pino's argument order). */
export type ByovaLogMethod = (fields: Record<string, unknown>, message: string) => void;

/**
 * A structured logger. A pino logger satisfies it; the library never logs secrets or audio.
 *
 * @example
 * ```ts
 * const logger: ByovaLogger = pino().child({ conversation_id: id });
 * ```
 */
export interface ByovaLogger {
  debug: ByovaLogMethod;
  info: ByovaLogMethod;
  warn: ByovaLogMethod;
  error: ByovaLogMethod;
  /** A logger whose lines all carry `bindings`. */
  child(bindings: Record<string, unknown>): ByovaLogger;
}

const noop: ByovaLogMethod = () => undefined;

/**
 * A logger that drops everything (the default).
 *
 * @example
 * ```ts
 * new CallerTurnSession({ ...options, logger: silentLogger });
 * ```
 */
export const silentLogger: ByovaLogger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

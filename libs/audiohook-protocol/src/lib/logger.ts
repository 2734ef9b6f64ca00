// The minimal logger the library logs through. pino, console-like wrappers and test spies fit.

/**
 * One logging method: structured fields first, then the message (pino's argument order).
 *
 * @example
 * ```ts
 * const info: LogMethod = (fields, message) => logger.info(JSON.stringify({ ...fields, message }));
 * ```
 */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void;

/**
 * The logger sessions write to. A pino logger satisfies it as is. The library never logs
 * secrets (API keys, client secrets, signatures).
 *
 * @example
 * ```ts
 * new ServerSession({ transport, logger: pino().child({ component: 'audiohook' }) });
 * ```
 */
export interface AudioHookLogger {
  debug: LogMethod;
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

const noop: LogMethod = () => undefined;

/**
 * A logger that drops everything (the default).
 *
 * @example
 * ```ts
 * new ServerSession({ transport, logger: silentLogger });
 * ```
 */
export const silentLogger: AudioHookLogger = { debug: noop, info: noop, warn: noop, error: noop };

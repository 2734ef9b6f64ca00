/**
 * The logger this library writes to: message first, attributes second. Any logger fits through a
 * four-line adapter (the Connect Lambda adapts the service kit's pino logger, whose calls take the
 * attributes first).
 *
 * The library never logs a secret: client secrets, API keys, tokens and `Authorization` headers are
 * never part of a message or of the attributes it passes.
 *
 * @example
 * ```ts
 * const logger: CrestaLogger = {
 *   debug: (message, attributes) => myLogger.debug(message, attributes),
 *   info: (message, attributes) => myLogger.info(message, attributes),
 *   warn: (message, attributes) => myLogger.warn(message, attributes),
 *   error: (message, attributes) => myLogger.error(message, attributes),
 * };
 * ```
 */
export interface CrestaLogger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

const noop = (): void => undefined;

/** A logger that drops everything; the default when none is injected. */
export const silentLogger: CrestaLogger = { debug: noop, info: noop, warn: noop, error: noop };

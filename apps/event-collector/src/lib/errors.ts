/**
 * Stable, machine-readable error codes of the event collector. Codes are never reused once
 * retired; the README lists each one (a test checks the two agree).
 */
export const COLLECTOR_ERROR_CODES = [
  'COLLECTOR_ERR_CONFIG',
  'COLLECTOR_ERR_TOPICS_FILE',
  'COLLECTOR_ERR_AUTH',
  'COLLECTOR_ERR_API',
  'COLLECTOR_ERR_RATE_LIMITED',
  'COLLECTOR_ERR_CHANNEL_GONE',
  'COLLECTOR_ERR_SOCKET',
  'COLLECTOR_ERR_OUTPUT',
  'COLLECTOR_ERR_CHECKPOINT',
  'COLLECTOR_ERR_LEASE',
  'COLLECTOR_ERR_FENCED',
  'COLLECTOR_ERR_STOPPED',
] as const;

/** One of {@link COLLECTOR_ERROR_CODES}. */
export type CollectorErrorCode = (typeof COLLECTOR_ERROR_CODES)[number];

/**
 * The one error base class of the collector. Every error it raises carries a stable `code`.
 *
 * @example
 * ```ts
 * try { loadConfig(process.env) } catch (e) {
 *   if (e instanceof CollectorError && e.code === 'COLLECTOR_ERR_CONFIG') process.exit(2);
 * }
 * ```
 */
export class CollectorError extends Error {
  readonly code: CollectorErrorCode;

  constructor(code: CollectorErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CollectorError';
    this.code = code;
  }
}

/** A Genesys Cloud REST call failed with an HTTP status. */
export class GenesysApiError extends CollectorError {
  readonly status: number;
  readonly correlationId: string | undefined;

  constructor(
    code: CollectorErrorCode,
    message: string,
    status: number,
    correlationId: string | undefined,
  ) {
    super(code, message);
    this.name = 'GenesysApiError';
    this.status = status;
    this.correlationId = correlationId;
  }
}

/** Turns anything thrown into a short message that is safe to log. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

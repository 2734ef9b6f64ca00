import { ServiceError, type ServiceErrorOptions } from '@org/service-kit';

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
  'COLLECTOR_ERR_ELASTIC_AUTH',
  'COLLECTOR_ERR_CHECKPOINT',
  'COLLECTOR_ERR_LEASE',
  'COLLECTOR_ERR_FENCED',
  'COLLECTOR_ERR_STOPPED',
] as const;

/** One of {@link COLLECTOR_ERROR_CODES}. */
export type CollectorErrorCode = (typeof COLLECTOR_ERROR_CODES)[number];

/**
 * The one error base class of the collector, on the service kit's coded `ServiceError`: every
 * error it raises carries a stable `code`.
 *
 * @example
 * ```ts
 * try { loadConfig(process.env) } catch (e) {
 *   if (e instanceof CollectorError && e.code === 'COLLECTOR_ERR_CONFIG') process.exit(2);
 * }
 * ```
 */
export class CollectorError extends ServiceError<CollectorErrorCode> {
  constructor(code: CollectorErrorCode, message: string, options?: ServiceErrorOptions) {
    super(code, message, options);
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
    super(code, message, { details: { status, correlationId } });
    this.status = status;
    this.correlationId = correlationId;
  }
}

/** What a change to the shared folder throws when this instance no longer holds the lease. */
export function fencedError(): CollectorError {
  return new CollectorError('COLLECTOR_ERR_FENCED', 'this instance no longer holds the lease');
}

/** Whether `err` is a {@link fencedError} (`COLLECTOR_ERR_FENCED`). */
export function isFenced(err: unknown): boolean {
  return err instanceof CollectorError && err.code === 'COLLECTOR_ERR_FENCED';
}

export { describeError } from '@org/service-kit';

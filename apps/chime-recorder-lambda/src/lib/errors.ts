/**
 * Stable, machine-readable codes of every error the recorder raises or records on a call item
 * (`failureCode`). Codes are never reused for a different meaning once released.
 */
export const RecorderErrorCode = {
  /** An environment variable is missing or invalid; raised at cold start. */
  ConfigInvalid: 'CHIME_REC_ERR_CONFIG_INVALID',
  /** An event does not match the schema of its detail type; it is logged and dropped. */
  EventMalformed: 'CHIME_REC_ERR_EVENT_MALFORMED',
  /** A timestamp is not an ISO-8601 date-time. */
  TimestampInvalid: 'CHIME_REC_ERR_TIMESTAMP_INVALID',
  /** The S3 destination does not match the API pattern (and `DESTINATION_INVALID_CHARS=reject`). */
  DestinationInvalid: 'CHIME_REC_ERR_DESTINATION_INVALID',
  /** CreateMediaInsightsPipeline answered with a permanent error (4xx other than throttling). */
  PipelineRejected: 'CHIME_REC_ERR_PIPELINE_REJECTED',
  /** CreateMediaInsightsPipeline kept failing with throttling, 5xx or network errors. */
  PipelineUnavailable: 'CHIME_REC_ERR_PIPELINE_UNAVAILABLE',
  /** No leg of the call ever reported a stream, so there is nothing to record. */
  NoStreams: 'CHIME_REC_ERR_NO_STREAMS',
  /** Only one leg reported a stream and `REQUIRE_BOTH_LEGS=true`. */
  SingleLeg: 'CHIME_REC_ERR_SINGLE_LEG',
  /** The pipeline reported `chime:MediaInsightsPermanentFailure` after it was created. */
  PipelineFailed: 'CHIME_REC_ERR_PIPELINE_FAILED',
  /** An item read from the call table does not have the shape this recorder writes. */
  StateCorrupt: 'CHIME_REC_ERR_STATE_CORRUPT',
  /** Writing the metadata object (`<key>.json`) to S3 failed; the sweep writes it again. */
  MetadataWriteFailed: 'CHIME_REC_ERR_METADATA_WRITE_FAILED',
  /**
   * The call item kept changing under the conditional write that records a created pipeline
   * (pipeline events arriving all the while; the claim expires and the sweep records the call
   * again with the same request token), or under the write that keeps an early pipeline event
   * (Lambda retries the event). Retryable.
   */
  StateConflict: 'CHIME_REC_ERR_STATE_CONFLICT',
} as const;

/** One of the {@link RecorderErrorCode} values. */
export type RecorderErrorCode = (typeof RecorderErrorCode)[keyof typeof RecorderErrorCode];

import { ServiceError } from '@org/service-kit/lambda';

/** Options of {@link RecorderError}. */
export interface RecorderErrorOptions {
  readonly cause?: unknown;
  /**
   * Whether trying again later can succeed (throttling, 5xx). Permanent errors are recorded on the
   * call item instead of being retried.
   * @default false
   */
  retryable?: boolean;
  /** Extra, non-personal facts for the log line (HTTP status, AWS error name, zod issue paths). */
  details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error class of the recorder, on the service kit's `ServiceError`. Every failure it
 * raises carries a stable `code`.
 *
 * @example
 * ```ts
 * try {
 *   loadConfig(process.env);
 * } catch (err) {
 *   if (err instanceof RecorderError && err.code === RecorderErrorCode.ConfigInvalid) {
 *     console.error(err.message); // lists every bad variable
 *   }
 * }
 * ```
 */
export class RecorderError extends ServiceError<RecorderErrorCode> {
  readonly retryable: boolean;
  /** Never undefined here (`{}` without details), unlike the base's. */
  declare readonly details: Readonly<Record<string, unknown>>;

  constructor(code: RecorderErrorCode, message: string, options: RecorderErrorOptions = {}) {
    super(code, message, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      details: options.details ?? {},
    });
    this.retryable = options.retryable ?? false;
  }
}

/** Whether `err` is a {@link RecorderError}, optionally with the given code. */
export function isRecorderError(err: unknown, code?: RecorderErrorCode): err is RecorderError {
  return err instanceof RecorderError && (code === undefined || err.code === code);
}

/** Log attributes of an error: code, message and the non-personal details. */
export function errorAttributes(err: unknown): Record<string, unknown> {
  if (err instanceof RecorderError) {
    return { errorCode: err.code, error: err.message, ...err.details };
  }
  if (err instanceof Error) return { errorCode: err.name, error: err.message };
  return { errorCode: 'Unknown', error: String(err) };
}

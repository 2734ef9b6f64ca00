// The one error class of the server app, on the service kit's coded base: stable
// machine-readable codes, listed in the README (a test keeps the two in step).

import { ServiceError } from '@org/service-kit';

/**
 * Codes of {@link ServerError}. Listed in the README; retired codes are never reused
 * (`AHS_ERR_CONFIG` is retired: configuration errors are the kit's `SVC_ERR_CONFIG`).
 */
export const ServerErrorCode = {
  /** The AWS Secrets Manager secret could not be read or does not hold an API key map. */
  SecretUnavailable: 'AHS_ERR_SECRET_UNAVAILABLE',
  /** A recording file could not be written. */
  RecordingFailed: 'AHS_ERR_RECORDING_FAILED',
  /** An upload to S3 failed after every attempt; the files stay on disk. */
  UploadFailed: 'AHS_ERR_UPLOAD_FAILED',
  /** The replay cache table (DynamoDB) could not be written; the session is refused. */
  ReplayStoreUnavailable: 'AHS_ERR_REPLAY_STORE',
  /** The server is already started or stopped. */
  State: 'AHS_ERR_STATE',
} as const;
export type ServerErrorCode = (typeof ServerErrorCode)[keyof typeof ServerErrorCode];

/**
 * Base error of the AudioHook server app.
 *
 * @example
 * ```ts
 * throw new ServerError(ServerErrorCode.UploadFailed, 'upload of x.wav failed', { cause });
 * ```
 */
export class ServerError extends ServiceError<ServerErrorCode> {}

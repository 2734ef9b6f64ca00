// The one error class of the server app, with stable machine-readable codes (never reuse one).

/** Codes of {@link ServerError}. Listed in the README; retired codes are never reused. */
export const ServerErrorCode = {
  /** The configuration is invalid (see `ConfigError`, which uses this code). */
  Config: 'AHS_ERR_CONFIG',
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

/** Base error of the AudioHook server app. */
export class ServerError extends Error {
  override readonly name: string = 'ServerError';
  readonly code: ServerErrorCode;

  constructor(code: ServerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

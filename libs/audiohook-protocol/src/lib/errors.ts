/**
 * Stable, machine-readable codes of every error `@org/audiohook-protocol` throws or reports.
 * Codes are never reused for a different meaning once released.
 *
 * @example
 * ```ts
 * function isTooLarge(code: AudioHookErrorCode): boolean {
 *   return code === AudioHookErrorCode.MessageTooLarge;
 * }
 * ```
 */
export const AudioHookErrorCode = {
  /** A text frame is longer than 65,535 characters (checked before JSON parsing). */
  MessageTooLarge: 'AUDIOHOOK_ERR_MESSAGE_TOO_LARGE',
  /** A text frame is not valid JSON. */
  InvalidJson: 'AUDIOHOOK_ERR_INVALID_JSON',
  /** The JSON is not a well-formed message envelope (version, id, type, seq, ...). */
  InvalidEnvelope: 'AUDIOHOOK_ERR_INVALID_ENVELOPE',
  /** The envelope is fine but `type` is not a message of this direction. */
  UnknownMessageType: 'AUDIOHOOK_ERR_UNKNOWN_MESSAGE_TYPE',
  /** The `parameters` of a known message type are missing or invalid. */
  InvalidParameters: 'AUDIOHOOK_ERR_INVALID_PARAMETERS',
  /** A `PT…S` duration string is malformed. */
  InvalidDuration: 'AUDIOHOOK_ERR_INVALID_DURATION',
  /** A duration is negative, not an integer number of nanoseconds, or too large. */
  DurationOutOfRange: 'AUDIOHOOK_ERR_DURATION_OUT_OF_RANGE',
  /** A binary frame is not a whole number of samples for every channel of the media. */
  InvalidAudioFrame: 'AUDIOHOOK_ERR_INVALID_AUDIO_FRAME',
  /** A media parameter describes a format this library cannot handle. */
  UnsupportedMedia: 'AUDIOHOOK_ERR_UNSUPPORTED_MEDIA',
  /** A message object given to the serializer cannot be serialized as a JSON object (it is not checked against its schema). */
  InvalidMessage: 'AUDIOHOOK_ERR_INVALID_MESSAGE',
  /** An option or argument given by the caller is invalid. */
  InvalidArgument: 'AUDIOHOOK_ERR_INVALID_ARGUMENT',
  /** An action is not allowed in the session's current state. */
  InvalidState: 'AUDIOHOOK_ERR_INVALID_STATE',
  /** Building a signature failed (bad secret, non-ASCII value, ...). */
  SignatureBuild: 'AUDIOHOOK_ERR_SIGNATURE_BUILD',
  /** A media source could not produce audio (unreadable WAV file, bad frame, ...). */
  MediaSource: 'AUDIOHOOK_ERR_MEDIA_SOURCE',
  /** A session-level timeout expired (open, close, pong). */
  Timeout: 'AUDIOHOOK_ERR_TIMEOUT',
  /** The peer violated the protocol (the session was ended with an error). */
  ProtocolViolation: 'AUDIOHOOK_ERR_PROTOCOL_VIOLATION',
  /** An AudioHook header of the upgrade request is missing or malformed. */
  InvalidHeaders: 'AUDIOHOOK_ERR_INVALID_HEADERS',
  /** The replay (nonce) store failed, so a valid signature was refused (fail closed). */
  NonceStore: 'AUDIOHOOK_ERR_NONCE_STORE',
  /** The secret lookup (`resolveSecret`) threw or rejected, so the request was refused (fail closed). */
  SecretLookup: 'AUDIOHOOK_ERR_SECRET_LOOKUP',
  /** Something a session runs itself threw (a timer, a transport callback): not the peer's fault nor the caller's. */
  Internal: 'AUDIOHOOK_ERR_INTERNAL',
  /** A synchronous signing or verification function ran where Node.js' crypto module is not. */
  CryptoUnavailable: 'AUDIOHOOK_ERR_CRYPTO_UNAVAILABLE',
} as const;

/**
 * One of the {@link AudioHookErrorCode} values.
 *
 * @example
 * ```ts
 * const code: AudioHookErrorCode = AudioHookErrorCode.InvalidJson;
 * ```
 */
export type AudioHookErrorCode = (typeof AudioHookErrorCode)[keyof typeof AudioHookErrorCode];

/**
 * One validation problem: where it is (a JSON path) and what is wrong.
 *
 * @example
 * ```ts
 * try {
 *   parseClientMessage(text);
 * } catch (error) {
 *   if (error instanceof AudioHookError) error.issues?.forEach((i: ValidationIssue) => logger.info(i.path, i.message));
 * }
 * ```
 */
export interface ValidationIssue {
  /** Path from the message root, e.g. `['parameters', 'media', 0, 'rate']`. */
  readonly path: readonly (string | number)[];
  /** Human-readable description. */
  readonly message: string;
}

/**
 * Options of {@link AudioHookError}.
 *
 * @example
 * ```ts
 * const options: AudioHookErrorOptions = { path: ['parameters', 'media'], messageType: 'open' };
 * throw new AudioHookError(AudioHookErrorCode.InvalidParameters, 'bad media', options);
 * ```
 */
export interface AudioHookErrorOptions extends ErrorOptions {
  /** The failing path, for validation errors (the first issue's path). */
  path?: readonly (string | number)[];
  /** Every validation issue found, for validation errors. */
  issues?: readonly ValidationIssue[];
  /** The message `type`, when it was known at the time of the failure. */
  messageType?: string;
}

/**
 * The one error class of `@org/audiohook-protocol`. Every failure carries a stable
 * {@link AudioHookErrorCode}; validation failures also carry the failing `path`.
 *
 * @example
 * ```ts
 * try {
 *   parseClientMessage(text);
 * } catch (err) {
 *   if (err instanceof AudioHookError && err.code === AudioHookErrorCode.InvalidParameters) {
 *     logger.warn({ type: err.messageType, path: err.path.join('.') }, err.message);
 *   }
 * }
 * ```
 */
export class AudioHookError extends Error {
  override readonly name = 'AudioHookError';
  /** Stable machine-readable code. */
  readonly code: AudioHookErrorCode;
  /** Path of the (first) failing value; empty when it does not apply. */
  readonly path: readonly (string | number)[];
  /** Every validation issue; empty when it does not apply. */
  readonly issues: readonly ValidationIssue[];
  /** The message type involved, when known. */
  readonly messageType: string | undefined;

  constructor(code: AudioHookErrorCode, message: string, options: AudioHookErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues ?? [];
    this.path = options.path ?? this.issues[0]?.path ?? [];
    this.messageType = options.messageType;
  }
}

/** Throws an {@link AudioHookError} with code `AUDIOHOOK_ERR_INVALID_ARGUMENT`. @internal */
export function invalidArgument(message: string): never {
  throw new AudioHookError(AudioHookErrorCode.InvalidArgument, message);
}

/** Turns anything thrown into an `Error` (handlers may throw non-errors). @internal */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));
}

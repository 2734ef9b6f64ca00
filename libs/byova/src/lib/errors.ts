/**
 * Stable, machine-readable codes of every error `@org/byova` throws. A code keeps its meaning
 * forever; retired codes are never reused.
 */
export const ByovaErrorCode = {
  /** A request breaks the BYOVA contract (missing conversation id, oneof not set, bad enum...). */
  InvalidRequest: 'BYOVA_ERR_INVALID_REQUEST',
  /** A DTMF value that is not a key (`DTMF_EVENT_UNSPECIFIED`, an unknown number or character). */
  InvalidDtmf: 'BYOVA_ERR_INVALID_DTMF',
  /** Caller audio that cannot be decoded as declared (odd LINEAR16 length, bad rate, unknown encoding). */
  InvalidAudio: 'BYOVA_ERR_INVALID_AUDIO',
  /** A `google.protobuf.Struct` value that cannot be converted (NaN, a cycle, a function...). */
  InvalidStruct: 'BYOVA_ERR_INVALID_STRUCT',
  /** An option or argument out of range (e.g. a CHUNK size outside 100 B to 64 KiB). */
  InvalidArgument: 'BYOVA_ERR_INVALID_ARGUMENT',
  /** A stored conversation state that does not have the shape of {@link ConversationState}. */
  InvalidState: 'BYOVA_ERR_INVALID_STATE',
} as const;

/** One of the {@link ByovaErrorCode} values. */
export type ByovaErrorCode = (typeof ByovaErrorCode)[keyof typeof ByovaErrorCode];

/**
 * The one error class of `@org/byova`.
 *
 * @example
 * ```ts
 * try {
 *   parseVoiceVARequest(request);
 * } catch (err) {
 *   if (err instanceof ByovaError && err.code === ByovaErrorCode.InvalidRequest) {
 *     call.emit('error', { code: status.INVALID_ARGUMENT, details: err.message });
 *   }
 * }
 * ```
 */
export class ByovaError extends Error {
  override readonly name = 'ByovaError';
  /** Stable machine-readable code. */
  readonly code: ByovaErrorCode;

  constructor(code: ByovaErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

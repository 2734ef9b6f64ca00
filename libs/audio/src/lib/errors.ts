/**
 * Stable, machine-readable codes of every error `@org/audio` throws. Codes are never reused for a
 * different meaning once released.
 */
export const AudioErrorCode = {
  /** An argument is out of range or of the wrong shape (e.g. a length that is not whole samples). */
  InvalidArgument: 'AUDIO_ERR_INVALID_ARGUMENT',
  /** The input ends before a header or chunk it announces. */
  WavTruncated: 'AUDIO_ERR_WAV_TRUNCATED',
  /** The input does not start with a `RIFF` chunk. */
  WavNotRiff: 'AUDIO_ERR_WAV_NOT_RIFF',
  /** The RIFF form type is not `WAVE`. */
  WavNotWave: 'AUDIO_ERR_WAV_NOT_WAVE',
  /** A chunk size disagrees with the container (runs past the RIFF end, or is not whole frames). */
  WavChunkSize: 'AUDIO_ERR_WAV_CHUNK_SIZE',
  /** There is no `fmt ` chunk. */
  WavMissingFormat: 'AUDIO_ERR_WAV_MISSING_FMT',
  /** There is no `data` chunk. */
  WavMissingData: 'AUDIO_ERR_WAV_MISSING_DATA',
  /** A well-formed `fmt ` chunk that describes an encoding this library does not handle. */
  WavUnsupportedFormat: 'AUDIO_ERR_WAV_UNSUPPORTED_FORMAT',
  /** A `fmt ` chunk whose fields contradict each other (block align, byte rate, zero channels). */
  WavInvalidFormat: 'AUDIO_ERR_WAV_INVALID_FORMAT',
  /** The WAV data would exceed the 4 GiB limit of the RIFF size fields. */
  WavTooLarge: 'AUDIO_ERR_WAV_TOO_LARGE',
  /** `append` or `close` was called on a WAV writer that is closed or has failed. */
  WavWriterClosed: 'AUDIO_ERR_WAV_WRITER_CLOSED',
  /** The sink under a WAV writer failed to write; the cause holds the original error. */
  WavWriteFailed: 'AUDIO_ERR_WAV_WRITE_FAILED',
  /** A WAV file has more chunks before its `fmt ` and `data` than `WAV_MAX_CHUNKS` (1024). */
  WavTooManyChunks: 'AUDIO_ERR_WAV_TOO_MANY_CHUNKS',
  /**
   * A result would be longer than the library's limit for it (e.g. a resampler call's output),
   * or the memory for it could not be allocated; the cause holds the engine's error, if any.
   */
  OutputTooLarge: 'AUDIO_ERR_OUTPUT_TOO_LARGE',
} as const;

/** One of the {@link AudioErrorCode} values. */
export type AudioErrorCode = (typeof AudioErrorCode)[keyof typeof AudioErrorCode];

/** Options of {@link AudioError}. */
export interface AudioErrorOptions extends ErrorOptions {
  /** Byte offset in the input where the problem was found, for container errors. */
  offset?: number;
}

/**
 * The one error class of `@org/audio`. Every failure carries a stable {@link AudioErrorCode}.
 *
 * @example
 * ```ts
 * try {
 *   parseWav(bytes);
 * } catch (err) {
 *   if (err instanceof AudioError && err.code === AudioErrorCode.WavTruncated) {
 *     // ask the sender for the rest of the file
 *   }
 * }
 * ```
 */
export class AudioError extends Error {
  override readonly name = 'AudioError';
  /** Stable machine-readable code. */
  readonly code: AudioErrorCode;
  /** Byte offset in the input where the problem was found, when it applies. */
  readonly offset: number | undefined;

  constructor(code: AudioErrorCode, message: string, options: AudioErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.offset = options.offset;
  }
}

/** Throws an {@link AudioError} with code `AUDIO_ERR_INVALID_ARGUMENT`. */
export function invalidArgument(message: string): never {
  throw new AudioError(AudioErrorCode.InvalidArgument, message);
}

/** Throws `AUDIO_ERR_OUTPUT_TOO_LARGE` when a result of `length` samples would exceed `max`. */
export function assertOutputLength(length: number, max: number, what: string): void {
  if (length > max) {
    throw new AudioError(
      AudioErrorCode.OutputTooLarge,
      `${what} would be ${length} samples, more than the limit of ${max}`,
    );
  }
}

/**
 * Allocates an `Int16Array` of `length` samples; a length past `max` or an allocation the runtime
 * refuses (a `RangeError`) becomes an {@link AudioError} `AUDIO_ERR_OUTPUT_TOO_LARGE`.
 */
export function allocateInt16(length: number, max: number, what: string): Int16Array {
  assertOutputLength(length, max, what);
  try {
    return new Int16Array(length);
  } catch (error) {
    throw new AudioError(
      AudioErrorCode.OutputTooLarge,
      `${what}: ${length} samples could not be allocated`,
      { cause: error },
    );
  }
}

/** Checks that `value` is an integer within `[min, max]`. */
export function assertIntegerInRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    invalidArgument(`${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

// The one error class of @org/speech: stable machine-readable codes (listed in the README, a test
// keeps the two in step) and whether a fresh stream may succeed where this one failed.

/**
 * Codes of every {@link SpeechError}. Released codes keep their meaning and are never reused.
 */
export const SpeechErrorCode = {
  /** An option or argument given by the caller is invalid (sample rate, channels, audio). */
  InvalidArgument: 'SPEECH_ERR_INVALID_ARGUMENT',
  /** The language cannot be transcribed by the engine (not mappable, or not configured). */
  UnsupportedLanguage: 'SPEECH_ERR_UNSUPPORTED_LANGUAGE',
  /** The engine throttled the stream (too many streams or requests); retryable. */
  Throttled: 'SPEECH_ERR_THROTTLED',
  /** The engine failed or could not be reached (5xx, network, stream cut); retryable. */
  EngineUnavailable: 'SPEECH_ERR_ENGINE_UNAVAILABLE',
  /** The engine refused the stream (bad request, permissions, credentials); not retryable. */
  EngineRejected: 'SPEECH_ERR_ENGINE_REJECTED',
  /** The engine sent a result that breaks the contract (negative or reversed times, bad channel). */
  InvalidResult: 'SPEECH_ERR_INVALID_RESULT',
  /** An action is not allowed in the transcriber's current state (e.g. audio after close). */
  InvalidState: 'SPEECH_ERR_INVALID_STATE',
} as const;

/** One of the {@link SpeechErrorCode} values. */
export type SpeechErrorCode = (typeof SpeechErrorCode)[keyof typeof SpeechErrorCode];

const RETRYABLE: ReadonlySet<SpeechErrorCode> = new Set([
  SpeechErrorCode.Throttled,
  SpeechErrorCode.EngineUnavailable,
]);

/** Options of {@link SpeechError}. */
export interface SpeechErrorOptions extends ErrorOptions {
  /** The engine's own name for the failure (e.g. `LimitExceededException`), for logs. */
  readonly engineCode?: string;
  /** HTTP status the engine answered with, when there was one. */
  readonly status?: number;
}

/**
 * The error of `@org/speech`: a stable {@link SpeechErrorCode}, and `retryable` (true for
 * {@link SpeechErrorCode.Throttled} and {@link SpeechErrorCode.EngineUnavailable}: a new stream
 * may succeed).
 *
 * @example
 * ```ts
 * throw new SpeechError(SpeechErrorCode.Throttled, 'LimitExceededException: too many streams', {
 *   engineCode: 'LimitExceededException',
 *   status: 429,
 * });
 * ```
 */
export class SpeechError extends Error {
  readonly code: SpeechErrorCode;
  readonly engineCode: string | undefined;
  readonly status: number | undefined;

  constructor(code: SpeechErrorCode, message: string, options: SpeechErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SpeechError';
    this.code = code;
    this.engineCode = options.engineCode;
    this.status = options.status;
  }

  /** True when a new stream may succeed where this one failed. */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }

  /** `{ name, code, message, engineCode, status }` for log lines. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.engineCode === undefined ? {} : { engineCode: this.engineCode }),
      ...(this.status === undefined ? {} : { status: this.status }),
    };
  }
}

/**
 * `error` as a {@link SpeechError}: itself when it is one, otherwise
 * {@link SpeechErrorCode.EngineUnavailable} with `error` as the cause (an engine that throws
 * something unexpected is treated as a transient failure).
 *
 * @example
 * ```ts
 * listener.closed(asSpeechError(caught));
 * ```
 */
export function asSpeechError(error: unknown): SpeechError {
  if (error instanceof SpeechError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SpeechError(SpeechErrorCode.EngineUnavailable, message, { cause: error });
}

/**
 * Throws `SPEECH_ERR_INVALID_ARGUMENT` unless `value` is a finite number in `[min, max]`.
 * @internal
 */
export function checkRange(name: string, value: number, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new SpeechError(
      SpeechErrorCode.InvalidArgument,
      `${name} must be a finite number from ${min} to ${max}, got ${String(value)}`,
    );
  }
}

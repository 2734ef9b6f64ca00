// The retry budget of a lane: how many failed streams in a row are tolerated, and how long to wait
// before the next one (exponential back-off with jitter).

import { checkRange, SpeechError, SpeechErrorCode } from './errors';

/** Retry settings of a transcriber. */
export interface RetryOptions {
  /**
   * Failed streams in a row before the transcription gives up. A stream that stayed accepted for
   * `stableMs` starts the count again.
   * @default 5
   */
  readonly attempts?: number;
  /** Delay before the first retry, ms; doubles per failure. @default 200 */
  readonly baseDelayMs?: number;
  /** Longest delay, ms. @default 5000 */
  readonly maxDelayMs?: number;
  /** A stream accepted this long before it failed resets the count, ms. @default 10000 */
  readonly stableMs?: number;
}

/** Most retries in a row accepted for `attempts`. */
const MAX_RETRY_ATTEMPTS = 1000;

/**
 * Counts failures and computes back-off delays.
 *
 * @example
 * ```ts
 * const budget = new RetryBudget({ attempts: 3 }, Math.random);
 * const delay = budget.fail(false); // ms to wait, or undefined when the budget is spent
 * ```
 */
export class RetryBudget {
  readonly attempts: number;
  readonly #base: number;
  readonly #max: number;
  readonly stableMs: number;
  readonly #random: () => number;
  #failures = 0;

  /**
   * @throws SpeechError `SPEECH_ERR_INVALID_ARGUMENT` for a setting out of range: a NaN delay would
   *   become a 1 ms timer (a retry storm against the engine), a NaN or infinite `attempts` would
   *   never give up.
   */
  constructor(options: RetryOptions, random: () => number) {
    this.attempts = options.attempts ?? 5;
    this.#base = options.baseDelayMs ?? 200;
    this.#max = options.maxDelayMs ?? 5000;
    this.stableMs = options.stableMs ?? 10_000;
    this.#random = random;
    checkRange('retry.attempts', this.attempts, 0, MAX_RETRY_ATTEMPTS);
    if (!Number.isInteger(this.attempts)) {
      throw new SpeechError(
        SpeechErrorCode.InvalidArgument,
        `retry.attempts must be a whole number, got ${this.attempts}`,
      );
    }
    checkRange('retry.baseDelayMs', this.#base, 0, 3_600_000);
    checkRange('retry.maxDelayMs', this.#max, 0, 3_600_000);
    checkRange('retry.stableMs', this.stableMs, 0, 86_400_000);
  }

  /** Failures in a row so far. */
  get failures(): number {
    return this.#failures;
  }

  /** Starts counting again (a new language, a resumed stream). */
  reset(): void {
    this.#failures = 0;
  }

  /**
   * Records a failed stream; `wasStable` when it had been accepted for `stableMs`. Returns the
   * delay before the next stream in ms (±25 % jitter), or `undefined` when the budget is spent.
   */
  fail(wasStable: boolean): number | undefined {
    this.#failures = wasStable ? 1 : this.#failures + 1;
    if (this.#failures > this.attempts) return undefined;
    const delay = Math.min(this.#max, this.#base * 2 ** (this.#failures - 1));
    return Math.round(delay * (0.75 + 0.5 * this.#random()));
  }
}

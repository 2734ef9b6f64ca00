import { CrestaError, CrestaErrorCode } from './errors';

/**
 * An absolute point in time by which a whole operation (Secrets Manager, token, API call and every
 * retry between them) must be done. `Deadline.none()` never expires.
 *
 * @example
 * ```ts
 * const deadline = Deadline.after(2500); // 2.5 s from now
 * deadline.remainingMs(); // ~2500, then less
 * ```
 */
export class Deadline {
  readonly #at: number;
  readonly #now: () => number;
  /** The budget the deadline was created with, in ms (`Infinity` for {@link Deadline.none}). */
  readonly budgetMs: number;

  private constructor(at: number, budgetMs: number, now: () => number) {
    this.#at = at;
    this.budgetMs = budgetMs;
    this.#now = now;
  }

  /**
   * A deadline `ms` milliseconds from now. A negative budget is already expired; `Infinity` never
   * expires (like {@link Deadline.none}).
   *
   * @param now clock in ms; defaults to `Date.now`.
   * @throws {@link CrestaError} `CRESTA_ERR_INVALID_OPTIONS` when `ms` is not a number (`NaN`) or
   *   the clock does not give a finite time: such a deadline would silently never expire.
   */
  static after(ms: number, now: () => number = Date.now): Deadline {
    if (typeof ms !== 'number' || Number.isNaN(ms)) {
      throw new CrestaError(
        CrestaErrorCode.InvalidOptions,
        `invalid deadline: the budget must be a number of milliseconds, got ${String(ms)}`,
      );
    }
    const start = now();
    if (!Number.isFinite(start)) {
      throw new CrestaError(
        CrestaErrorCode.InvalidOptions,
        'invalid deadline: the clock did not return a finite time',
      );
    }
    const budget = Math.max(0, ms);
    return new Deadline(start + budget, budget, now);
  }

  /** A deadline that never expires. */
  static none(): Deadline {
    return new Deadline(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, Date.now);
  }

  /** Milliseconds left; 0 once expired; `Infinity` for {@link Deadline.none}. */
  remainingMs(): number {
    return Math.max(0, this.#at - this.#now());
  }

  /** Whether no time is left. */
  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /** Whether this deadline can expire at all. */
  get bounded(): boolean {
    return Number.isFinite(this.#at);
  }
}

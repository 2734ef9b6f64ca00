// Token bucket used to pace outgoing `event` messages.

import { type Clock, systemClock } from './clock';
import { invalidArgument } from './errors';

/**
 * Options of {@link TokenBucket}.
 *
 * @example
 * ```ts
 * const options: TokenBucketOptions = { ratePerSecond: 5, burst: 25 };
 * const bucket = new TokenBucket(options);
 * ```
 */
export interface TokenBucketOptions {
  /** Tokens added per second. @default 5 */
  readonly ratePerSecond?: number;
  /** Bucket size (the largest burst). @default 25 */
  readonly burst?: number;
  /** Time source. @default systemClock */
  readonly clock?: Clock;
}

/**
 * A token bucket: up to `burst` messages at once, then `ratePerSecond` on average. Starts full.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket({ ratePerSecond: 5, burst: 25 });
 * if (bucket.tryTake()) send(); else setTimeout(retry, bucket.msUntilNext());
 * ```
 */
export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #updated: number;

  constructor(options: TokenBucketOptions = {}) {
    this.ratePerSecond = options.ratePerSecond ?? 5;
    this.burst = options.burst ?? 25;
    if (!(this.ratePerSecond > 0)) invalidArgument('ratePerSecond must be above 0');
    if (!(this.burst >= 1)) invalidArgument('burst must be at least 1');
    this.#clock = options.clock ?? systemClock;
    this.#tokens = this.burst;
    this.#updated = this.#clock.now();
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#updated);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
    this.#updated = now;
  }

  /** Tokens available now (fractional). */
  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }

  /** Takes one token if available. */
  tryTake(): boolean {
    this.#refill();
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until one token is available (0 if one is available now). */
  msUntilNext(): number {
    this.#refill();
    if (this.#tokens >= 1) return 0;
    return Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerSecond);
  }
}

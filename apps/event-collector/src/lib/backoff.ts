/**
 * Jittered exponential backoff ("equal jitter": half the step is fixed, half random), so a fleet
 * of collectors that lost Genesys at the same moment does not reconnect in lock-step.
 *
 * @example
 * ```ts
 * const b = new Backoff({ initialMs: 1000, maxMs: 60_000 });
 * b.next(); // 500..1000
 * b.next(); // 1000..2000
 * b.reset();
 * ```
 */
export class Backoff {
  #attempt = 0;
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #random: () => number;

  constructor(opts: {
    /** @default 1000 */
    initialMs: number;
    /** @default 60000 */
    maxMs: number;
    /** @default 2 */
    factor?: number;
    /** Injectable for tests. @default Math.random */
    random?: () => number;
  }) {
    this.#initialMs = opts.initialMs;
    this.#maxMs = opts.maxMs;
    this.#factor = opts.factor ?? 2;
    this.#random = opts.random ?? Math.random;
  }

  /** The delay before the next attempt; grows until {@link reset}. */
  next(): number {
    const step = Math.min(this.#maxMs, this.#initialMs * this.#factor ** this.#attempt);
    this.#attempt += 1;
    return Math.round(step / 2 + (this.#random() * step) / 2);
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/**
 * Resolves after `ms`, or early (without rejecting) when `signal` aborts. Used for every wait that
 * shutdown must be able to cut short.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) {
      resolve();
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * How long a 429 asks us to wait: `Retry-After` (seconds or an HTTP date), else
 * `inin-ratelimit-reset` + 1 s, else `undefined` (the caller backs off on its own).
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ra = headers.get('retry-after');
  if (ra !== null) {
    const secs = Number(ra);
    if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
    const date = Date.parse(ra);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  const reset = Number(headers.get('inin-ratelimit-reset'));
  if (headers.get('inin-ratelimit-reset') !== null && Number.isFinite(reset) && reset >= 0) {
    return (reset + 1) * 1000;
  }
  return undefined;
}

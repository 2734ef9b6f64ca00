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

const MAX_TIMER_MS = 2_147_483_647;

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
    // setTimeout fires at once for delays above 2^31-1 ms; no wait here is meant to be longer.
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.min(ms, MAX_TIMER_MS),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The longest wait a 429 can impose (5 min, the cap of the login backoff). Genesys' windows are
 * about a minute; a larger `Retry-After` (or a date days ahead) is a broken or hostile answer
 * that would otherwise stop the collector for days (or, past 2^31 ms, not wait at all).
 */
export const MAX_RETRY_AFTER_MS = 300_000;

/**
 * How long a 429 asks us to wait: `Retry-After` (seconds or an HTTP date), else
 * `inin-ratelimit-reset` + 1 s, else `undefined` (the caller backs off on its own); never more
 * than {@link MAX_RETRY_AFTER_MS}.
 */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ra = headers.get('retry-after');
  if (ra !== null) {
    const secs = Number(ra);
    if (ra.trim() !== '' && Number.isFinite(secs) && secs >= 0) {
      return Math.min(MAX_RETRY_AFTER_MS, secs * 1000);
    }
    // An HTTP date names its day and month; V8 would read "-3" as a year too.
    const date = /[a-z]/i.test(ra) ? Date.parse(ra) : NaN;
    if (Number.isFinite(date)) return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - now));
  }
  const reset = Number(headers.get('inin-ratelimit-reset'));
  if (headers.get('inin-ratelimit-reset') !== null && Number.isFinite(reset) && reset >= 0) {
    return Math.min(MAX_RETRY_AFTER_MS, (reset + 1) * 1000);
  }
  return undefined;
}

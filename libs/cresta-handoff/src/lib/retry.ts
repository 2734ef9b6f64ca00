import { Deadline } from './deadline';
import { clampTimerMs, MAX_TIMER_MS } from './durations';
import { CrestaError, CrestaErrorCode, urlForMessage } from './errors';
import type { HttpRequest, HttpResponse, HttpTransport } from './http-transport';
import { type CrestaLogger, silentLogger } from './logger';

/** How requests are retried. Every field has the upstream default. */
export interface RetryPolicy {
  /**
   * Retries after the first attempt; attempts = `maxRetries + 1`. An integer of at most
   * {@link MAX_RETRIES_LIMIT}; a negative value makes no attempt at all (upstream: "request failed
   * after 0 attempts").
   * @default 3
   */
  readonly maxRetries: number;
  /**
   * Backoff before retry n is `min(baseDelayMs × 2^(n−1), maxDelayMs)` plus 0–25 % jitter. From 0
   * to {@link MAX_TIMER_MS}.
   * @default 100
   */
  readonly baseDelayMs: number;
  /**
   * Longest backoff before jitter, in ms (0 to {@link MAX_TIMER_MS}); a `Retry-After` is limited by
   * `maxRetryAfterMs` instead.
   * @default 10000
   */
  readonly maxDelayMs: number;
  /**
   * Time limit of each attempt in ms (upstream `HTTP_CLIENT_TIMEOUT`); more than 0 and at most
   * {@link MAX_TIMER_MS}. Also the limit of every attempt when the deadline is unbounded.
   * @default 10000
   */
  readonly attemptTimeoutMs: number;
  /**
   * Wait at least as long as a retried (408, 429, 5xx) response's `Retry-After` (seconds or HTTP
   * date) before the next attempt. Upstream ignores the header.
   * @default true
   */
  readonly honorRetryAfter: boolean;
  /**
   * Longest `Retry-After` that is waited for, in ms (0 to {@link MAX_TIMER_MS}); a longer one ends
   * the retries at once.
   * @default 30000
   */
  readonly maxRetryAfterMs: number;
}

/** Largest `maxRetries` accepted: 10 retries, 11 attempts. */
export const MAX_RETRIES_LIMIT = 10;

export { MAX_TIMER_MS };

/** The upstream retry defaults, with `Retry-After` honoured. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 100,
  maxDelayMs: 10_000,
  attemptTimeoutMs: 10_000,
  honorRetryAfter: true,
  maxRetryAfterMs: 30_000,
};

/** Per-call context of {@link sendWithRetry}. */
export interface RetryContext {
  /** Overall deadline of the call; attempts are cut to fit and no retry starts after it. */
  readonly deadline?: Deadline;
  /** Aborts the call (never retried). */
  readonly signal?: AbortSignal;
  readonly logger?: CrestaLogger;
  /** Random source for jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

/** The request of one attempt, without the per-attempt fields the retry loop fills in. */
export type AttemptRequest = Omit<HttpRequest, 'timeoutMs' | 'signal'>;

/**
 * Whether a status is retried: 408, 429 and 500–599.
 *
 * @example
 * ```ts
 * isRetryableStatus(503); // true
 * isRetryableStatus(404); // false
 * ```
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * Why a retry policy is unusable, or `undefined` when it is fine: `maxRetries` is an integer of at
 * most {@link MAX_RETRIES_LIMIT}; `baseDelayMs`, `maxDelayMs` and `maxRetryAfterMs` are from 0 to
 * {@link MAX_TIMER_MS}; `attemptTimeoutMs` is more than 0 and at most {@link MAX_TIMER_MS}.
 *
 * @returns `{ field, message }` of the first problem; the message never repeats the value.
 * @example
 * ```ts
 * retryPolicyProblem({ ...DEFAULT_RETRY_POLICY, maxRetries: 1.5 });
 * // { field: 'maxRetries', message: 'must be an integer of at most 10' }
 * ```
 */
export function retryPolicyProblem(
  policy: RetryPolicy,
): { field: keyof RetryPolicy; message: string } | undefined {
  if (!Number.isInteger(policy.maxRetries) || policy.maxRetries > MAX_RETRIES_LIMIT) {
    return { field: 'maxRetries', message: `must be an integer of at most ${MAX_RETRIES_LIMIT}` };
  }
  const inRange = (value: number, min: number): boolean =>
    typeof value === 'number' && value >= min && value <= MAX_TIMER_MS;
  for (const field of ['baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs'] as const) {
    if (!inRange(policy[field], 0)) {
      return { field, message: `must be a number of ms from 0 to ${MAX_TIMER_MS}` };
    }
  }
  if (!inRange(policy.attemptTimeoutMs, Number.MIN_VALUE)) {
    return {
      field: 'attemptTimeoutMs',
      message: `must be a number of ms more than 0 and at most ${MAX_TIMER_MS}`,
    };
  }
  if (typeof policy.honorRetryAfter !== 'boolean') {
    return { field: 'honorRetryAfter', message: 'must be a boolean' };
  }
  return undefined;
}

/**
 * The backoff before retry `retry` (1-based): `min(base × 2^(retry−1), maxDelayMs) × (1 + 0.25 ×
 * random)`, and never more than {@link MAX_TIMER_MS}.
 *
 * @example
 * ```ts
 * backoffDelay(1, 100, () => 0); // 100
 * backoffDelay(3, 100, () => 0.999); // just under 500
 * backoffDelay(30, 100, () => 0, 5000); // 5000
 * ```
 */
export function backoffDelay(
  retry: number,
  baseDelayMs: number,
  random: () => number,
  maxDelayMs: number = DEFAULT_RETRY_POLICY.maxDelayMs,
): number {
  const delay = Math.min(baseDelayMs * 2 ** (retry - 1), maxDelayMs);
  const jittered = delay + delay * 0.25 * random();
  return clampTimerMs(jittered);
}

/**
 * Parses a `Retry-After` header (delay seconds or an HTTP date) into milliseconds.
 *
 * @returns the delay, or `undefined` when the header is absent or malformed.
 * @example
 * ```ts
 * parseRetryAfter('2'); // 2000
 * ```
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: () => number = Date.now,
): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now());
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CrestaError(CrestaErrorCode.Aborted, 'request aborted'));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new CrestaError(CrestaErrorCode.Aborted, 'request aborted'));
    };
    // Node fires a timer longer than 2^31 − 1 ms after 1 ms (with a TimeoutOverflowWarning).
    const delay = clampTimerMs(ms);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delay);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function deadlineError(
  deadline: Deadline,
  attempts: number,
  last: CrestaError | undefined,
  why?: string,
): CrestaError {
  const budget = `overall deadline of ${Math.round(deadline.budgetMs)}ms exceeded`;
  const detail = [why, last === undefined ? undefined : `last error: ${last.message}`]
    .filter((part) => part !== undefined)
    .join('; ');
  return new CrestaError(
    CrestaErrorCode.DeadlineExceeded,
    `request failed after ${attempts} attempts: ${budget}${detail.length > 0 ? ` (${detail})` : ''}`,
    { attempts, cause: last, ...(last?.status === undefined ? {} : { status: last.status }) },
  );
}

/**
 * Sends a request with retries on network errors, per-attempt timeouts, 408, 429 and 5xx, with
 * exponential backoff and jitter, honouring `Retry-After`, and never past the deadline.
 *
 * `prepare` is called before every attempt, so headers (e.g. a cached OAuth token) are worked out
 * again each time; an error it throws is not retried. Any non-retryable status (2xx, 3xx and 4xx
 * other than 408/429) is returned as is: the caller decides what success means.
 *
 * Every attempt has a finite timeout: `attemptTimeoutMs`, cut to the time left when the deadline is
 * bounded.
 *
 * @throws {@link CrestaError} `CRESTA_ERR_RETRIES_EXHAUSTED` (`request failed after <N> attempts:
 * <last error>`), `CRESTA_ERR_DEADLINE_EXCEEDED`, `CRESTA_ERR_ABORTED`, a non-retryable
 * transport error, or `CRESTA_ERR_INVALID_OPTIONS` for a policy {@link retryPolicyProblem} refuses.
 * @example
 * ```ts
 * const res = await sendWithRetry(transport, async () => request, DEFAULT_RETRY_POLICY, {
 *   deadline: Deadline.after(2500),
 * });
 * ```
 */
export async function sendWithRetry(
  transport: HttpTransport,
  prepare: () => Promise<AttemptRequest>,
  policy: RetryPolicy,
  context: RetryContext = {},
): Promise<HttpResponse> {
  const problem = retryPolicyProblem(policy);
  if (problem !== undefined) {
    throw new CrestaError(
      CrestaErrorCode.InvalidOptions,
      `invalid retry policy: ${problem.field}: ${problem.message}`,
      { field: problem.field },
    );
  }
  const deadline = context.deadline ?? Deadline.none();
  const logger = context.logger ?? silentLogger;
  const random = context.random ?? Math.random;
  const attempts = policy.maxRetries + 1;
  let last: CrestaError | undefined;
  let retryAfterMs: number | undefined;
  let made = 0;
  let lastUrl = '';

  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (attempt > 1) {
      let delay = backoffDelay(attempt - 1, policy.baseDelayMs, random, policy.maxDelayMs);
      if (policy.honorRetryAfter && retryAfterMs !== undefined) {
        if (retryAfterMs > policy.maxRetryAfterMs) {
          throw new CrestaError(
            CrestaErrorCode.RetriesExhausted,
            `request failed after ${made} attempts: ${last?.message ?? 'no response'} (Retry-After of ${retryAfterMs}ms is longer than the ${policy.maxRetryAfterMs}ms limit)`,
            {
              attempts: made,
              cause: last,
              ...(last?.status === undefined ? {} : { status: last.status }),
            },
          );
        }
        delay = Math.max(delay, retryAfterMs);
      }
      if (delay >= deadline.remainingMs()) {
        throw deadlineError(
          deadline,
          made,
          last,
          `no time left to wait ${Math.round(delay)}ms for another attempt`,
        );
      }
      logger.debug(
        `Retrying request to ${lastUrl} (attempt ${attempt}/${attempts}) after ${Math.round(delay)}ms`,
        {
          attempt,
          attempts,
          delayMs: Math.round(delay),
        },
      );
      await sleep(delay, context.signal);
    }
    const remaining = deadline.remainingMs();
    if (remaining <= 0) throw deadlineError(deadline, made, last);
    const request = await prepare();
    const url = urlForMessage(request.url);
    lastUrl = url;
    retryAfterMs = undefined;
    made += 1;
    // An unbounded deadline (or a clock gone wrong) never lifts the per-attempt timeout.
    const cappedByDeadline = Number.isFinite(remaining) && remaining < policy.attemptTimeoutMs;
    let response: HttpResponse;
    try {
      response = await transport.send({
        ...request,
        timeoutMs: cappedByDeadline ? remaining : policy.attemptTimeoutMs,
        ...(context.signal === undefined ? {} : { signal: context.signal }),
      });
    } catch (err) {
      if (!(err instanceof CrestaError) || !err.retryable) throw err;
      last = err;
      if (cappedByDeadline && deadline.expired()) throw deadlineError(deadline, made, last);
      logger.debug(`Request to ${url} failed: ${err.message}`, { attempt, code: err.code });
      continue;
    }
    if (!isRetryableStatus(response.status)) return response;
    last = new CrestaError(
      CrestaErrorCode.HttpStatus,
      `request returned retryable status: ${response.status}`,
      { status: response.status, retryable: true },
    );
    retryAfterMs = parseRetryAfter(response.headers['retry-after']);
    logger.debug(`Request to ${url} returned retryable status ${response.status}`, {
      attempt,
      status: response.status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  throw new CrestaError(
    CrestaErrorCode.RetriesExhausted,
    `request failed after ${made} attempts${last === undefined ? '' : `: ${last.message}`}`,
    { attempts: made, cause: last, ...(last?.status === undefined ? {} : { status: last.status }) },
  );
}

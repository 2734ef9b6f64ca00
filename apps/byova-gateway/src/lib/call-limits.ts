// Concurrency limits of the long-lived calls clients open (ProcessCallerInput streams, health
// Watch calls). A call beyond its limit is refused with RESOURCE_EXHAUSTED, counted by method in
// `byova_call_limit_refusals_total`, and logged at most once per interval and method with the
// number refused meanwhile, so a client hammering a limit grows neither memory nor the log.

import type { Logger } from 'pino';
import { GatewayError, GatewayErrorCode } from './errors';
import type { GatewayMetrics, LimitedMethod } from './metrics';

/** Default of `gateway.max_caller_streams` (about 300 KiB per call: ~600 MB at the limit). */
export const DEFAULT_MAX_CALLER_STREAMS = 2000;
/** Default of `gateway.max_health_watchers` (one per load balancer or client connection). */
export const DEFAULT_MAX_HEALTH_WATCHERS = 100;
/** At most one refusal log line per method in this long. */
export const REFUSAL_LOG_INTERVAL_MS = 60_000;

const LIMITS: Readonly<Record<LimitedMethod, { readonly noun: string; readonly setting: string }>> =
  {
    ProcessCallerInput: {
      noun: 'ProcessCallerInput streams',
      setting: 'gateway.max_caller_streams',
    },
    'Health/Watch': { noun: 'health Watch calls', setting: 'gateway.max_health_watchers' },
  };

/** The error a call beyond `limit` open `method` calls is refused with (RESOURCE_EXHAUSTED). */
export function limitError(method: LimitedMethod, limit: number): GatewayError {
  const { noun, setting } = LIMITS[method];
  return new GatewayError(
    GatewayErrorCode.LimitReached,
    `too many open ${noun}: the limit is ${limit} (${setting}); try again later`,
    { details: { method, limit } },
  );
}

/** Refuses a call beyond its limit: returns the error to end it with. */
export type RefuseCall = (method: LimitedMethod, limit: number) => GatewayError;

export interface CallLimitRefusalsOptions {
  readonly metrics: Pick<GatewayMetrics, 'limitRefusals'>;
  readonly logger: Logger;
  /** Milliseconds since the epoch (tests). @default Date.now */
  readonly now?: () => number;
}

/** Counts and logs (throttled) the calls refused at a limit. */
export class CallLimitRefusals {
  readonly #options: CallLimitRefusalsOptions;
  /** Per method: when a line was last logged, and the refusals since then not yet logged. */
  readonly #log = new Map<LimitedMethod, { at: number; unlogged: number }>();

  constructor(options: CallLimitRefusalsOptions) {
    this.#options = options;
  }

  /** Records one refusal of `method` at `limit` and returns its error. */
  readonly refuse: RefuseCall = (method, limit) => {
    const error = limitError(method, limit);
    this.#options.metrics.limitRefusals.inc({ method });
    const now = (this.#options.now ?? Date.now)();
    const entry = this.#log.get(method);
    if (entry !== undefined && now - entry.at < REFUSAL_LOG_INTERVAL_MS) {
      entry.unlogged += 1;
      return error;
    }
    this.#options.logger.warn(
      {
        code: error.code,
        method,
        limit,
        // Refusals since the previous line (which said how many came before it).
        refused_since_last_log: (entry?.unlogged ?? 0) + 1,
      },
      error.message,
    );
    this.#log.set(method, { at: now, unlogged: 0 });
    return error;
  };
}

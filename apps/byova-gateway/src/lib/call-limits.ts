// Limits of what clients can make the gateway hold: the long-lived calls they open
// (ProcessCallerInput streams, health Watch calls) and the conversations they start. A call
// beyond a limit is refused with RESOURCE_EXHAUSTED, counted by method and limit in
// `byova_call_limit_refusals_total`, and logged at most once per interval and limit with the
// number refused meanwhile, so a client hammering a limit grows neither memory nor the log.

import type { Logger } from 'pino';
import { GatewayError, GatewayErrorCode } from './errors';
import type { CallLimit, GatewayMetrics, LimitedMethod } from './metrics';

/** Default of `gateway.max_caller_streams` (about 300 KiB per call: ~600 MB at the limit). */
export const DEFAULT_MAX_CALLER_STREAMS = 2000;
/**
 * Default of `gateway.max_conversations`, the conversations one instance holds at once. The
 * ~300 KiB the load benchmark measures per call is what a call's conversation holds (connector
 * session, VAD, recording buffers) with its one stream at a time, so this is the same budget as
 * {@link DEFAULT_MAX_CALLER_STREAMS}: ~600 MB in the deployment's 1 GiB task. Every stream belongs
 * to a conversation, so real calls never need more streams than conversations; a smaller value
 * would refuse calls the stream limit admits, a larger one would let conversations nobody hangs up
 * (held for `gateway.idle_timeout_seconds`) outgrow that budget.
 */
export const DEFAULT_MAX_CONVERSATIONS = 2000;
/** Default of `gateway.max_health_watchers` (one per load balancer or client connection). */
export const DEFAULT_MAX_HEALTH_WATCHERS = 100;
/** At most one refusal log line per limit in this long. */
export const REFUSAL_LOG_INTERVAL_MS = 60_000;

const LIMITS: Readonly<
  Record<
    CallLimit,
    { readonly method: LimitedMethod; readonly what: string; readonly setting: string }
  >
> = {
  caller_streams: {
    method: 'ProcessCallerInput',
    what: 'too many open ProcessCallerInput streams',
    setting: 'gateway.max_caller_streams',
  },
  conversations: {
    method: 'ProcessCallerInput',
    what: 'too many active conversations on this instance',
    setting: 'gateway.max_conversations',
  },
  health_watchers: {
    method: 'Health/Watch',
    what: 'too many open health Watch calls',
    setting: 'gateway.max_health_watchers',
  },
};

/** The error a call is refused with at `limit`, whose value is `max` (RESOURCE_EXHAUSTED). */
export function limitError(limit: CallLimit, max: number): GatewayError {
  const { method, what, setting } = LIMITS[limit];
  return new GatewayError(
    GatewayErrorCode.LimitReached,
    `${what}: the limit is ${max} (${setting}); try again later`,
    { details: { method, setting, limit: max } },
  );
}

/** Refuses a call at `limit` (whose value is `max`): returns the error to end it with. */
export type RefuseCall = (limit: CallLimit, max: number) => GatewayError;

export interface CallLimitRefusalsOptions {
  readonly metrics: Pick<GatewayMetrics, 'limitRefusals'>;
  readonly logger: Logger;
  /** Milliseconds since the epoch (tests). @default Date.now */
  readonly now?: () => number;
}

/** Counts and logs (throttled) the calls refused at a limit. */
export class CallLimitRefusals {
  readonly #options: CallLimitRefusalsOptions;
  /** Per limit: when a line was last logged, and the refusals since then not yet logged. */
  readonly #log = new Map<CallLimit, { at: number; unlogged: number }>();

  constructor(options: CallLimitRefusalsOptions) {
    this.#options = options;
  }

  /** Records one refusal at `limit` (whose value is `max`) and returns its error. */
  readonly refuse: RefuseCall = (limit, max) => {
    const error = limitError(limit, max);
    const { method, setting } = LIMITS[limit];
    this.#options.metrics.limitRefusals.inc({ method, limit });
    const now = (this.#options.now ?? Date.now)();
    const entry = this.#log.get(limit);
    if (entry !== undefined && now - entry.at < REFUSAL_LOG_INTERVAL_MS) {
      entry.unlogged += 1;
      return error;
    }
    this.#options.logger.warn(
      {
        code: error.code,
        method,
        setting,
        limit: max,
        // Refusals since the previous line (which said how many came before it).
        refused_since_last_log: (entry?.unlogged ?? 0) + 1,
      },
      error.message,
    );
    this.#log.set(limit, { at: now, unlogged: 0 });
    return error;
  };
}

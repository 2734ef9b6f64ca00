import type { Logger } from 'pino';
import type { Metrics } from './metrics';

/**
 * How far behind Genesys the socket reader is: receive time minus `eventBody.timestamp` of the
 * last event whose timestamp is plausible. A timestamp more than `maxMs` before its receipt (an
 * event replayed from long ago, a timestamp in seconds instead of milliseconds) or more than
 * `maxMs` after it says nothing about delivery delay: it is counted
 * (`event_collector_events_implausible_time_total`), warned about at most once a minute, and
 * ignored, and the previous estimate stays. So one hostile timestamp can never move a gap start or
 * the checkpoint back by more than `maxMs`, and an implausible one not at all.
 *
 * @example
 * ```ts
 * const lag = new LagEstimate(300_000, metrics);
 * lag.sample(now - 2_000, now, log); // true: lag.ms === 2000
 * lag.sample(now - 9 * 86_400_000, now, log); // false: lag.ms stays 2000
 * ```
 */
export class LagEstimate {
  readonly #maxMs: number;
  readonly #metrics: Metrics;
  #ms = 0;
  #warnedAt = -Infinity;

  constructor(maxMs: number, metrics: Metrics) {
    this.#maxMs = maxMs;
    this.#metrics = metrics;
  }

  /** The current estimate (ms, never negative, never above `maxMs`). */
  get ms(): number {
    return this.#ms;
  }

  /**
   * Takes one event time (`eventBody.timestamp`) received at `receivedAt`; false when it was not
   * a finite number or was implausible (and so not used).
   */
  sample(eventTime: unknown, receivedAt: number, log: Logger): boolean {
    if (typeof eventTime !== 'number' || !Number.isFinite(eventTime)) return false;
    const raw = receivedAt - eventTime;
    if (raw <= this.#maxMs && raw >= -this.#maxMs) {
      this.#ms = Math.max(0, raw);
      return true;
    }
    this.#metrics.inc('events_implausible_time');
    if (receivedAt - this.#warnedAt >= 60_000) {
      this.#warnedAt = receivedAt;
      log.warn(
        { eventTime, maxLagS: this.#maxMs / 1000 },
        'event timestamp is further from its receive time than BACKFILL_MAX_LAG_S; not used as the delivery lag',
      );
    }
    return false;
  }
}

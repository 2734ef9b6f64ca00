import type { Logger } from 'pino';
import type { Metrics } from './metrics';

/** Warnings of one kind logged per interval before the rest are only counted. */
export const WARNINGS_PER_INTERVAL = 10;
/** The interval of {@link WARNINGS_PER_INTERVAL}, and at most how often a summary is written. */
export const WARNING_INTERVAL_MS = 60_000;

export interface LogLimiterOptions {
  /** Where the summary lines go. */
  logger: Logger;
  /** `log_lines_suppressed` counts every warning not logged. */
  metrics: Metrics;
  /** @default WARNINGS_PER_INTERVAL */
  perInterval?: number;
  /** @default WARNING_INTERVAL_MS */
  intervalMs?: number;
  /** Injectable for tests. @default Date.now */
  now?: () => number;
}

interface KindState {
  windowStart: number;
  logged: number;
  suppressed: number;
}

/**
 * Rate limit for warnings a peer can cause once per message (junk frames, malformed events): of
 * each kind, the first `perInterval` of an interval are logged, the rest are counted
 * (`event_collector_log_lines_suppressed_total`) and reported in one summary line per kind when
 * the interval ends (at the next warning of that kind, by a timer, or at {@link close}). A flood
 * of junk therefore costs a bounded number of log lines, and the counts stay exact.
 *
 * @example
 * ```ts
 * const limit = new LogLimiter<'malformed_frame'>({ logger, metrics });
 * if (limit.allow('malformed_frame')) log.warn({ reason }, 'skipped a malformed frame');
 * limit.close(); // writes what is still untold
 * ```
 */
export class LogLimiter<K extends string> {
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #perInterval: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #kinds = new Map<K, KindState>();
  #timer: NodeJS.Timeout | undefined;

  constructor(options: LogLimiterOptions) {
    this.#log = options.logger;
    this.#metrics = options.metrics;
    this.#perInterval = options.perInterval ?? WARNINGS_PER_INTERVAL;
    this.#intervalMs = options.intervalMs ?? WARNING_INTERVAL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** True: log this warning of `kind`; false: it was counted instead. */
  allow(kind: K): boolean {
    const t = this.#now();
    let s = this.#kinds.get(kind);
    if (!s) {
      s = { windowStart: t, logged: 0, suppressed: 0 };
      this.#kinds.set(kind, s);
    } else if (t - s.windowStart >= this.#intervalMs) {
      this.#summarize(kind, s);
      s.windowStart = t;
      s.logged = 0;
    }
    if (s.logged < this.#perInterval) {
      s.logged += 1;
      return true;
    }
    s.suppressed += 1;
    this.#metrics.inc('log_lines_suppressed');
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#intervalMs).unref();
    return false;
  }

  /** Writes one summary line for each kind with warnings not logged yet. */
  flush(): void {
    for (const [kind, s] of this.#kinds) this.#summarize(kind, s);
  }

  /** {@link flush}, and no timer left behind. */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  #summarize(kind: K, s: KindState): void {
    if (s.suppressed === 0) return;
    this.#log.warn(
      {
        kind,
        suppressed: s.suppressed,
        perInterval: this.#perInterval,
        intervalMs: this.#intervalMs,
      },
      'more warnings of this kind were not logged (rate limit); counted in event_collector_log_lines_suppressed_total',
    );
    s.suppressed = 0;
  }
}

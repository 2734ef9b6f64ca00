import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { Backoff, sleep } from './backoff';
import { CollectorError, describeError, GenesysApiError } from './errors';
import type { GenesysApi } from './genesys/api-client';
import type { EventDefinition } from './genesys/schemas';
import type { Metrics } from './metrics';
import { queryResultToBody } from './records';

export interface BackfillOptions {
  api: GenesysApi;
  logger: Logger;
  metrics: Metrics;
  /** Widen each gap by this much on both sides. @default 60000 */
  marginMs: number;
  /**
   * How far back the history query can reach (`BACKFILL_MAX_AGE_H`): an older gap start is
   * clamped to it, with a warning. @default 864000000 (10 days)
   */
  maxAgeMs: number;
  /** Definition ids to query (from the subscribed topics). */
  definitionIds: () => readonly string[];
  definitions: () => ReadonlyMap<string, EventDefinition>;
  /** Hands a recovered event to the pipeline; true when it was new (not a duplicate). */
  onEvent: (topic: string, body: Record<string, unknown>) => boolean;
  /**
   * Resolves when the output can take more lines (the JSONL queue is below half its cap). Awaited
   * after every page, so a gap of days (up to millions of events) is written as it is read
   * instead of piling up in memory.
   */
  whenWritable?: () => Promise<void>;
  /** Waits between retries of a failed query. @default 1000 / 60000 */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Pages read for one gap before it is left pending (tests). @default MAX_PAGES_PER_GAP */
  maxPagesPerGap?: number;
}

/**
 * Most pages read for one gap (200 events each: 2 million events, far beyond what AudioHook
 * produces in the 10 days Genesys keeps). A gap still paging then is left pending, not done: the
 * checkpoint stays before it, and the next start backfills it again.
 */
export const MAX_PAGES_PER_GAP = 10_000;

/** One interval to recover (epoch ms). */
export interface Gap {
  start: number;
  end: number;
}

/** What the last finished backfill did, for `/health`. */
export interface BackfillReport {
  start: string;
  end: string;
  examined: number;
  recovered: number;
}

/**
 * Recovers events published while no socket was connected (or while the collector was not
 * running), from the operational-event history query (`POST /api/v2/usage/events/query`, needs
 * `usage:events:view`). Gaps are queried one at a time, oldest first, all pages. A failure that
 * may pass (network, 5xx, 429, 401) is retried with backoff until it succeeds or the collector
 * stops, and the gap stays pending meanwhile, which holds the checkpoint back. A 403 switches the
 * backfill off for good, with a warning and a `/health` flag; another 4xx abandons that gap. A gap
 * still paging after {@link MAX_PAGES_PER_GAP} pages stays pending for good (the next start
 * retries it); one whose next page is a page already read ends there (a retry would loop again).
 */
export class Backfiller {
  readonly #o: BackfillOptions;
  readonly #abort = new AbortController();
  #chain: Promise<void> = Promise.resolve();
  #pending: Gap[] = [];
  /** Gaps given up after too many pages: pending until the process ends. */
  #unfinished = 0;
  #disabledReason: string | undefined;
  #lastGap: BackfillReport | undefined;

  constructor(options: BackfillOptions) {
    this.#o = options;
  }

  status(): {
    enabled: boolean;
    disabledReason: string | undefined;
    pendingGaps: number;
    /** Of them, gaps left after too many pages (retried at the next start). */
    unfinishedGaps: number;
    lastGap: BackfillReport | undefined;
  } {
    return {
      enabled: this.#disabledReason === undefined,
      disabledReason: this.#disabledReason,
      pendingGaps: this.#pending.length,
      unfinishedGaps: this.#unfinished,
      lastGap: this.#lastGap,
    };
  }

  /** The start of the oldest gap not yet recovered (queued or running), if any. */
  pendingStart(): number | undefined {
    let min: number | undefined;
    for (const g of this.#pending) if (min === undefined || g.start < min) min = g.start;
    return min;
  }

  /** Queues the backfill of one gap. */
  fill(gap: Gap): void {
    if (this.#disabledReason !== undefined || this.#abort.signal.aborted) return;
    this.#pending.push(gap);
    this.#chain = this.#chain.then(async () => {
      let done = true;
      try {
        done = await this.#runWithRetry(gap);
      } finally {
        // Still pending after a stop, or unfinished: the checkpoint keeps its start, and the
        // next run backfills it again.
        if (done && !this.#abort.signal.aborted) {
          this.#pending = this.#pending.filter((g) => g !== gap);
        }
      }
    });
  }

  /** Resolves when queued backfills are done (tests, shutdown). */
  idle(): Promise<void> {
    return this.#chain;
  }

  /** Aborts the running query; gaps not recovered stay pending (see {@link pendingStart}). */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#chain;
  }

  /** False when the gap is left unfinished (too many pages): it stays pending. */
  async #runWithRetry(gap: Gap): Promise<boolean> {
    const backoff = new Backoff({
      initialMs: this.#o.retryInitialMs ?? 1000,
      maxMs: this.#o.retryMaxMs ?? 60_000,
    });
    while (this.#disabledReason === undefined && !this.#abort.signal.aborted) {
      try {
        return await this.#run(gap);
      } catch (err) {
        if (this.#abort.signal.aborted) return true;
        if (err instanceof GenesysApiError && err.status === 403) {
          this.#disabledReason = 'the history query returned 403 (needs usage:events:view)';
          this.#o.metrics.inc('backfill_failures');
          this.#o.logger.warn(`${this.#disabledReason}; backfill switched off`);
          return true;
        }
        this.#o.metrics.inc('errors');
        if (!retriable(err)) {
          this.#o.metrics.inc('backfill_failures');
          this.#o.logger.error(
            { err: describeError(err), gap: isoGap(gap) },
            'backfill refused by Genesys; the events of this gap cannot be recovered',
          );
          return true;
        }
        const wait = backoff.next();
        this.#o.logger.warn(
          { err: describeError(err), gap: isoGap(gap), retryInMs: wait },
          'backfill failed; retrying (the checkpoint waits for it)',
        );
        await sleep(wait, this.#abort.signal);
      }
    }
    return true;
  }

  /** Waits for room in the output, or for the stop. */
  async #whenWritable(): Promise<void> {
    const wait = this.#o.whenWritable?.();
    if (!wait || this.#abort.signal.aborted) return;
    const signal = this.#abort.signal;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([wait, stopped]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  /** Reads every page of one gap; false when it was left unfinished after too many pages. */
  async #run(gap: Gap): Promise<boolean> {
    const ids = this.#o.definitionIds();
    if (ids.length === 0) return true;
    const now = Date.now();
    const oldest = now - this.#o.maxAgeMs;
    const interval = {
      start: Math.max(gap.start - this.#o.marginMs, oldest),
      end: Math.min(gap.end + this.#o.marginMs, now),
    };
    const log = this.#o.logger.child({ backfill: isoGap(interval) });
    if (gap.start - this.#o.marginMs < oldest) {
      this.#o.metrics.inc('backfill_failures');
      log.warn(
        { gapStart: new Date(gap.start).toISOString(), maxAgeH: this.#o.maxAgeMs / 3_600_000 },
        'the gap starts before what Genesys keeps (BACKFILL_MAX_AGE_H); older events are lost',
      );
    }
    if (interval.end <= interval.start) return true;
    const maxPages = this.#o.maxPagesPerGap ?? MAX_PAGES_PER_GAP;
    let examined = 0;
    let recovered = 0;
    let cursor: string | undefined;
    const seen = new Set<string>();
    do {
      const page = await this.#o.api.queryEvents(interval, ids, cursor, this.#abort.signal);
      for (const raw of page.entities) {
        const mapped = queryResultToBody(raw, this.#o.definitions());
        if (!mapped) continue;
        examined += 1;
        if (this.#o.onEvent(mapped.topic, mapped.body)) recovered += 1;
      }
      await this.#whenWritable();
      if (cursor !== undefined) seen.add(digest(cursor));
      cursor = page.nextCursor;
      if (cursor !== undefined && seen.has(digest(cursor))) {
        // A nextUri that leads back to a page already read would page forever, and so would
        // any retry: the gap ends here, and the checkpoint moves past it.
        this.#o.metrics.inc('backfill_failures');
        log.error(
          { pages: seen.size + 1, examined, recovered },
          'the history query leads back to a page already read (a loop at Genesys); this gap ends here: its events past that page are lost and the checkpoint moves past it',
        );
        break;
      }
      if (cursor !== undefined && seen.size + 1 >= maxPages) {
        // Too many pages for any real gap: keep it pending rather than lose the rest of it.
        this.#unfinished += 1;
        this.#o.metrics.inc('backfill_failures');
        log.error(
          { pages: seen.size + 1, examined, recovered },
          'the history query is still paging after MAX_PAGES_PER_GAP pages; this gap stays pending: the checkpoint stays before it and the next start backfills it again',
        );
        this.#o.metrics.inc('events_backfilled', recovered);
        return false;
      }
    } while (cursor !== undefined && !this.#abort.signal.aborted);
    if (this.#abort.signal.aborted) throw new CollectorError('COLLECTOR_ERR_STOPPED', 'stopped');
    this.#o.metrics.inc('events_backfilled', recovered);
    this.#lastGap = { ...isoGap(interval), examined, recovered };
    log.info({ examined, recovered }, 'backfill done');
    return true;
  }
}

/** Whether a failed query may succeed later: network errors, 5xx, 429 and 401 (token) do. */
function retriable(err: unknown): boolean {
  if (err instanceof GenesysApiError) {
    return err.status >= 500 || err.status === 429 || err.status === 401 || err.status === 408;
  }
  return !(err instanceof CollectorError && err.code === 'COLLECTOR_ERR_STOPPED');
}

/** A cursor's fingerprint (a hostile cursor may be megabytes long). */
function digest(cursor: string): string {
  return createHash('sha256').update(cursor).digest('base64');
}

function isoGap(g: Gap): { start: string; end: string } {
  return { start: new Date(g.start).toISOString(), end: new Date(g.end).toISOString() };
}

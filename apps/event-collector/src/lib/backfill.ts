import type { Logger } from 'pino';
import { describeError, GenesysApiError } from './errors';
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
  /** Definition ids to query (from the subscribed topics). */
  definitionIds: () => readonly string[];
  definitions: () => ReadonlyMap<string, EventDefinition>;
  /** Hands a recovered event to the pipeline (which de-duplicates it). */
  onEvent: (topic: string, body: Record<string, unknown>) => void;
}

/**
 * Recovers events published while no socket was connected, from the operational-event history
 * query (`POST /api/v2/usage/events/query`, needs `usage:events:view`). Gaps are queried one at a
 * time, oldest first, all pages. A 403 switches the backfill off for good, with a warning and a
 * `/health` flag, instead of failing every reconnect.
 */
export class Backfiller {
  readonly #o: BackfillOptions;
  readonly #abort = new AbortController();
  #chain: Promise<void> = Promise.resolve();
  #disabledReason: string | undefined;
  #lastGap: { start: string; end: string; recovered: number } | undefined;

  constructor(options: BackfillOptions) {
    this.#o = options;
  }

  status(): {
    enabled: boolean;
    disabledReason: string | undefined;
    lastGap: { start: string; end: string; recovered: number } | undefined;
  } {
    return {
      enabled: this.#disabledReason === undefined,
      disabledReason: this.#disabledReason,
      lastGap: this.#lastGap,
    };
  }

  /** Queues the backfill of one gap. */
  fill(gap: { start: number; end: number }): void {
    if (this.#disabledReason !== undefined) return;
    this.#chain = this.#chain.then(() => this.#run(gap));
  }

  /** Resolves when queued backfills are done (tests, shutdown). */
  idle(): Promise<void> {
    return this.#chain;
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#chain;
  }

  async #run(gap: { start: number; end: number }): Promise<void> {
    if (this.#disabledReason !== undefined || this.#abort.signal.aborted) return;
    const ids = this.#o.definitionIds();
    if (ids.length === 0) return;
    const interval = { start: gap.start - this.#o.marginMs, end: gap.end + this.#o.marginMs };
    const log = this.#o.logger.child({
      backfill: `${new Date(interval.start).toISOString()}/${new Date(interval.end).toISOString()}`,
    });
    let recovered = 0;
    let cursor: string | undefined;
    try {
      do {
        const page = await this.#o.api.queryEvents(interval, ids, cursor, this.#abort.signal);
        for (const raw of page.entities) {
          const mapped = queryResultToBody(raw, this.#o.definitions());
          if (!mapped) continue;
          recovered += 1;
          this.#o.onEvent(mapped.topic, mapped.body);
        }
        cursor = page.nextCursor;
      } while (cursor !== undefined && !this.#abort.signal.aborted);
      this.#o.metrics.inc('events_backfilled', recovered);
      this.#lastGap = {
        start: new Date(interval.start).toISOString(),
        end: new Date(interval.end).toISOString(),
        recovered,
      };
      log.info({ examined: recovered }, 'backfill done');
    } catch (err) {
      if (this.#abort.signal.aborted) return;
      if (err instanceof GenesysApiError && err.status === 403) {
        this.#disabledReason = 'the history query returned 403 (needs usage:events:view)';
        log.warn(`${this.#disabledReason}; backfill switched off`);
        return;
      }
      this.#o.metrics.inc('errors');
      log.error({ err: describeError(err) }, 'backfill failed; the gap may have lost events');
    }
  }
}

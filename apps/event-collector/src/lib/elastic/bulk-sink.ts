import { createReadStream } from 'node:fs';
import { appendFile, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ElasticConfig } from '../../config';
import { Backoff, sleep } from '../backoff';
import { describeError } from '../errors';
import type { Metrics } from '../metrics';
import { redactUrls } from '../redact';

/** One document to index: a deterministic `_id` and its source. */
export interface ElasticDoc {
  id: string;
  source: Record<string, unknown>;
  /**
   * When the record was received (epoch ms). Documents that carry it are tracked until
   * Elasticsearch stored them (or they reached the spool file), see {@link ElasticSink.oldestPending}.
   */
  at?: number;
}

const bulkResponseSchema = z.object({
  errors: z.boolean().optional(),
  items: z.array(
    z.record(
      z.string(),
      z
        .object({
          status: z.number(),
          error: z.unknown().optional(),
        })
        .loose(),
    ),
  ),
});

/** Outcome of one bulk round trip. */
interface BulkOutcome {
  retry: ElasticDoc[];
  /** Set when the whole request failed (network, 429, 5xx, auth): every doc is to retry. */
  requestError?: string;
}

const spooledDocSchema = z.object({ id: z.string(), source: z.record(z.string(), z.unknown()) });

/**
 * Elasticsearch `_bulk` sink over plain HTTP (`fetch`). Documents are written with the `create`
 * action and a deterministic `_id`, so a retry or a replay can never duplicate: Elasticsearch
 * answers 409, which counts as "already stored". Flushes on `BULK_SIZE` or on the interval,
 * retries the whole request or only the retriable items with jittered backoff, sends permanent
 * rejections to a dead-letter file, and while Elasticsearch is unavailable appends to an on-disk
 * spool that is replayed once it answers again. Never blocks the socket reader.
 */
export class ElasticSink {
  readonly #c: ElasticConfig;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  #queue: ElasticDoc[] = [];
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #spooling = false;
  #spoolBuffer: ElasticDoc[] = [];
  /** Received-at of documents neither stored nor on disk yet, in arrival order. */
  readonly #pending = new Map<string, number>();
  #abandoned = false;
  #spoolWrite: Promise<void> = Promise.resolve();
  #replaying: Promise<void> | undefined;
  #replayTimer: NodeJS.Timeout | undefined;
  #stopping = new AbortController();
  #lastError: string | undefined;
  #lastSuccessAt: number | undefined;

  constructor(config: ElasticConfig, logger: Logger, metrics: Metrics) {
    this.#c = config;
    this.#log = logger;
    this.#metrics = metrics;
  }

  /** Starts the flush timer and, if a spool survived a previous run, its replay. */
  async start(): Promise<void> {
    await mkdir(dirname(this.#c.spoolFile), { recursive: true });
    await mkdir(dirname(this.#c.deadLetterFile), { recursive: true });
    if ((await size(this.#c.spoolFile)) > 0 || (await size(this.#replayFile)) > 0) {
      this.#spooling = true;
      this.#log.info({ spool: this.#c.spoolFile }, 'found an Elasticsearch spool; replaying it');
      this.#scheduleReplay(0);
    }
    this.#timer = setInterval(() => void this.#flushSome(), this.#c.flushIntervalMs);
  }

  /** Accepts one document; never waits on Elasticsearch. */
  add(doc: ElasticDoc): void {
    if (this.#abandoned) return;
    if (doc.at !== undefined && !this.#pending.has(doc.id)) this.#pending.set(doc.id, doc.at);
    if (this.#spooling) {
      this.#toSpool([doc]);
      return;
    }
    this.#queue.push(doc);
    if (this.#queue.length > this.#c.queueMax) {
      // Memory is bounded: an Elasticsearch that cannot keep up is treated like one that is down.
      this.#log.warn({ queued: this.#queue.length }, 'Elasticsearch queue full; spooling to disk');
      this.#enterSpooling(this.#queue.splice(0));
      return;
    }
    if (this.#queue.length >= this.#c.bulkSize) void this.#flushSome();
  }

  status(): {
    queued: number;
    spooling: boolean;
    lastError: string | undefined;
    lastSuccessAt: string | undefined;
  } {
    return {
      queued: this.#queue.length + this.#spoolBuffer.length,
      spooling: this.#spooling,
      lastError: this.#lastError,
      lastSuccessAt:
        this.#lastSuccessAt === undefined ? undefined : new Date(this.#lastSuccessAt).toISOString(),
    };
  }

  /**
   * The received-at time of the oldest document that is neither in Elasticsearch nor in the spool
   * file (`undefined` when there is none): every record received before it is safe.
   */
  oldestPending(): number | undefined {
    const first = this.#pending.values().next();
    return first.done ? undefined : first.value;
  }

  /** Bytes waiting in the spool files. */
  async spoolBytes(): Promise<number> {
    return (await size(this.#c.spoolFile)) + (await size(this.#replayFile));
  }

  /** Sends what is queued and resolves when nothing is in memory or in flight (tests, shutdown). */
  async drain(): Promise<void> {
    for (;;) {
      if (this.#flushing) {
        await this.#flushing;
        continue;
      }
      if (this.#spooling || this.#queue.length === 0) break;
      await this.#flushSome();
    }
    await this.#flushSpoolBuffer();
  }

  /**
   * Stops: one last attempt to send what is in memory, bounded by `timeoutMs`; whatever is left
   * goes to the spool (fsynced), so the next start replays it.
   */
  async stop(timeoutMs: number): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#replayTimer) clearTimeout(this.#replayTimer);
    const deadline = setTimeout(() => this.#stopping.abort(), timeoutMs);
    try {
      if (!this.#spooling) await this.drain();
    } finally {
      this.#stopping.abort();
      clearTimeout(deadline);
    }
    await this.#flushing;
    await this.#replaying;
    if (this.#queue.length > 0) this.#toSpool(this.#queue.splice(0));
    await this.#flushSpoolBuffer();
    if ((await size(this.#c.spoolFile)) > 0) {
      const fh = await open(this.#c.spoolFile, 'r+');
      await fh.sync();
      await fh.close();
    }
  }

  /**
   * Stops without sending or spooling anything more (this instance was fenced out of the lease;
   * the next holder re-sends from the output what Elasticsearch may lack).
   */
  async abandon(): Promise<void> {
    this.#abandoned = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#replayTimer) clearTimeout(this.#replayTimer);
    this.#stopping.abort();
    this.#queue = [];
    this.#spoolBuffer = [];
    this.#pending.clear();
    await this.#flushing;
    await this.#replaying;
    await this.#spoolWrite;
  }

  get #replayFile(): string {
    return `${this.#c.spoolFile}.replaying`;
  }

  #flushSome(): Promise<void> {
    if (this.#flushing || this.#queue.length === 0 || this.#spooling) {
      return this.#flushing ?? Promise.resolve();
    }
    const batch = this.#queue.splice(0, this.#c.bulkSize);
    this.#flushing = this.#sendWithRetry(batch)
      .then((leftover) => {
        if (leftover.length > 0) this.#enterSpooling(leftover.concat(this.#queue.splice(0)));
      })
      .finally(() => {
        this.#flushing = undefined;
        if (this.#queue.length >= this.#c.bulkSize && !this.#spooling) void this.#flushSome();
      });
    return this.#flushing;
  }

  /** Sends docs until all are stored or dead-lettered; returns those still unsent after retries. */
  async #sendWithRetry(docs: ElasticDoc[]): Promise<ElasticDoc[]> {
    const backoff = new Backoff({ initialMs: this.#c.retryBaseMs, maxMs: this.#c.retryMaxMs });
    let pending = docs;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 0) {
        if (attempt > this.#c.maxRetries || this.#stopping.signal.aborted) return pending;
        this.#metrics.inc('elastic_retries');
        await sleep(backoff.next(), this.#stopping.signal);
        if (this.#stopping.signal.aborted) return pending;
      }
      const outcome = await this.#bulk(pending);
      if (outcome.requestError !== undefined) {
        this.#lastError = outcome.requestError;
        continue;
      }
      pending = outcome.retry;
    }
    return [];
  }

  async #bulk(docs: ElasticDoc[]): Promise<BulkOutcome> {
    const lines: string[] = [];
    for (const d of docs) {
      lines.push(JSON.stringify({ create: { _index: this.#c.index, _id: d.id } }));
      lines.push(JSON.stringify(d.source));
    }
    // Every line, the last included, must end with a newline.
    const body = `${lines.join('\n')}\n`;
    let res: Response;
    try {
      const timeout = AbortSignal.timeout(this.#c.timeoutMs);
      res = await fetch(`${this.#c.url}/_bulk`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-ndjson',
          accept: 'application/json',
          ...(this.#c.authorization ? { authorization: this.#c.authorization } : {}),
        },
        body,
        signal: AbortSignal.any([timeout, this.#stopping.signal]),
      });
    } catch (err) {
      return this.#requestFailed(docs, `bulk request failed: ${describeError(err)}`);
    }
    const text = await res.text().catch(() => '');
    if (res.status !== 200) {
      const msg = `bulk request returned HTTP ${res.status}: ${text.slice(0, 200)}`;
      if (res.status === 400 || res.status === 413) {
        // The request itself is unacceptable; resending it unchanged would fail forever.
        await this.#deadLetter(docs, res.status, msg);
        return { retry: [] };
      }
      return this.#requestFailed(docs, msg);
    }
    let parsed: z.infer<typeof bulkResponseSchema>;
    try {
      parsed = bulkResponseSchema.parse(JSON.parse(text));
    } catch {
      return this.#requestFailed(docs, 'bulk response was not the documented shape');
    }
    this.#lastSuccessAt = Date.now();
    this.#lastError = undefined;
    const retry: ElasticDoc[] = [];
    const dead: { doc: ElasticDoc; status: number; error: unknown }[] = [];
    docs.forEach((doc, i) => {
      const item = parsed.items[i];
      const result = item ? Object.values(item)[0] : undefined;
      const status = result?.status ?? 0;
      if (status === 200 || status === 201) {
        this.#metrics.inc('elastic_indexed');
        this.#pending.delete(doc.id);
      } else if (status === 409) {
        this.#metrics.inc('elastic_conflicts');
        this.#pending.delete(doc.id);
      } else if (status === 429 || status >= 500 || status === 0) retry.push(doc);
      else dead.push({ doc, status, error: result?.error });
    });
    if (retry.length > 0) {
      this.#lastError = `${retry.length} item(s) rejected as retriable`;
      this.#log.warn({ retry: retry.length }, 'Elasticsearch asked to retry some items');
    }
    for (const d of dead) await this.#deadLetter([d.doc], d.status, d.error);
    return { retry };
  }

  /** Logs and returns a failed request; the message (also `/health`'s `lastError`) is redacted. */
  #requestFailed(docs: ElasticDoc[], message: string): BulkOutcome {
    const safe = redactUrls(message);
    this.#log.warn({ docs: docs.length, err: safe }, 'Elasticsearch bulk request failed');
    return { retry: docs, requestError: safe };
  }

  async #deadLetter(docs: ElasticDoc[], status: number, error: unknown): Promise<void> {
    this.#log.error(
      { docs: docs.length, status, file: this.#c.deadLetterFile },
      'Elasticsearch rejected document(s) permanently; written to the dead-letter file',
    );
    const failedAt = new Date().toISOString();
    const text = docs
      .map((d) =>
        JSON.stringify({
          failed_at: failedAt,
          status,
          error,
          index: this.#c.index,
          id: d.id,
          doc: d.source,
        }),
      )
      .join('\n');
    try {
      await appendFile(this.#c.deadLetterFile, `${text}\n`);
    } catch (err) {
      this.#log.error({ err: describeError(err) }, 'cannot write the dead-letter file');
    }
    for (const d of docs) this.#pending.delete(d.id);
    this.#metrics.inc('elastic_dead_lettered', docs.length);
  }

  #enterSpooling(docs: ElasticDoc[]): void {
    if (!this.#spooling) {
      this.#log.warn(
        { spool: this.#c.spoolFile, err: this.#lastError },
        'Elasticsearch unavailable; spooling documents to disk until it answers again',
      );
    }
    this.#spooling = true;
    this.#toSpool(docs);
    this.#scheduleReplay(this.#c.retryMaxMs);
  }

  #toSpool(docs: ElasticDoc[]): void {
    if (this.#abandoned) return;
    this.#metrics.inc('elastic_spooled', docs.length);
    for (const d of docs) this.#spoolBuffer.push(d);
    if (this.#spoolBuffer.length >= this.#c.bulkSize) void this.#flushSpoolBuffer();
    else this.#scheduleSpoolFlush();
  }

  #spoolFlushScheduled = false;
  #scheduleSpoolFlush(): void {
    if (this.#spoolFlushScheduled) return;
    this.#spoolFlushScheduled = true;
    setImmediate(() => {
      this.#spoolFlushScheduled = false;
      void this.#flushSpoolBuffer();
    });
  }

  #flushSpoolBuffer(): Promise<void> {
    this.#spoolWrite = this.#spoolWrite.then(async () => {
      if (this.#spoolBuffer.length === 0) return;
      const docs = this.#spoolBuffer;
      this.#spoolBuffer = [];
      const lines = docs.map((d) => JSON.stringify({ id: d.id, source: d.source }));
      try {
        await appendFile(this.#c.spoolFile, `${lines.join('\n')}\n`);
        for (const d of docs) this.#pending.delete(d.id);
      } catch (err) {
        this.#spoolBuffer = docs.concat(this.#spoolBuffer);
        this.#log.error({ err: describeError(err) }, 'cannot write the Elasticsearch spool');
      }
    });
    return this.#spoolWrite;
  }

  #scheduleReplay(delayMs: number): void {
    if (this.#replayTimer || this.#replaying || this.#stopping.signal.aborted) return;
    this.#replayTimer = setTimeout(() => {
      this.#replayTimer = undefined;
      this.#replaying = this.#replay().finally(() => {
        this.#replaying = undefined;
      });
    }, delayMs);
  }

  /**
   * Replays the spool: moves it aside (new documents keep going to a fresh spool), sends it in
   * `BULK_SIZE` batches, and deletes it once all are stored. After a failure the moved file stays
   * and the next replay starts it again from the top; `create` + `_id` makes the repeats 409s.
   */
  async #replay(): Promise<void> {
    try {
      for (;;) {
        await this.#flushSpoolBuffer();
        if ((await size(this.#replayFile)) === 0) {
          if ((await size(this.#c.spoolFile)) === 0) {
            if (this.#spoolBuffer.length === 0) {
              await unlink(this.#replayFile).catch(() => undefined);
              this.#spooling = false;
              this.#log.info('Elasticsearch spool replayed; back to direct indexing');
              return;
            }
            continue;
          }
          await rename(this.#c.spoolFile, this.#replayFile);
        }
        const ok = await this.#replayFileOnce();
        if (!ok) {
          this.#scheduleReplay(this.#c.retryMaxMs);
          return;
        }
        await unlink(this.#replayFile);
      }
    } catch (err) {
      this.#log.error({ err: describeError(err) }, 'Elasticsearch spool replay failed');
      this.#scheduleReplay(this.#c.retryMaxMs);
    }
  }

  async #replayFileOnce(): Promise<boolean> {
    const rl = createInterface({
      input: createReadStream(this.#replayFile, 'utf8'),
      crlfDelay: Infinity,
    });
    let batch: ElasticDoc[] = [];
    const send = async (): Promise<boolean> => {
      const leftover = await this.#sendWithRetry(batch);
      this.#metrics.inc('elastic_replayed', batch.length - leftover.length);
      batch = [];
      return leftover.length === 0;
    };
    try {
      for await (const line of rl) {
        if (line.trim() === '') continue;
        let doc: ElasticDoc;
        try {
          doc = spooledDocSchema.parse(JSON.parse(line));
        } catch {
          this.#log.warn('skipping an unreadable spool line');
          continue;
        }
        batch.push(doc);
        if (batch.length >= this.#c.bulkSize && !(await send())) return false;
        if (this.#stopping.signal.aborted) return false;
      }
      return batch.length === 0 || (await send());
    } finally {
      rl.close();
    }
  }
}

async function size(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

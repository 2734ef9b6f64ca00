import { createReadStream } from 'node:fs';
import { appendFile, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ElasticConfig } from '../../config';
import { Backoff, sleep } from '../backoff';
import { CollectorError, describeError } from '../errors';
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
  /** 401/403: retrying at once cannot help; the spool replay tries again later. */
  credentialsRefused?: boolean;
}

const spooledDocSchema = z.object({ id: z.string(), source: z.record(z.string(), z.unknown()) });

/**
 * Elasticsearch `_bulk` sink over plain HTTP (`fetch`). Documents are written with the `create`
 * action and a deterministic `_id`, so a retry or a replay can never duplicate: Elasticsearch
 * answers 409, which counts as "already stored". Flushes on `BULK_SIZE` or on the interval,
 * retries the whole request or only the retriable items with jittered backoff, sends permanent
 * rejections to a dead-letter file, and while Elasticsearch is unavailable appends to an on-disk
 * spool that is replayed once it answers again. Never blocks the socket reader.
 *
 * Credentials refused (401/403) are a configuration error, not an outage: no quick retries, one
 * error log (`COLLECTOR_ERR_ELASTIC_AUTH`), documents to the spool, and a replay attempt every
 * `ELASTIC_RETRY_MAX_MS`, so a rotated credential recovers on its own. The spool and the
 * dead-letter file are capped (`ELASTIC_SPOOL_MAX_BYTES`, `ELASTIC_DEAD_LETTER_MAX_BYTES`):
 * documents beyond the cap are counted and dropped from the Elasticsearch feed only; the JSONL
 * output still holds them.
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
  /** Set while Elasticsearch refuses the credentials (401/403). */
  #credentialsRefused = false;
  /** Bytes in the spool file and the file being replayed (kept as they are appended). */
  #spoolSize = 0;
  #spoolFull = false;
  #deadLetterSize = 0;
  #deadLetterFull = false;
  /** Where the replay of the moved spool file resumes: the end of the last batch it stored. */
  #replayOffset = 0;

  constructor(config: ElasticConfig, logger: Logger, metrics: Metrics) {
    this.#c = config;
    this.#log = logger;
    this.#metrics = metrics;
  }

  /** Starts the flush timer and, if a spool survived a previous run, its replay. */
  async start(): Promise<void> {
    await mkdir(dirname(this.#c.spoolFile), { recursive: true });
    await mkdir(dirname(this.#c.deadLetterFile), { recursive: true });
    this.#spoolSize = await this.spoolBytes();
    this.#deadLetterSize = await size(this.#c.deadLetterFile);
    if (this.#spoolSize > 0) {
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
    /** Elasticsearch answers 401/403: ELASTIC_AUTH (or the URL's credentials) is wrong. */
    credentialsRefused: boolean;
    /** The spool reached ELASTIC_SPOOL_MAX_BYTES: new documents are not kept for Elasticsearch. */
    spoolFull: boolean;
    deadLetterFull: boolean;
    lastError: string | undefined;
    lastSuccessAt: string | undefined;
  } {
    return {
      queued: this.#queue.length + this.#spoolBuffer.length,
      spooling: this.#spooling,
      credentialsRefused: this.#credentialsRefused,
      spoolFull: this.#spoolFull,
      deadLetterFull: this.#deadLetterFull,
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
      if (this.#replayTimer) clearTimeout(this.#replayTimer);
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
        if (outcome.credentialsRefused) return pending;
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
      if (res.status === 401 || res.status === 403) return this.#refused(docs, res.status);
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
    if (this.#credentialsRefused) {
      this.#credentialsRefused = false;
      this.#log.info('Elasticsearch accepts the credentials again');
    }
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

  /**
   * 401/403: the credentials are refused. Logged once (not per batch) until a request succeeds
   * again; `/health` and `event_collector_elastic_credentials_refused` show it meanwhile.
   */
  #refused(docs: ElasticDoc[], status: number): BulkOutcome {
    this.#metrics.inc('elastic_auth_failures');
    const err = new CollectorError(
      'COLLECTOR_ERR_ELASTIC_AUTH',
      `Elasticsearch refused the credentials (HTTP ${status}); check ELASTIC_AUTH or the user:pass@ of ELASTIC_URL`,
      { details: { status } },
    );
    if (!this.#credentialsRefused) {
      this.#log.error(
        { code: err.code, status, spool: this.#c.spoolFile, retryEveryMs: this.#c.retryMaxMs },
        `${err.message}. Documents are spooled to disk and sent again every ELASTIC_RETRY_MAX_MS`,
      );
    } else {
      this.#log.debug({ code: err.code, status, docs: docs.length }, err.message);
    }
    this.#credentialsRefused = true;
    return { retry: docs, requestError: `${err.code}: ${err.message}`, credentialsRefused: true };
  }

  async #deadLetter(docs: ElasticDoc[], status: number, error: unknown): Promise<void> {
    this.#log.error(
      { docs: docs.length, status, file: this.#c.deadLetterFile },
      'Elasticsearch rejected document(s) permanently; written to the dead-letter file',
    );
    const failedAt = new Date().toISOString();
    const lines = docs.map(
      (d) =>
        `${JSON.stringify({
          failed_at: failedAt,
          status,
          error,
          index: this.#c.index,
          id: d.id,
          doc: d.source,
        })}\n`,
    );
    for (const d of docs) this.#pending.delete(d.id);
    const kept = this.#fit(lines, this.#deadLetterSize, this.#c.deadLetterMaxBytes);
    const dropped = lines.length - kept.lines.length;
    this.#metrics.inc('elastic_dead_lettered', kept.lines.length);
    if (dropped > 0) {
      this.#metrics.inc('elastic_dead_letter_dropped', dropped);
      if (!this.#deadLetterFull) {
        this.#log.warn(
          { file: this.#c.deadLetterFile, maxBytes: this.#c.deadLetterMaxBytes },
          'the dead-letter file is full (ELASTIC_DEAD_LETTER_MAX_BYTES); further rejected documents are only counted (the JSONL output has them)',
        );
      }
    }
    this.#deadLetterFull = dropped > 0;
    if (kept.lines.length === 0) return;
    try {
      await appendFile(this.#c.deadLetterFile, kept.lines.join(''));
      this.#deadLetterSize += kept.bytes;
    } catch (err) {
      this.#deadLetterSize = await size(this.#c.deadLetterFile);
      this.#log.error({ err: describeError(err) }, 'cannot write the dead-letter file');
    }
  }

  /** The leading lines that fit under `max` bytes on top of `used`, and their size. */
  #fit(lines: string[], used: number, max: number): { lines: string[]; bytes: number } {
    let bytes = 0;
    let n = 0;
    for (const line of lines) {
      const b = Buffer.byteLength(line);
      if (used + bytes + b > max) break;
      bytes += b;
      n += 1;
    }
    return { lines: lines.slice(0, n), bytes };
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
      let docs = this.#spoolBuffer;
      this.#spoolBuffer = [];
      const all = docs.map((d) => `${JSON.stringify({ id: d.id, source: d.source })}\n`);
      const kept = this.#fit(all, this.#spoolSize, this.#c.spoolMaxBytes);
      this.#spoolCapped(docs.slice(kept.lines.length));
      docs = docs.slice(0, kept.lines.length);
      if (docs.length === 0) return;
      try {
        await appendFile(this.#c.spoolFile, kept.lines.join(''));
        this.#spoolSize += kept.bytes;
        this.#metrics.inc('elastic_spooled', docs.length);
        for (const d of docs) this.#pending.delete(d.id);
      } catch (err) {
        this.#spoolSize = await this.spoolBytes();
        this.#spoolBuffer = docs.concat(this.#spoolBuffer);
        this.#log.error({ err: describeError(err) }, 'cannot write the Elasticsearch spool');
      }
    });
    return this.#spoolWrite;
  }

  /**
   * Drops the documents that did not fit under `ELASTIC_SPOOL_MAX_BYTES` (empty: there was room),
   * with a counter, and a warning when the spool becomes full.
   */
  #spoolCapped(dropped: ElasticDoc[]): void {
    const full = dropped.length > 0;
    if (full) {
      for (const d of dropped) this.#pending.delete(d.id);
      this.#metrics.inc('elastic_spool_dropped', dropped.length);
      if (!this.#spoolFull) {
        this.#log.warn(
          { spool: this.#c.spoolFile, maxBytes: this.#c.spoolMaxBytes },
          'the Elasticsearch spool is full (ELASTIC_SPOOL_MAX_BYTES); new documents are not kept for Elasticsearch (the JSONL output has them)',
        );
      }
    } else if (this.#spoolFull) {
      this.#log.info('the Elasticsearch spool has room again');
    }
    this.#spoolFull = full;
  }

  #scheduleReplay(delayMs: number): void {
    if (this.#replayTimer || this.#replaying || this.#stopping.signal.aborted) return;
    if (this.#abandoned) return;
    this.#replayTimer = setTimeout(() => {
      this.#replayTimer = undefined;
      this.#replaying = this.#replay().finally(() => {
        this.#replaying = undefined;
        // Not done (a failure, or documents spooled again meanwhile): try again later.
        if (this.#spooling) this.#scheduleReplay(this.#c.retryMaxMs);
      });
    }, delayMs);
  }

  /**
   * Replays the spool: moves it aside (new documents keep going to a fresh spool), sends it in
   * `BULK_SIZE` batches, and deletes it once all are stored. After a failure the moved file stays,
   * and the next replay resumes after the last batch stored (a restart starts it from the top;
   * `create` + `_id` makes the repeats 409s). Rescheduled by {@link #scheduleReplay} until done.
   */
  async #replay(): Promise<void> {
    try {
      for (;;) {
        await this.#flushSpoolBuffer();
        if ((await size(this.#replayFile)) === 0) {
          if ((await size(this.#c.spoolFile)) === 0) {
            // Direct indexing from here on: new documents no longer enter the spool...
            this.#spooling = false;
            // ...but some may have entered it while its size was read: those are replayed too.
            await this.#flushSpoolBuffer();
            if (this.#spoolBuffer.length === 0 && (await size(this.#c.spoolFile)) === 0) {
              await unlink(this.#replayFile).catch(() => undefined);
              this.#spoolSize = await this.spoolBytes();
              this.#spoolCapped([]);
              this.#log.info('Elasticsearch spool replayed; back to direct indexing');
              return;
            }
            this.#spooling = true;
            continue;
          }
          await rename(this.#c.spoolFile, this.#replayFile);
          this.#replayOffset = 0;
        }
        if (!(await this.#replayFileOnce())) return;
        await unlink(this.#replayFile);
        this.#replayOffset = 0;
        this.#spoolSize = await this.spoolBytes();
      }
    } catch (err) {
      this.#log.error({ err: describeError(err) }, 'Elasticsearch spool replay failed');
    }
  }

  async #replayFileOnce(): Promise<boolean> {
    const rl = createInterface({
      input: createReadStream(this.#replayFile, { encoding: 'utf8', start: this.#replayOffset }),
      crlfDelay: Infinity,
    });
    let batch: ElasticDoc[] = [];
    // Byte offset just past the last line read (the spool's lines end with a single '\n').
    let offset = this.#replayOffset;
    const send = async (): Promise<boolean> => {
      const leftover = await this.#sendWithRetry(batch);
      this.#metrics.inc('elastic_replayed', batch.length - leftover.length);
      batch = [];
      if (leftover.length > 0) return false;
      this.#replayOffset = offset;
      return true;
    };
    try {
      for await (const line of rl) {
        offset += Buffer.byteLength(line) + 1;
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

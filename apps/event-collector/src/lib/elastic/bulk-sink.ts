import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { ElasticConfig } from '../../config';
import { describeError } from '../errors';
import type { Metrics } from '../metrics';
import type { ElasticDoc } from './bulk-request';
import { BulkSender } from './bulk-sender';
import { DocBuffer, docChars, sumChars } from './doc-buffer';
import { DeadLetterFile, fitLines } from './dead-letter';
import { type SinkFencing, type SinkStep, SpoolFiles } from './spool';
import { spoolLine } from './spool-file';

export type { ElasticDoc } from './bulk-request';
export type { SinkFencing, SinkStep } from './spool';

/**
 * Where the documents Elasticsearch lacks can be read again: the JSONL output, read forward from
 * a receive time (`OutputReplay`), as documents that carry their `at`. Resolves true once the end
 * of the output was reached, false when `onBatch` answered false or `signal` aborted.
 */
export interface ElasticBacklogSource {
  replay(
    from: number,
    onBatch: (docs: ElasticDoc[]) => Promise<boolean>,
    signal: AbortSignal,
  ): Promise<boolean>;
}

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
 * dead-letter file are capped (`ELASTIC_SPOOL_MAX_BYTES`, `ELASTIC_DEAD_LETTER_MAX_BYTES`).
 *
 * Documents that do not fit in the spool are not lost: the JSONL output has them. The sink
 * remembers the receive time of the first one (the *backlog*), reports it through
 * {@link oldestPending} so the checkpoint's `elastic_safe_until` stays there (durable, and shared
 * with the next lease holder), and once the spool is replayed sends the output again from there
 * ({@link ElasticBacklogSource}); at start, {@link resumeFrom} sets the backlog from the checkpoint.
 */
export class ElasticSink {
  readonly #c: ElasticConfig;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #queue = new DocBuffer();
  /** Characters of the batch in the bulk request being sent (held until it is answered). */
  #sendingChars = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> | undefined;
  #spooling = false;
  readonly #spoolBuffer = new DocBuffer();
  /** Characters of the documents being appended to the spool file (held until it is done). */
  #spoolWritingChars = 0;
  /** Set while documents are left to the output because the spool file takes them too slowly. */
  #memoryFull = false;
  /** Received-at of documents neither stored nor on disk yet, in arrival order. */
  readonly #pending = new Map<string, number>();
  #abandoned = false;
  #spoolWrite: Promise<void> = Promise.resolve();
  #replaying: Promise<void> | undefined;
  #replayTimer: NodeJS.Timeout | undefined;
  readonly #stopping = new AbortController();
  /** The `_bulk` round trips, and what they last saw (errors, success, refused credentials). */
  readonly #sender: BulkSender;
  #spoolFull = false;
  readonly #deadLetter: DeadLetterFile;
  /** The spool, the replay file and its offset on disk. */
  readonly #files: SpoolFiles;
  readonly #source: ElasticBacklogSource | undefined;
  /** Receive time from which Elasticsearch may lack documents that are in the output only. */
  #backlog: number | undefined;
  /** Set during a catch-up: the oldest document the full spool dropped meanwhile. */
  #passDrops: number | undefined;
  #catchingUp = false;
  readonly #fencing: SinkFencing;
  #fenced = false;

  constructor(
    config: ElasticConfig,
    logger: Logger,
    metrics: Metrics,
    backlog?: ElasticBacklogSource,
    fencing: SinkFencing = {},
  ) {
    this.#c = config;
    this.#log = logger;
    this.#metrics = metrics;
    this.#source = backlog;
    this.#fencing = fencing;
    const guard = (step: SinkStep): Promise<boolean> => this.#mayChange(step);
    this.#deadLetter = new DeadLetterFile({
      file: config.deadLetterFile,
      maxBytes: config.deadLetterMaxBytes,
      index: config.index,
      logger,
      metrics,
      mayAppend: () => guard({ op: 'dead-letter', path: config.deadLetterFile }),
    });
    this.#files = new SpoolFiles(config.spoolFile, logger, guard);
    this.#sender = new BulkSender(
      config,
      logger,
      metrics,
      {
        stored: (id) => this.#pending.delete(id),
        deadLetter: (docs, status, error) => this.#deadLetterDocs(docs, status, error),
      },
      this.#stopping.signal,
    );
  }

  /** True once a change to its files was refused because the lease is gone (see {@link SinkFencing}). */
  get fenced(): boolean {
    return this.#fenced;
  }

  /**
   * Right before a change to the sink's files: whether it may be made. Never once abandoned;
   * when `mayWrite` says no, the sink stops as {@link abandon} does.
   */
  async #mayChange(step: SinkStep): Promise<boolean> {
    if (this.#abandoned) return false;
    await this.#fencing.beforeStep?.(step);
    if (this.#abandoned) return false;
    if (!this.#fencing.mayWrite || this.#fencing.mayWrite()) return true;
    this.#fenced = true;
    this.#log.warn(
      { step: step.op },
      'the lease is gone: the Elasticsearch sink stops without touching its files (the next holder sends again from the output what Elasticsearch may lack)',
    );
    this.#quit();
    return false;
  }

  /**
   * Before {@link start}: Elasticsearch may lack the records received since `receivedAt` (the
   * checkpoint's `elastic_safe_until`); they are sent again from the output once started.
   */
  resumeFrom(receivedAt: number): void {
    this.#backlog = Math.min(this.#backlog ?? receivedAt, receivedAt);
  }

  /** Starts the flush timer and, if a spool survived a previous run or a backlog is due, the replay. */
  async start(): Promise<void> {
    await mkdir(dirname(this.#c.spoolFile), { recursive: true });
    await this.#deadLetter.open();
    await this.#files.refreshSize();
    const catchUp = this.#backlog !== undefined && this.#source !== undefined;
    if (this.#files.size > 0 || catchUp) {
      this.#spooling = true;
      this.#log.info(
        { spool: this.#files.size > 0 ? this.#c.spoolFile : undefined, backlogSince: this.#since },
        'replaying to Elasticsearch what it may lack (spool, then the output)',
      );
      this.#scheduleReplay(0);
    }
    this.#timer = setInterval(() => void this.#flushSome(), this.#c.flushIntervalMs);
  }

  get #since(): string | undefined {
    return this.#backlog === undefined ? undefined : new Date(this.#backlog).toISOString();
  }

  /** Accepts one document; never waits on Elasticsearch. */
  add(doc: ElasticDoc): void {
    if (this.#abandoned) return;
    if (doc.at !== undefined && !this.#pending.has(doc.id)) this.#pending.set(doc.id, doc.at);
    doc.chars ??= docChars(doc); // measured once, for the memory bound
    if (this.#spooling) {
      this.#toSpool([doc]);
      return;
    }
    this.#queue.push(doc);
    if (
      this.#queue.length > this.#c.queueMax ||
      this.#queue.chars + this.#sendingChars > this.#c.queueMaxBytes
    ) {
      // Memory is bounded: an Elasticsearch that cannot keep up is treated like one that is down.
      this.#log.warn(
        { queued: this.#queue.length, chars: this.#queue.chars + this.#sendingChars },
        'Elasticsearch queue full (ELASTIC_QUEUE_MAX or ELASTIC_QUEUE_MAX_BYTES); spooling to disk',
      );
      this.#enterSpooling(this.#queue.take());
      return;
    }
    if (this.#queue.length >= this.#c.bulkSize) void this.#flushSome();
  }

  status(): {
    queued: number;
    spooling: boolean;
    /** Elasticsearch answers 401/403: ELASTIC_AUTH (or the URL's credentials) is wrong. */
    credentialsRefused: boolean;
    /** The spool reached ELASTIC_SPOOL_MAX_BYTES: new documents wait in the output only. */
    spoolFull: boolean;
    /** Documents received since then are sent again from the output (ISO), see `resumeFrom`. */
    backlogSince: string | undefined;
    deadLetterFull: boolean;
    lastError: string | undefined;
    lastSuccessAt: string | undefined;
  } {
    return {
      queued: this.#queue.length + this.#spoolBuffer.length,
      spooling: this.#spooling,
      credentialsRefused: this.#sender.credentialsRefused,
      spoolFull: this.#spoolFull,
      backlogSince: this.#since,
      deadLetterFull: this.#deadLetter.full,
      lastError: this.#sender.lastError,
      lastSuccessAt:
        this.#sender.lastSuccessAt === undefined
          ? undefined
          : new Date(this.#sender.lastSuccessAt).toISOString(),
    };
  }

  /**
   * The received-at time of the oldest document that is neither in Elasticsearch nor in the spool
   * file, the backlog included (`undefined` when there is none): every record received before it
   * is safe. The checkpoint keeps it as `elastic_safe_until`.
   */
  oldestPending(): number | undefined {
    const first = this.#pending.values().next();
    const times = [first.done ? undefined : first.value, this.#backlog, this.#passDrops];
    const known = times.filter((t): t is number => t !== undefined);
    return known.length === 0 ? undefined : Math.min(...known);
  }

  /** Bytes waiting in the spool files. */
  spoolBytes(): Promise<number> {
    return this.#files.bytes();
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
    if (this.#queue.length > 0) this.#toSpool(this.#queue.take());
    await this.#flushSpoolBuffer();
    await this.#files.settle();
    await this.#files.sync();
  }

  /**
   * Stops without sending or spooling anything more (this instance was fenced out of the lease;
   * the next holder re-sends from the output what Elasticsearch may lack).
   */
  async abandon(): Promise<void> {
    this.#quit();
    await this.#flushing;
    await this.#replaying;
    await this.#spoolWrite;
    await this.#files.settle();
  }

  /** What {@link abandon} does at once: nothing more is sent or spooled, memory dropped. */
  #quit(): void {
    this.#abandoned = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#replayTimer) clearTimeout(this.#replayTimer);
    this.#stopping.abort();
    this.#queue.clear();
    this.#spoolBuffer.clear();
    this.#pending.clear();
  }

  #flushSome(): Promise<void> {
    if (this.#flushing || this.#queue.length === 0 || this.#spooling) {
      return this.#flushing ?? Promise.resolve();
    }
    const batch = this.#queue.take(this.#c.bulkSize);
    this.#sendingChars = sumChars(batch);
    this.#flushing = this.#sender
      .sendWithRetry(batch)
      .then((leftover) => {
        this.#sendingChars = 0;
        if (leftover.length > 0) this.#enterSpooling(leftover.concat(this.#queue.take()));
      })
      .finally(() => {
        this.#sendingChars = 0;
        this.#flushing = undefined;
        if (this.#queue.length >= this.#c.bulkSize && !this.#spooling) void this.#flushSome();
      });
    return this.#flushing;
  }

  async #deadLetterDocs(docs: ElasticDoc[], status: number, error: unknown): Promise<void> {
    for (const d of docs) this.#pending.delete(d.id);
    await this.#deadLetter.write(docs, status, error);
  }

  #enterSpooling(docs: ElasticDoc[]): void {
    if (!this.#spooling) {
      this.#log.warn(
        { spool: this.#c.spoolFile, err: this.#sender.lastError },
        'Elasticsearch unavailable; spooling documents to disk until it answers again',
      );
    }
    this.#spooling = true;
    this.#toSpool(docs);
    this.#scheduleReplay(this.#c.retryMaxMs);
  }

  /**
   * Buffers documents for the spool file. While the file takes them more slowly than they come
   * (a stalled or failing disk), the buffer and the append in progress hold at most
   * `ELASTIC_QUEUE_MAX_BYTES`: documents beyond it are left to the output as a full spool leaves
   * them (see {@link #leaveToOutput}), counted in `elastic_queue_dropped`.
   */
  #toSpool(docs: ElasticDoc[]): void {
    if (this.#abandoned) return;
    const dropped: ElasticDoc[] = [];
    for (const d of docs) {
      const held = this.#spoolBuffer.chars + this.#spoolWritingChars;
      if (held > 0 && held + docChars(d) > this.#c.queueMaxBytes) dropped.push(d);
      else this.#spoolBuffer.push(d);
    }
    if (dropped.length > 0) this.#memoryCapped(dropped);
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
      let docs = this.#spoolBuffer.take();
      const all = docs.map(spoolLine);
      const kept = fitLines(all, this.#files.size, this.#c.spoolMaxBytes);
      this.#spoolCapped(docs.slice(kept.lines.length));
      docs = docs.slice(0, kept.lines.length);
      if (docs.length === 0) return;
      this.#spoolWritingChars = sumChars(docs);
      try {
        await this.#files.append(kept.lines.join(''), kept.bytes);
        this.#metrics.inc('elastic_spooled', docs.length);
        for (const d of docs) this.#pending.delete(d.id);
        this.#memoryFull = false;
      } catch (err) {
        if (this.#abandoned) return; // fenced out: the documents are dropped (see #mayChange)
        await this.#files.refreshSize();
        this.#spoolBuffer.putBack(docs);
        this.#log.error({ err: describeError(err) }, 'cannot write the Elasticsearch spool');
      } finally {
        this.#spoolWritingChars = 0;
      }
    });
    return this.#spoolWrite;
  }

  /**
   * Leaves the documents that did not fit under `ELASTIC_SPOOL_MAX_BYTES` (empty: there was
   * room) to the output: their oldest receive time joins the backlog, sent again from the output
   * once the spool is replayed. A counter, and a warning when the spool becomes full.
   */
  #spoolCapped(dropped: ElasticDoc[]): void {
    const full = dropped.length > 0;
    if (full) {
      this.#leaveToOutput(dropped);
      this.#metrics.inc('elastic_spool_dropped', dropped.length);
      if (!this.#spoolFull) {
        this.#log.warn(
          { spool: this.#c.spoolFile, maxBytes: this.#c.spoolMaxBytes, backlogSince: this.#since },
          'the Elasticsearch spool is full (ELASTIC_SPOOL_MAX_BYTES); new documents wait in the JSONL output and are sent from it once the spool is replayed',
        );
      }
    } else if (this.#spoolFull) {
      this.#log.info('the Elasticsearch spool has room again');
    }
    this.#spoolFull = full;
  }

  /**
   * Documents neither in memory nor on disk: the JSONL output has them. Their oldest receive time
   * joins the backlog, sent again from the output once the spool is replayed.
   */
  #leaveToOutput(dropped: ElasticDoc[]): void {
    for (const d of dropped) {
      this.#pending.delete(d.id);
      if (d.at === undefined) continue;
      if (this.#catchingUp) this.#passDrops = Math.min(this.#passDrops ?? d.at, d.at);
      else this.#backlog = Math.min(this.#backlog ?? d.at, d.at);
    }
  }

  /** {@link #toSpool} could not hold `dropped` under `ELASTIC_QUEUE_MAX_BYTES`. */
  #memoryCapped(dropped: ElasticDoc[]): void {
    this.#leaveToOutput(dropped);
    this.#metrics.inc('elastic_queue_dropped', dropped.length);
    if (this.#memoryFull) return;
    this.#memoryFull = true;
    this.#log.warn(
      { maxBytes: this.#c.queueMaxBytes, backlogSince: this.#since },
      'the Elasticsearch spool file takes documents more slowly than they come (ELASTIC_QUEUE_MAX_BYTES held in memory); new documents wait in the JSONL output and are sent from it once the spool is replayed',
    );
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
   * `BULK_SIZE` batches, and deletes it once all are stored; then catches up the backlog from the
   * output. After a failure the moved file stays, and the next replay resumes after the last batch
   * stored, in this process or the next one ({@link ReplayOffset}). Rescheduled by
   * {@link #scheduleReplay} until done.
   */
  async #replay(): Promise<void> {
    try {
      for (;;) {
        await this.#flushSpoolBuffer();
        if ((await this.#files.replayBytes()) === 0) {
          if ((await this.#files.spoolBytes()) === 0) {
            if (this.#backlog !== undefined && this.#source) {
              // The spool is empty: now what only the output holds (then what was spooled meanwhile).
              if (!(await this.#catchUp(this.#source))) return;
              continue;
            }
            // Direct indexing from here on: new documents no longer enter the spool...
            this.#spooling = false;
            // ...but some may have entered it while its size was read: those are replayed too.
            await this.#flushSpoolBuffer();
            if (this.#spoolBuffer.length === 0 && (await this.#files.spoolBytes()) === 0) {
              await this.#files.dropEmptyReplay();
              await this.#files.refreshSize();
              this.#spoolCapped([]);
              this.#log.info('Elasticsearch spool replayed; back to direct indexing');
              return;
            }
            this.#spooling = true;
            continue;
          }
          await this.#files.beginReplay();
        }
        if (!(await this.#replayFileOnce())) return;
        await this.#files.endReplay();
      }
    } catch (err) {
      if (this.#abandoned) return; // fenced out: stopped before a file change (see #mayChange)
      this.#log.error({ err: describeError(err) }, 'Elasticsearch spool replay failed');
    }
  }

  /** Replays the moved spool file from where it stands (see {@link SpoolFiles.replayOnce}). */
  #replayFileOnce(): Promise<boolean> {
    return this.#files.replayOnce(
      this.#c.bulkSize,
      async (batch) => {
        const leftover = await this.#sender.sendWithRetry(batch);
        this.#metrics.inc('elastic_replayed', batch.length - leftover.length);
        return leftover.length === 0;
      },
      () => !this.#stopping.signal.aborted,
    );
  }

  /**
   * Sends Elasticsearch the output from the backlog on (the documents a full spool dropped, or at
   * start what the last run may not have sent), in `BULK_SIZE` batches. The backlog moves forward
   * with every batch stored, so the checkpoint (`elastic_safe_until`) records the progress. True
   * when the end of the output was reached; documents the spool drops meanwhile start the next
   * pass.
   */
  async #catchUp(source: ElasticBacklogSource): Promise<boolean> {
    const from = this.#backlog ?? Date.now();
    this.#catchingUp = true;
    this.#passDrops = undefined;
    this.#log.info({ since: this.#since }, 'sending Elasticsearch the output it may lack');
    let done = false;
    try {
      done = await source.replay(
        from,
        async (docs) => {
          const leftover = await this.#sender.sendWithRetry(docs);
          this.#metrics.inc('elastic_caught_up', docs.length - leftover.length);
          if (leftover.length > 0) return false;
          const last = docs.at(-1)?.at;
          if (last !== undefined && this.#backlog !== undefined && last > this.#backlog) {
            this.#backlog = last;
          }
          return !this.#stopping.signal.aborted;
        },
        this.#stopping.signal,
      );
    } catch (err) {
      this.#log.error({ err: describeError(err) }, 'could not read the output for Elasticsearch');
    } finally {
      this.#catchingUp = false;
      if (done) this.#backlog = undefined;
      const dropped = this.#passDrops;
      this.#passDrops = undefined;
      if (dropped !== undefined) this.#backlog = Math.min(this.#backlog ?? dropped, dropped);
    }
    if (done) this.#log.info({ backlogSince: this.#since }, 'Elasticsearch has the output again');
    return done;
  }
}

import type { Logger } from 'pino';
import type { Checkpoint, CheckpointFile } from './checkpoint';
import { describeError } from './errors';
import type { JsonlWriter } from './jsonl-writer';
import type { Metrics } from './metrics';

export interface CheckpointerOptions {
  file: CheckpointFile;
  writer: JsonlWriter;
  /** Where uninterrupted reception ends (ChannelManager.coverage). */
  coverage: () => number | undefined;
  /** Start of the oldest gap still to backfill (Backfiller.pendingStart). */
  pendingGapStart: () => number | undefined;
  /** Oldest record not yet in Elasticsearch or its spool; absent without Elasticsearch. */
  elasticPending: (() => number | undefined) | undefined;
  lastEventTime: () => number | undefined;
  /** Fencing token written into the checkpoint (null without a lease). */
  token: number | null;
  /** @default 1000 */
  intervalMs: number;
  logger: Logger;
  metrics: Metrics;
  /**
   * Called before each write; false means "no longer allowed to write" (fenced out), and the
   * checkpoint is left as it is.
   */
  mayWrite?: () => Promise<boolean> | boolean;
  /**
   * Called after each write (the claim's too); false means the write may have replaced a newer
   * lease holder's checkpoint (which was then put back): it does not count as written.
   */
  confirm?: () => Promise<boolean>;
  /** Called by {@link Checkpointer.claim} before it writes (records the claim of the token). */
  recordClaim?: (cp: Checkpoint | undefined) => Promise<void>;
  /** Called after each successful write (e.g. to publish it with the lease). */
  onWritten?: (cp: Checkpoint) => void;
}

/**
 * Writes the checkpoint every `CHECKPOINT_INTERVAL_MS`: it takes the point up to which
 * reception was uninterrupted and every gap recovered, waits until every line accepted up to
 * then is written, fsyncs the output, and only then replaces the checkpoint file. So the
 * checkpoint never claims an event that a crash (even a power cut) could still take away.
 *
 * @example
 * ```ts
 * const cp = new Checkpointer({ file, writer, coverage: () => manager.coverage(), ... }, await file.read());
 * cp.start();
 * await cp.stop(); // one last checkpoint
 * ```
 */
export class Checkpointer {
  readonly #o: CheckpointerOptions;
  #last: Checkpoint | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: CheckpointerOptions, initial: Checkpoint | undefined) {
    this.#o = options;
    this.#last = initial;
  }

  /** The last checkpoint written or read at start. */
  get last(): Checkpoint | undefined {
    return this.#last;
  }

  start(): void {
    this.#timer = setInterval(() => {
      if (!this.#running) void this.tick();
    }, this.#o.intervalMs);
    this.#timer.unref();
  }

  /** Takes and writes one checkpoint (one at a time). */
  tick(): Promise<void> {
    const run = (this.#running ?? Promise.resolve()).then(() => this.#write());
    const mine = run.finally(() => {
      if (this.#running === mine) this.#running = undefined;
    });
    this.#running = mine;
    return mine;
  }

  /**
   * Records this session's claim (`recordClaim`: a file named by the token, which no rename can
   * undo) and writes the checkpoint read at start again under this session's fencing token, so a
   * former lease holder that is still running sees at its next checkpoint that it was replaced.
   */
  async claim(): Promise<void> {
    const o = this.#o;
    if (o.token === null) return;
    const cp = this.#last && { ...this.#last, token: o.token, writtenAt: Date.now() };
    await o.recordClaim?.(cp);
    if (cp === undefined) return;
    await o.file.write(cp);
    if (o.confirm && !(await o.confirm())) return;
    this.#last = cp;
    o.onWritten?.(cp);
  }

  /** Stops the timer and writes a last checkpoint unless `write` is false (fenced out). */
  async stop(write = true): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (write && !this.#stopped) await this.tick();
    else await this.#running;
    this.#stopped = true;
  }

  async #write(): Promise<void> {
    if (this.#stopped) return;
    const o = this.#o;
    const now = Date.now();
    const candidates = [o.coverage(), o.pendingGapStart()].filter(
      (t): t is number => t !== undefined,
    );
    const safeUntil = candidates.length > 0 ? Math.min(...candidates) : this.#last?.safeUntil;
    if (safeUntil === undefined) return; // nothing received yet and no earlier checkpoint
    const elasticSafeUntil = o.elasticPending ? (o.elasticPending() ?? now) : null;
    const lastEventTime = o.lastEventTime() ?? this.#last?.lastEventTime ?? null;
    const accepted = o.writer.accepted;
    try {
      await o.writer.whenWritten(accepted);
      await o.writer.sync();
      if (o.mayWrite && !(await o.mayWrite())) return;
      const cp: Checkpoint = {
        safeUntil,
        elasticSafeUntil,
        lastEventTime,
        token: o.token,
        writtenAt: now,
      };
      await o.file.write(cp);
      if (o.confirm && !(await o.confirm())) return;
      this.#last = cp;
      o.metrics.inc('checkpoints_written');
      o.onWritten?.(cp);
    } catch (err) {
      o.metrics.inc('errors');
      o.logger.error({ err: describeError(err) }, 'could not write the checkpoint');
    }
  }
}

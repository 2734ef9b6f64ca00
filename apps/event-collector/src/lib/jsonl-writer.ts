import { type FileHandle, mkdir, open, readdir, rename } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { Backoff, sleep } from './backoff';
import { syncDir } from './checkpoint';
import { CollectorError, describeError, fencedError, isFenced } from './errors';
import { repairBackupNumbers, repairTornTail } from './output-repair';

/**
 * Most bytes handed to one `write` call. A batch is written in chunks of whole lines of at most
 * this size (a longer line is one chunk), and the lease is checked before each chunk, so an
 * instance that lost the lease stops writing between two chunks, never in the middle of a line.
 */
export const WRITE_CHUNK_BYTES = 64 * 1024;

/** Default `queueMaxBytes`: 64 Mi characters of queued lines. */
export const DEFAULT_QUEUE_MAX_BYTES = 64 * 1024 * 1024;

/** A change the writer is about to make to the output folder (see `beforeStep`). */
export type OutputStep =
  | { op: 'write'; bytes: number }
  | { op: 'truncate'; size: number }
  | { op: 'rename'; from: string; to: string }
  | { op: 'open' | 'sync' | 'list' | 'sync-dir'; path: string };

export interface JsonlWriterOptions {
  file: string;
  /** Rotate before a write would take the file past this many bytes. @default 10485760 */
  maxFileSize: number;
  /** Rotated files kept as `<file>.1` (newest) … `<file>.N` (oldest). @default 5 */
  backupCount: number;
  /** Queue depth at which {@link JsonlWriter.enqueue} asks the producer to pause. @default 10000 */
  queueMax: number;
  /**
   * Characters queued (or in the batch being written) at which {@link JsonlWriter.enqueue} asks
   * the producer to pause, whatever the line count: 10,000 lines of 1 MB events would otherwise
   * be 10 GB. @default 67108864 (64 Mi)
   */
  queueMaxBytes?: number;
  logger: Logger;
  onRotate?: () => void;
  onWriteError?: (err: unknown) => void;
  /** A gap in the backup numbers was closed at open (how many files were renamed). */
  onRotationRepaired?: (renamed: number) => void;
  /** A torn last line was found at open and moved to `<file>.torn` (its size in bytes). */
  onTorn?: (bytes: number) => void;
  /**
   * Asked before every change to the output folder: each write chunk (see
   * {@link WRITE_CHUNK_BYTES}), each step of a rotation (fsync, listing, every rename, folder
   * fsync, open) and of the repairs at open. False means this instance may no longer write (it
   * lost the lease): the writer stops there for good and drops what is queued, which the next
   * lease holder backfills from the checkpoint. A rotation stopped this way leaves a gap in the
   * backup numbers (or no live file), which the next holder's {@link JsonlWriter.open} repairs.
   */
  mayWrite?: () => boolean;
  /** @internal Test seam: opens the output file (default: `fs/promises` `open`). */
  openFile?: (path: string, flags: string) => Promise<FileHandle>;
  /**
   * @internal Test seam: awaited before each {@link OutputStep}, just before `mayWrite` is asked
   * (a test stalls the writer here, or lets another instance act in between).
   */
  beforeStep?: (step: OutputStep) => Promise<void> | void;
}

/**
 * Appends JSON lines to a file through a bounded in-memory queue, a batch at a time in chunks of
 * whole lines, with size-based rotation (`.1` … `.N`, oldest deleted), fsync at each rotation and
 * at close. Lines are never split across files, and a failed write keeps its lines queued and
 * retries, so an accepted line is only ever lost with the process's memory, never by the writer.
 * A write that failed part-way (disk full) is cut off the file before the retry, so no fragment
 * stays behind. With `mayWrite` (the lease), every change to the folder is checked just before it
 * is made.
 *
 * @example
 * ```ts
 * const w = new JsonlWriter({ file: 'events.jsonl', maxFileSize: 10 << 20, backupCount: 5, queueMax: 10_000, logger });
 * await w.open();
 * if (!w.enqueue(JSON.stringify(record))) await w.whenWritable();
 * await w.close();
 * ```
 */
export class JsonlWriter {
  readonly #o: JsonlWriterOptions;
  #fh: FileHandle | undefined;
  #size = 0;
  #queue: string[] = [];
  /** Characters in {@link #queue}, and in the batch the pump is writing. */
  #queuedChars = 0;
  #batchChars = 0;
  #pumping: Promise<void> = Promise.resolve();
  #running = false;
  #waiters: (() => void)[] = [];
  #closed = false;
  #lastError: string | undefined;
  #written = 0;
  #accepted = 0;
  #fenced = false;
  #writtenWaiters: { n: number; resolve: () => void }[] = [];
  /**
   * Set when a write failed: the file (this handle) may hold part of it after `size`, which must
   * be cut off before anything else is written.
   */
  #cutBack: { fh: FileHandle; size: number } | undefined;

  constructor(options: JsonlWriterOptions) {
    this.#o = options;
  }

  /**
   * Opens (creating parent folders) and repairs the end of the file: a torn last line left by a
   * crash is moved to `<file>.torn`, a whole last record without its newline gets one. Throws
   * `COLLECTOR_ERR_FENCED`, having changed nothing more, as soon as `mayWrite` says no. A failure
   * after the file was opened (the repair, the size read) closes and forgets that handle first.
   */
  async open(): Promise<void> {
    const check = (): void => this.#checkAllowed();
    let opened: FileHandle | undefined;
    try {
      check();
      await mkdir(dirname(this.#o.file), { recursive: true });
      const renamed = await repairBackupNumbers(this.#o.file, check);
      if (renamed > 0) {
        this.#o.logger.warn(
          { file: this.#o.file, renamed },
          'the backup numbers had a gap (a crash during rotation); renumbered them in order',
        );
        this.#o.onRotationRepaired?.(renamed);
      }
      await this.#guard({ op: 'open', path: this.#o.file });
      opened = await this.#open(this.#o.file);
      this.#fh = opened;
      // A file ending mid-line would glue our first record to it.
      const tail = await repairTornTail(this.#fh, this.#o.file, check);
      if (tail.kind === 'torn') {
        this.#o.logger.warn(
          { file: this.#o.file, bytes: tail.bytes, tornFile: tail.tornFile },
          'the output ended with a torn line (a crash mid-write); moved it to the .torn file',
        );
        this.#o.onTorn?.(tail.bytes);
      }
      this.#size = (await this.#fh.stat()).size;
    } catch (err) {
      if (opened) {
        if (this.#fh === opened) this.#fh = undefined;
        await opened.close().catch(() => undefined);
      }
      if (isFenced(err)) throw err;
      throw new CollectorError(
        'COLLECTOR_ERR_OUTPUT',
        `cannot open output file ${this.#o.file}: ${describeError(err)}`,
        { cause: err },
      );
    }
  }

  /**
   * Queues one line (without its newline). Returns false once the queue is at `queueMax`: the
   * line is still accepted, but the producer should pause until {@link whenWritable}.
   */
  enqueue(line: string): boolean {
    if (this.#fenced) return true; // no longer ours to write; the next holder backfills it
    if (this.#closed) throw new CollectorError('COLLECTOR_ERR_OUTPUT', 'writer is closed');
    this.#queue.push(line);
    this.#queuedChars += line.length;
    this.#accepted += 1;
    if (!this.#running) {
      // Set synchronously, and cleared synchronously when the pump's loop ends: a line queued
      // in between can never be stranded without a pump.
      this.#running = true;
      this.#pumping = this.#pump();
    }
    return (
      this.#queue.length < this.#o.queueMax && this.#queuedChars + this.#batchChars < this.#maxChars
    );
  }

  get #maxChars(): number {
    return this.#o.queueMaxBytes ?? DEFAULT_QUEUE_MAX_BYTES;
  }

  /** Below half of both caps: a paused producer may go on. */
  get #hasRoom(): boolean {
    return (
      this.#queue.length < this.#o.queueMax / 2 &&
      this.#queuedChars + this.#batchChars < this.#maxChars / 2
    );
  }

  /** Resolves when the queue has drained below half of `queueMax` (and of `queueMaxBytes`). */
  whenWritable(): Promise<void> {
    if (this.#hasRoom) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Lines waiting to be written. */
  get depth(): number {
    return this.#queue.length;
  }

  get written(): number {
    return this.#written;
  }

  /** Lines accepted by {@link enqueue} so far (written or still queued). */
  get accepted(): number {
    return this.#accepted;
  }

  /**
   * Resolves once the first `n` accepted lines are written (lines are written in order), even
   * while newer lines keep arriving; resolves at once after {@link close}.
   */
  whenWritten(n: number): Promise<void> {
    if (this.#written >= n || this.#closed || this.#fenced) return Promise.resolve();
    return new Promise((resolve) => this.#writtenWaiters.push({ n, resolve }));
  }

  /** fsyncs what is written so far (the current file; rotated files were fsynced at rotation). */
  async sync(): Promise<void> {
    await this.#fh?.sync();
  }

  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** Resolves once every line queued so far is written (not necessarily fsynced). */
  async flush(): Promise<void> {
    while (this.#running) await this.#pumping;
  }

  /** True once a write was refused because this instance no longer holds the lease. */
  get fenced(): boolean {
    return this.#fenced;
  }

  /**
   * Stops without writing anything more (fenced out): drops the queue, waits for a write already
   * under way, and closes the file without touching it again.
   */
  async abandon(): Promise<void> {
    this.#fenced = true;
    this.#queue = [];
    this.#queuedChars = 0;
    await this.flush();
    this.#closed = true;
    const fh = this.#fh;
    this.#fh = undefined;
    await fh?.close().catch(() => undefined);
    this.#release();
    this.#releaseWritten();
  }

  /** Writes everything queued, fsyncs and closes. Idempotent. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    const fh = this.#fh;
    this.#fh = undefined;
    if (fh) {
      await fh.sync().catch(() => undefined);
      await fh.close();
    }
    this.#release();
    this.#releaseWritten();
  }

  async #pump(): Promise<void> {
    const backoff = new Backoff({ initialMs: 100, maxMs: 5000 });
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        this.#batchChars = this.#queuedChars;
        this.#queuedChars = 0;
        try {
          await this.#writeBatch(batch);
          this.#batchChars = 0;
          backoff.reset();
          this.#lastError = undefined;
        } catch (err) {
          if (isFenced(err)) {
            this.#fenced = true;
            this.#queue = [];
            this.#queuedChars = 0;
            this.#batchChars = 0;
            this.#o.logger.warn('no longer the lease holder: stopped writing');
            break;
          }
          // Keep the unwritten lines, in order, ahead of anything queued meanwhile.
          this.#queue = batch.concat(this.#queue);
          this.#queuedChars += this.#batchChars;
          this.#batchChars = 0;
          this.#lastError = describeError(err);
          this.#o.onWriteError?.(err);
          this.#o.logger.error(
            { err: this.#lastError, queued: this.#queue.length },
            'write failed',
          );
          await sleep(backoff.next());
          if (!this.#fh) await this.open().catch(() => undefined);
        }
        if (this.#hasRoom) this.#release();
      }
    } finally {
      this.#running = false;
      this.#release();
      this.#releaseWritten();
    }
  }

  #open(path: string): Promise<FileHandle> {
    return (this.#o.openFile ?? open)(path, 'a+');
  }

  /**
   * Writes lines in chunks of whole lines, rotating between lines; on failure, the unwritten rest
   * is re-thrown to the pump.
   */
  async #writeBatch(lines: string[]): Promise<void> {
    // Never append after the fragment of a failed write: the line would no longer parse. If the
    // cut fails, this throws and the pump retries it with backoff, the lines still queued.
    await this.#cutFailedWrite();
    let parts: string[] = [];
    let bytes = 0;
    let done = 0;
    const commit = async (): Promise<void> => {
      if (parts.length === 0) return;
      await this.#writeAll(Buffer.from(parts.join(''), 'utf8'));
      this.#written += parts.length;
      done += parts.length;
      this.#releaseWritten();
      parts = [];
      bytes = 0;
    };
    try {
      for (const line of lines) {
        const text = `${line}\n`;
        const len = Buffer.byteLength(text, 'utf8');
        if (this.#size + bytes + len > this.#o.maxFileSize && this.#size + bytes > 0) {
          await commit();
          await this.#rotate();
        } else if (bytes > 0 && bytes + len > WRITE_CHUNK_BYTES) {
          await commit();
        }
        parts.push(text);
        bytes += len;
      }
      await commit();
    } catch (err) {
      lines.splice(0, done);
      throw err;
    }
  }

  #checkAllowed(): void {
    if (this.#o.mayWrite && !this.#o.mayWrite()) throw fencedError();
  }

  /** Right before a change to the output folder: throws `COLLECTOR_ERR_FENCED` if not allowed. */
  async #guard(step: OutputStep): Promise<void> {
    await this.#o.beforeStep?.(step);
    this.#checkAllowed();
  }

  async #writeAll(buf: Buffer): Promise<void> {
    const fh = this.#fh;
    if (!fh) throw new CollectorError('COLLECTOR_ERR_OUTPUT', 'output file is not open');
    const before = this.#size;
    let off = 0;
    try {
      while (off < buf.length) {
        await this.#guard({ op: 'write', bytes: buf.length - off });
        const { bytesWritten } = await fh.write(buf, off, buf.length - off);
        off += bytesWritten;
        this.#size += bytesWritten;
      }
    } catch (err) {
      // Part of `buf` may be in the file (a short write, then ENOSPC): cut back before the retry.
      this.#cutBack = { fh, size: before };
      throw err;
    }
  }

  /** Truncates the file back to its size before the failed write, if a write failed. */
  async #cutFailedWrite(): Promise<void> {
    const cut = this.#cutBack;
    if (cut === undefined) return;
    if (cut.fh !== this.#fh) {
      // Reopened since: a torn tail was repaired at open, and this size belongs to another handle.
      this.#cutBack = undefined;
      return;
    }
    await this.#guard({ op: 'truncate', size: cut.size });
    await cut.fh.truncate(cut.size);
    const bytes = this.#size - cut.size;
    this.#size = cut.size;
    this.#cutBack = undefined;
    if (bytes > 0) {
      this.#o.logger.warn(
        { file: this.#o.file, bytes },
        'cut the part of a failed write off the output before retrying it',
      );
    }
  }

  /**
   * `.N-1` → `.N`, …, `.1` → `.2`, live → `.1`, then a new live file; the lease is checked before
   * each step. Stopped part-way (fenced out), it leaves one gap in the numbers (or no live file),
   * as a crash would, and the next holder's {@link open} closes it.
   */
  async #rotate(): Promise<void> {
    const f = this.#o.file;
    const dir = dirname(f);
    const fh = this.#fh;
    this.#fh = undefined;
    if (fh) {
      try {
        await this.#guard({ op: 'sync', path: f });
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
    // One directory listing instead of a stat per possible backup.
    await this.#guard({ op: 'list', path: dir });
    const present = new Set(await readdir(dir));
    const name = basename(f);
    for (let i = this.#o.backupCount - 1; i >= 1; i -= 1) {
      if (present.has(`${name}.${i}`)) await this.#rename(`${f}.${i}`, `${f}.${i + 1}`);
    }
    await this.#rename(f, `${f}.1`);
    await this.#guard({ op: 'sync-dir', path: dir });
    await syncDir(dir);
    await this.#guard({ op: 'open', path: f });
    this.#fh = await this.#open(f);
    this.#size = 0;
    this.#o.onRotate?.();
    this.#o.logger.info({ file: f, backups: this.#o.backupCount }, 'rotated output file');
  }

  async #rename(from: string, to: string): Promise<void> {
    await this.#guard({ op: 'rename', from, to });
    await rename(from, to);
  }

  #releaseWritten(): void {
    if (this.#writtenWaiters.length === 0) return;
    const still: { n: number; resolve: () => void }[] = [];
    for (const w of this.#writtenWaiters) {
      if (this.#written >= w.n || this.#closed || this.#fenced) w.resolve();
      else still.push(w);
    }
    this.#writtenWaiters = still;
  }

  #release(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const fn of w) fn();
  }
}

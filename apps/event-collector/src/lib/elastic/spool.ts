import { appendFile, open, rename, unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import { describeError, fencedError } from '../errors';
import type { ElasticDoc } from './bulk-request';
import { fileSize as size } from './dead-letter';
import { fileIdentity, ReplayOffset } from './replay-offset';
import { readSpool } from './spool-file';

/** A change the Elasticsearch sink is about to make to one of its files (see {@link StepGuard}). */
export type SinkStep =
  | { op: 'append'; path: string }
  | { op: 'rename'; from: string; to: string }
  | { op: 'unlink'; path: string }
  | { op: 'write-offset'; path: string }
  | { op: 'clear-offset'; path: string }
  | { op: 'dead-letter'; path: string }
  | { op: 'sync'; path: string };

/** Asked right before each {@link SinkStep}: false means the step must not be made (lease lost). */
export type StepGuard = (step: SinkStep) => Promise<boolean>;

/** How the sink learns that it may no longer change the shared folder (the lease). */
export interface SinkFencing {
  /**
   * Asked right before every change to the sink's files: spool append, `.replaying` rename and
   * unlink, `.offset` write and delete, dead-letter append, fsync. False: the change is not made
   * and the sink stops for good as `ElasticSink.abandon` does (what is in memory is
   * dropped; the next lease holder sends again from the output what Elasticsearch may lack).
   */
  mayWrite?: () => boolean;
  /**
   * @internal Test seam: awaited before each {@link SinkStep}, just before `mayWrite` is asked
   * (a test takes the lease away here, between two steps).
   */
  beforeStep?: (step: SinkStep) => Promise<void> | void;
}

/**
 * The Elasticsearch sink's files on disk: the spool (`ELASTIC_SPOOL_FILE`, appended while
 * Elasticsearch is unavailable), the replay file it is moved to (`<spool>.replaying`) and the
 * replay offset beside it ({@link ReplayOffset}). It keeps the bytes in both files as they are
 * appended, and where the replay of the moved file stands. What to send, and when, is the sink's.
 *
 * Every change to these files (append, rename, unlink, offset write and delete, fsync) asks the
 * {@link StepGuard} right before it is made; when it says no, the file is left untouched and the
 * method throws `COLLECTOR_ERR_FENCED` (an offset save is dropped, {@link sync} skipped).
 */
export class SpoolFiles {
  readonly spoolFile: string;
  readonly replayFile: string;
  readonly #log: Logger;
  /** Bytes in the spool file and the file being replayed (kept as they are appended). */
  size = 0;
  /** Where the replay of the moved spool file resumes: the end of the last batch it stored. */
  #replayOffset = 0;
  /** The same, on disk beside the replay file (read at the first replay, saved per batch). */
  readonly #offset: ReplayOffset;
  readonly #guard: StepGuard;

  constructor(spoolFile: string, logger: Logger, guard: StepGuard) {
    this.spoolFile = spoolFile;
    this.replayFile = `${spoolFile}.replaying`;
    this.#log = logger;
    this.#guard = guard;
    this.#offset = new ReplayOffset(
      this.replayFile,
      (err) =>
        logger.warn({ err: describeError(err) }, 'cannot save where the spool replay stands'),
      (op) =>
        guard({ op: op === 'write' ? 'write-offset' : 'clear-offset', path: this.#offset.path }),
    );
  }

  /** Throws `COLLECTOR_ERR_FENCED` unless the guard allows `step` now. */
  async #allow(step: SinkStep): Promise<void> {
    if (!(await this.#guard(step))) throw fencedError();
  }

  /** Bytes waiting in the spool files (read from disk). */
  async bytes(): Promise<number> {
    return (await this.spoolBytes()) + (await this.replayBytes());
  }

  /** Reads {@link size} again from disk. */
  async refreshSize(): Promise<void> {
    this.size = await this.bytes();
  }

  /** Bytes in the spool file alone (what has not been moved aside for a replay). */
  spoolBytes(): Promise<number> {
    return size(this.spoolFile);
  }

  /** Bytes in the replay file alone. */
  replayBytes(): Promise<number> {
    return size(this.replayFile);
  }

  /** Appends `text` (whole spool lines, `bytes` long) to the spool. */
  async append(text: string, bytes: number): Promise<void> {
    await this.#allow({ op: 'append', path: this.spoolFile });
    await appendFile(this.spoolFile, text);
    this.size += bytes;
  }

  /** Moves the spool aside as the new replay file (the previous file's offset deleted first). */
  async beginReplay(): Promise<void> {
    // A saved offset belongs to the file replayed before: gone first, then the new file.
    await this.#offset.clear();
    await this.#allow({ op: 'rename', from: this.spoolFile, to: this.replayFile });
    await rename(this.spoolFile, this.replayFile);
    this.#replayOffset = 0;
  }

  /** The replay file is all stored: its offset, then the file, are deleted. */
  async endReplay(): Promise<void> {
    await this.#offset.clear();
    await this.#allow({ op: 'unlink', path: this.replayFile });
    await unlink(this.replayFile);
    this.#replayOffset = 0;
    await this.refreshSize();
  }

  /** Deletes an empty replay file left behind, if any (direct indexing from here on). */
  async dropEmptyReplay(): Promise<void> {
    await this.#allow({ op: 'unlink', path: this.replayFile });
    await unlink(this.replayFile).catch(() => undefined);
  }

  /**
   * Reads the replay file from where it stands in batches of `batchSize`, each given to `send`
   * (true: stored); the offset moves past every batch stored. True at the end of the file (or
   * without one), false when `send` said no or `goOn` answered false after a batch.
   */
  async replayOnce(
    batchSize: number,
    send: (batch: ElasticDoc[]) => Promise<boolean>,
    goOn: () => boolean,
  ): Promise<boolean> {
    const file = await fileIdentity(this.replayFile);
    if (!file) return true;
    if (this.#replayOffset === 0) {
      // A replay a previous run (or the previous lease holder) interrupted: resume after its last batch.
      this.#replayOffset = await this.#offset.read(file);
      if (this.#replayOffset > 0) {
        this.#log.info(
          { offset: this.#replayOffset, size: file.size },
          'resuming the Elasticsearch spool replay after the last batch stored',
        );
      }
    }
    return readSpool(
      this.replayFile,
      this.#replayOffset,
      batchSize,
      async (batch, end) => {
        if (!(await send(batch))) return false;
        this.#replayOffset = end;
        this.#offset.save(file.id, end);
        return goOn();
      },
      () => this.#log.warn('skipping an unreadable spool line'),
    );
  }

  /** Waits for the offset save in progress (shutdown). */
  settle(): Promise<void> {
    return this.#offset.settle();
  }

  /** Fsyncs the spool file if it holds anything (shutdown: the next start replays it). */
  async sync(): Promise<void> {
    if (
      (await this.spoolBytes()) > 0 &&
      (await this.#guard({ op: 'sync', path: this.spoolFile }))
    ) {
      const fh = await open(this.spoolFile, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    }
  }
}

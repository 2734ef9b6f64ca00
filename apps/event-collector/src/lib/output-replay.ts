import { type FileHandle, open, stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';
import { parseRecord, type TailRecord } from './output-tail';

export interface OutputReplayOptions {
  /** `OUTPUT_FILE`; its backups are `<file>.1` (newest) … `<file>.<backupCount>`. */
  file: string;
  backupCount: number;
  /**
   * Records received up to this long before the starting point are read too: lines are appended
   * in the order they were accepted, but an earlier lease holder's clock may differ from ours.
   */
  slackMs: number;
  /** Records per batch handed over. */
  batchSize: number;
  /** Resolves once every line accepted so far is written (so the read sees all of them). */
  settled: () => Promise<void>;
  logger: Logger;
}

/** One file of the output: its path now, and its inode (which a rotation keeps). */
interface OutputFile {
  path: string;
  id: string;
}

/** The output's files that exist, oldest first (`<file>.N` … `<file>.1`, `<file>`). */
async function outputFiles(file: string, backupCount: number): Promise<OutputFile[]> {
  const out: OutputFile[] = [];
  for (let i = backupCount; i >= 0; i -= 1) {
    const path = i === 0 ? file : `${file}.${i}`;
    try {
      out.push({ path, id: (await stat(path, { bigint: true })).ino.toString() });
    } catch {
      // Not there (fewer backups so far, or renamed this instant): the next listing sees it.
    }
  }
  return out;
}

/** Waits for `settled`, or until `signal` aborts (without leaving a listener on it). */
async function settledUnlessAborted(settled: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  let onAbort = (): void => undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([settled, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** The receive time of the first record of a file (`undefined`: none in its first lines). */
async function firstReceivedAt(path: string): Promise<number | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined;
  }
  const stream = fh.createReadStream({ encoding: 'utf8' });
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    let n = 0;
    for await (const line of rl) {
      const rec = parseRecord(line);
      if (rec) return rec.receivedAt;
      if ((n += 1) >= 16) return undefined;
    }
    return undefined;
  } finally {
    rl.close();
    stream.destroy();
  }
}

/**
 * Reads the JSONL output forward from a receive time to its current end, oldest file first, and
 * hands the records over in batches: how the collector gives Elasticsearch what it lacks (the
 * documents a full spool dropped, and at start what the last run may not have sent) from the
 * system of record instead of from memory. Memory stays at one batch whatever the size of the
 * output.
 *
 * Files are followed by inode, so a rotation while reading (every file renamed one number up,
 * the oldest deleted) neither skips nor repeats a file. The read ends at the end of the file that
 * is the live output when it is reached, after waiting for every line accepted before the call
 * to be written: the records accepted later reach Elasticsearch the ordinary way.
 *
 * @example
 * ```ts
 * const replay = new OutputReplay({ file, backupCount: 5, slackMs: 600_000, batchSize: 50, settled, logger });
 * const complete = await replay.replay(since, async (records) => send(records), signal);
 * ```
 */
export class OutputReplay {
  readonly #o: OutputReplayOptions;

  constructor(options: OutputReplayOptions) {
    this.#o = options;
  }

  /**
   * Hands every record received at or after `from` (less the slack) to `onBatch`, in output
   * order. Resolves true once the end of the output is reached, false as soon as `onBatch`
   * answers false or `signal` aborts.
   */
  async replay(
    from: number,
    onBatch: (records: TailRecord[]) => Promise<boolean>,
    signal: AbortSignal,
  ): Promise<boolean> {
    const o = this.#o;
    await settledUnlessAborted(o.settled(), signal);
    const since = from - o.slackMs;
    let files = await outputFiles(o.file, o.backupCount);
    let current = await this.#startFile(files, since, from);
    let batch: TailRecord[] = [];
    const flush = async (): Promise<boolean> => {
      const records = batch;
      batch = [];
      return records.length === 0 || (await onBatch(records));
    };
    let moved = 0;
    while (current !== undefined) {
      if (signal.aborted) return false;
      const id = current;
      const file = files.find((f) => f.id === id) ?? files[0];
      if (!file) break;
      const read = await this.#readFile(file, since, signal, async (rec) => {
        batch.push(rec);
        return batch.length < o.batchSize || (await flush());
      });
      if (read === 'stopped') return false;
      files = await outputFiles(o.file, o.backupCount);
      if (read === 'moved') {
        // Renamed between listing and opening: look it up again (a rotation is quick).
        if ((moved += 1) > 20) throw new Error(`cannot open the output file ${file.path}`);
        continue;
      }
      moved = 0;
      const k = files.findIndex((f) => f.id === file.id);
      // Gone: it was the oldest and a rotation deleted it, so the oldest file left comes next.
      current = (k < 0 ? files[0] : files[k + 1])?.id;
    }
    return !signal.aborted && (await flush());
  }

  /**
   * The newest file whose first record is not after `since` (the starting point less the slack),
   * else the oldest (inode); a warning when the output no longer reaches back to `from`.
   */
  async #startFile(
    files: readonly OutputFile[],
    since: number,
    from: number,
  ): Promise<string | undefined> {
    // The loop reads the oldest file's first record last: kept for the warning below.
    let first: number | undefined;
    for (let i = files.length - 1; i >= 0; i -= 1) {
      const f = files[i];
      first = f === undefined ? undefined : await firstReceivedAt(f.path);
      if (f && first !== undefined && first <= since) return f.id;
    }
    if (files.length > this.#o.backupCount) {
      if (first !== undefined && first > from) {
        this.#o.logger.warn(
          { since: new Date(from).toISOString(), oldest: new Date(first).toISOString() },
          'the output no longer holds the records received before its oldest backup (rotated away); Elasticsearch cannot get those from it',
        );
      }
    }
    return files[0]?.id;
  }

  /** Reads one file to its end; `moved` when the path no longer names that file. */
  async #readFile(
    file: OutputFile,
    since: number,
    signal: AbortSignal,
    onRecord: (rec: TailRecord) => Promise<boolean>,
  ): Promise<'done' | 'moved' | 'stopped'> {
    let fh: FileHandle;
    try {
      fh = await open(file.path, 'r');
    } catch {
      return 'moved';
    }
    const moved = await fh.stat({ bigint: true }).then(
      (st) => st.ino.toString() !== file.id,
      () => true,
    );
    if (moved) {
      await fh.close();
      return 'moved';
    }
    const stream = fh.createReadStream({ encoding: 'utf8' });
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    try {
      for await (const line of rl) {
        // A line still being appended (no newline yet) does not parse and is left out: it was
        // accepted after the call, so it reaches Elasticsearch the ordinary way.
        const rec = parseRecord(line);
        if (!rec || rec.receivedAt < since) continue;
        if (!(await onRecord(rec)) || signal.aborted) return 'stopped';
      }
      return 'done';
    } finally {
      rl.close();
      stream.destroy();
    }
  }
}

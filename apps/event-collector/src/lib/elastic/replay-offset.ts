import { open, readFile, stat, unlink } from 'node:fs/promises';
import { z } from 'zod';
import { writeFileAtomic } from '../checkpoint';
import { fencedError } from '../errors';

const savedSchema = z.object({
  version: z.literal(1),
  /** The inode of the replay file the offset belongs to (as text: inodes can pass 2^53). */
  file_id: z.string().min(1),
  offset: z.number().int().nonnegative(),
});

/** The identity (inode) and size of a file; `undefined` when it does not exist. */
export async function fileIdentity(
  path: string,
): Promise<{ id: string; size: number } | undefined> {
  try {
    const st = await stat(path, { bigint: true });
    return { id: st.ino.toString(), size: Number(st.size) };
  } catch {
    return undefined;
  }
}

/** Whether the byte before `offset` is a newline, so `offset` is the start of a line. */
async function startsLine(path: string, offset: number): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(1);
    const { bytesRead } = await fh.read(b, 0, 1, offset - 1);
    return bytesRead === 1 && b[0] === 0x0a;
  } finally {
    await fh.close();
  }
}

/**
 * Where the replay of the moved spool file (`<spool>.replaying`) resumes: the byte offset just
 * past the last batch Elasticsearch stored, kept in `<spool>.replaying.offset` beside it and
 * replaced atomically like the checkpoint. The spool lives in the output folder, which several
 * instances share, so a restart, or the instance that takes the lease over, continues where the
 * replay stopped instead of sending the whole file again.
 *
 * The offset names the file it belongs to by inode, and is used only for that file, within its
 * size and at a line start; otherwise the replay starts from the top, which is always safe
 * (`create` with the same `_id` answers 409). The sink deletes it before a new file becomes the
 * replay file and before the replay file is deleted, so it never outlives its file.
 *
 * @example
 * ```ts
 * const offset = new ReplayOffset('/data/elastic-spool.jsonl.replaying', (err) => log.warn(err));
 * const from = await offset.read(); // 0 without a saved offset for this very file
 * offset.save(identity.id, 4096); // in the background; the latest value wins
 * await offset.clear();
 * ```
 */
export class ReplayOffset {
  readonly #replayFile: string;
  readonly path: string;
  readonly #onError: (err: unknown) => void;
  #saving: Promise<void> = Promise.resolve();
  #queued = false;
  #next: { fileId: string; offset: number } | undefined;
  readonly #mayChange: (op: 'write' | 'clear') => Promise<boolean>;

  /**
   * `mayChange` is asked right before each write and each delete of the offset file (the lease):
   * false leaves the file as it is (a save is dropped, {@link clear} throws `COLLECTOR_ERR_FENCED`).
   */
  constructor(
    replayFile: string,
    onError: (err: unknown) => void,
    mayChange: (op: 'write' | 'clear') => Promise<boolean> = () => Promise.resolve(true),
  ) {
    this.#replayFile = replayFile;
    this.path = `${replayFile}.offset`;
    this.#onError = onError;
    this.#mayChange = mayChange;
  }

  /**
   * The saved offset if it belongs to the replay file as it is now, else 0. `file`: the replay
   * file's identity when the caller has just read it (else it is read here).
   */
  async read(file?: { readonly id: string; readonly size: number }): Promise<number> {
    let saved: z.infer<typeof savedSchema>;
    try {
      saved = savedSchema.parse(JSON.parse(await readFile(this.path, 'utf8')));
    } catch {
      return 0;
    }
    const current = file ?? (await fileIdentity(this.#replayFile));
    if (!current || current.id !== saved.file_id || saved.offset > current.size) return 0;
    if (
      saved.offset > 0 &&
      !(await startsLine(this.#replayFile, saved.offset).catch(() => false))
    ) {
      return 0;
    }
    return saved.offset;
  }

  /**
   * Notes that everything before `offset` of the replay file `fileId` is stored. Written in the
   * background, one write at a time, the newest value winning; the replay never waits on it.
   */
  save(fileId: string, offset: number): void {
    this.#next = { fileId, offset };
    if (this.#queued) return;
    this.#queued = true;
    this.#saving = this.#saving.then(async () => {
      this.#queued = false;
      const next = this.#next;
      this.#next = undefined;
      if (!next || !(await this.#mayChange('write'))) return;
      const text = JSON.stringify({ version: 1, file_id: next.fileId, offset: next.offset });
      await writeFileAtomic(this.path, `${text}\n`).catch(this.#onError);
    });
  }

  /**
   * Drops any pending save, waits for the one in progress, and deletes the offset file (throws
   * `COLLECTOR_ERR_FENCED`, the file untouched, when `mayChange` says no).
   */
  async clear(): Promise<void> {
    this.#next = undefined;
    await this.#saving;
    if (!(await this.#mayChange('clear'))) throw fencedError();
    await unlink(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** Waits for the save in progress (shutdown). */
  async settle(): Promise<void> {
    await this.#saving;
  }
}

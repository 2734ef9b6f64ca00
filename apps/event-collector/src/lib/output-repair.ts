import { appendFile, type FileHandle, open, readdir, rename } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { syncDir } from './checkpoint';

const CHUNK = 64 * 1024;

/** What {@link repairTornTail} found at the end of the output file. */
export type TailState =
  | { kind: 'clean' }
  /** A whole JSON record without its newline (e.g. the Python sample's file): newline added. */
  | { kind: 'unterminated' }
  /** A partial line left by a crash: moved to `<file>.torn` and cut off. */
  | { kind: 'torn'; bytes: number; tornFile: string };

/**
 * Called before each change a repair makes to the shared output folder; throws to stop the repair
 * there (e.g. `COLLECTOR_ERR_FENCED` once this instance no longer holds the lease). What a repair
 * stopped this way leaves is what the next repair starts from: each step is a whole rename, cut
 * or append.
 */
export type RepairCheck = () => void;

/**
 * Makes the output end with a whole line before anything is appended. A crash (kill -9, power
 * cut) in the middle of a write can leave a partial last line; appending after it would glue the
 * next record to it and leave a line no reader can parse. The partial bytes are appended to
 * `<file>.torn` (fsynced, so they are kept for inspection) and the file is cut back to its last
 * newline. A last line that is a complete JSON value and only lacks its newline is kept, and the
 * newline added. `check` runs before each change to a file.
 *
 * @example
 * ```ts
 * const fh = await open(file, 'a+');
 * const state = await repairTornTail(fh, file);
 * if (state.kind === 'torn') logger.warn({ bytes: state.bytes }, 'torn last line moved aside');
 * ```
 */
export async function repairTornTail(
  fh: FileHandle,
  file: string,
  check: RepairCheck = () => undefined,
): Promise<TailState> {
  const size = (await fh.stat()).size;
  if (size === 0) return { kind: 'clean' };
  const lineStart = await lastLineStart(fh, size);
  if (lineStart === size) return { kind: 'clean' };
  const fragment = Buffer.alloc(size - lineStart);
  await fh.read(fragment, 0, fragment.length, lineStart);
  if (isWholeJson(fragment)) {
    check();
    await fh.write('\n');
    return { kind: 'unterminated' };
  }
  const tornFile = `${file}.torn`;
  check();
  await appendFile(tornFile, Buffer.concat([fragment, Buffer.from('\n')]));
  const tf = await open(tornFile, 'r');
  try {
    await tf.sync();
  } finally {
    await tf.close();
  }
  check();
  await fh.truncate(lineStart);
  await fh.sync();
  return { kind: 'torn', bytes: fragment.length, tornFile };
}

/** Offset just after the last newline (0 when the file has none). */
async function lastLineStart(fh: FileHandle, size: number): Promise<number> {
  let end = size;
  const buf = Buffer.alloc(CHUNK);
  while (end > 0) {
    const len = Math.min(CHUNK, end);
    const start = end - len;
    await fh.read(buf, 0, len, start);
    const nl = buf.subarray(0, len).lastIndexOf(0x0a);
    if (nl >= 0) return start + nl + 1;
    end = start;
  }
  return 0;
}

function isWholeJson(bytes: Buffer): boolean {
  const text = bytes.toString('utf8').trim();
  if (text === '') return true;
  try {
    const v: unknown = JSON.parse(text);
    return typeof v === 'object' && v !== null;
  } catch {
    return false;
  }
}

/**
 * Closes gaps in the backup numbers (`<file>.1` … `<file>.N`) that a crash in the middle of a
 * rotation leaves: rotation renames `.N-1` → `.N`, …, `.1` → `.2`, then the live file → `.1`, so
 * a kill -9 between two renames leaves one number missing (`.19` gone, `.20` present). The backups
 * above a gap are moved down one by one, lowest first, which keeps their order (a higher number
 * is always older); a crash during this repair leaves again a single gap, which the next start
 * closes the same way. The live file is not touched: it rotates at its next write if it is full.
 * `check` runs before each rename. Returns how many files were renamed.
 *
 * @example
 * ```ts
 * await repairBackupNumbers('/data/audiohook_events.jsonl'); // .1 .2 .4 .5 → .1 .2 .3 .4
 * ```
 */
export async function repairBackupNumbers(
  file: string,
  check: RepairCheck = () => undefined,
): Promise<number> {
  const dir = dirname(file);
  const prefix = `${basename(file)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return 0;
  }
  const numbers = names
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .filter((n) => n >= 1)
    .sort((a, b) => a - b);
  let next = 1;
  let renamed = 0;
  for (const n of numbers) {
    if (n !== next) {
      check();
      await rename(`${file}.${n}`, `${file}.${next}`);
      renamed += 1;
    }
    next += 1;
  }
  if (renamed > 0) await syncDir(dir);
  return renamed;
}

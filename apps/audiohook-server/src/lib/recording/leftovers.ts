// Recordings left behind: by a failed upload (in LOG_ROOT_DIR), or by a process that died
// mid-session (in its work folder). They are found, grouped by recording id and made valid again
// (WAV sizes, sidecar closing brackets); recovery.ts decides when and by whom.

import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeWavHeader, parseWav, WAV_HEADER_BYTES } from '@org/audio';
import type { AppLogger } from '../logging';
import { repairSidecar } from './sidecar';
import type { RecordingFiles } from './session-recorder';

const RECORDING_FILE =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(wav|json)$/i;

/** Recordings found in `directory`, grouped by recording id. */
export async function findLeftovers(directory: string): Promise<RecordingFiles[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const byId = new Map<string, string[]>();
  for (const name of names.sort()) {
    const match = RECORDING_FILE.exec(name);
    if (match === null) continue;
    const id = (match[1] as string).toLowerCase();
    const list = byId.get(id) ?? [];
    list.push(join(directory, name));
    byId.set(id, list);
  }
  const out: RecordingFiles[] = [];
  for (const [id, paths] of byId) {
    out.push({ id, startedAt: await startTime(paths), paths });
  }
  return out;
}

/** Recordings in `directory` and every folder below it, grouped by recording id per folder. */
export async function findLeftoversDeep(directory: string): Promise<RecordingFiles[]> {
  const out = await findLeftovers(directory);
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (entry.isDirectory()) out.push(...(await findLeftoversDeep(join(directory, entry.name))));
  }
  return out;
}

/** The first bytes of a file (the sidecar header), without reading a large file whole. */
async function head(path: string, bytes = 512): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

async function startTime(paths: readonly string[]): Promise<Date> {
  const json = paths.find((p) => p.endsWith('.json'));
  if (json !== undefined) {
    try {
      const first = (await head(json)).split('\n', 1)[0] ?? '';
      const match = /"timestamp":"([^"]+)"/.exec(first);
      const date = match === null ? undefined : new Date(match[1] as string);
      if (date !== undefined && !Number.isNaN(date.getTime())) return date;
    } catch {
      // fall back to the file time
    }
  }
  const first = paths[0];
  return first === undefined ? new Date() : (await stat(first)).mtime;
}

/**
 * Rewrites the header of a WAV written by this server when its sizes do not match the file
 * (a process that stopped before `close`). Returns true when it changed the file.
 */
export async function repairWav(path: string): Promise<boolean> {
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    if (size < WAV_HEADER_BYTES) return false;
    const header = new Uint8Array(WAV_HEADER_BYTES);
    await handle.read(header, 0, WAV_HEADER_BYTES, 0);
    const parsed = parseWav(header, { recover: true });
    const available = size - WAV_HEADER_BYTES;
    const dataBytes = available - (available % parsed.blockAlign);
    const declared = new DataView(header.buffer).getUint32(40, true);
    if (declared === dataBytes) return false;
    // A trailing odd byte is the pad of a finished file, not audio.
    if (declared + 1 === available && declared % 2 === 1) return false;
    await handle.write(encodeWavHeader(parsed.format, dataBytes), 0, WAV_HEADER_BYTES, 0);
    return true;
  } finally {
    await handle.close();
  }
}

/**
 * Repairs every file of `recording` (a WAV's sizes, a sidecar's end); returns how many it
 * changed. A file it cannot repair is logged and left as it is (it is still worth keeping).
 */
export async function repairRecording(
  recording: RecordingFiles,
  logger: AppLogger,
): Promise<number> {
  let repaired = 0;
  for (const path of recording.paths) {
    try {
      const changed = path.endsWith('.wav') ? await repairWav(path) : await repairSidecar(path);
      if (changed) {
        repaired++;
        logger.warn({ path }, 'repaired an unfinished recording file');
      }
    } catch (error) {
      logger.error(
        { path, err: error instanceof Error ? error.message : String(error) },
        'a leftover recording file could not be repaired; keeping it as it is',
      );
    }
  }
  return repaired;
}

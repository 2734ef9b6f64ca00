// Recordings left in LOG_ROOT_DIR by an earlier run: a failed upload, or a process that died
// mid-session. At start-up they are made valid again (WAV sizes, sidecar closing brackets) and,
// with an S3 bucket configured, uploaded.

import { open, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeWavHeader, parseWav, WAV_HEADER_BYTES } from '@org/audio';
import type { AppLogger } from '../logging';
import { repairSidecar } from './sidecar';
import type { RecordingFiles } from './session-recorder';
import type { RecordingSink } from './uploader';

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

async function startTime(paths: readonly string[]): Promise<Date> {
  const json = paths.find((p) => p.endsWith('.json'));
  if (json !== undefined) {
    try {
      const head = (await readFile(json, 'utf8')).split('\n', 1)[0] ?? '';
      const match = /"timestamp":"([^"]+)"/.exec(head);
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

export interface SweepOptions {
  readonly directory: string;
  readonly sink: RecordingSink | undefined;
  readonly logger: AppLogger;
}

/** What a sweep did. */
export interface SweepResult {
  readonly found: number;
  readonly repaired: number;
  readonly stored: number;
  readonly failed: number;
}

/** Repairs and (with a sink) uploads every leftover recording in `directory`. */
export async function sweepLeftovers(options: SweepOptions): Promise<SweepResult> {
  const leftovers = await findLeftovers(options.directory);
  let repaired = 0;
  let stored = 0;
  let failed = 0;
  for (const recording of leftovers) {
    for (const path of recording.paths) {
      try {
        const changed = path.endsWith('.wav') ? await repairWav(path) : await repairSidecar(path);
        if (changed) {
          repaired++;
          options.logger.warn({ path }, 'repaired an unfinished recording file');
        }
      } catch (error) {
        options.logger.error(
          { path, err: error instanceof Error ? error.message : String(error) },
          'a leftover recording file could not be repaired; uploading it as it is',
        );
      }
    }
    if (options.sink === undefined) continue;
    try {
      await options.sink.store(recording);
      stored++;
    } catch (error) {
      failed++;
      options.logger.error(
        { recordingId: recording.id, err: error instanceof Error ? error.message : String(error) },
        'leftover recording upload failed; kept for the next start',
      );
    }
  }
  if (leftovers.length > 0) {
    options.logger.info(
      { found: leftovers.length, repaired, stored, failed },
      'leftover recordings swept',
    );
  }
  return { found: leftovers.length, repaired, stored, failed };
}

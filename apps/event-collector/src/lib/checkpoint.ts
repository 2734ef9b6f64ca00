import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { CollectorError, describeError } from './errors';

/**
 * What the collector knows is safely stored, persisted next to the output so a restart (or the
 * next leader) knows where to backfill from. Times are epoch ms.
 */
export interface Checkpoint {
  /**
   * Every event received before this moment is in the JSONL output (and fsynced): the collector
   * was connected up to here and every gap before it was backfilled. The backfill after a restart
   * starts here, minus `BACKFILL_MARGIN_S`.
   */
  safeUntil: number;
  /** Every record received before this moment is in Elasticsearch or its spool (null: no sink). */
  elasticSafeUntil: number | null;
  /** The event time (`eventBody.timestamp`) of the newest event written, if any. */
  lastEventTime: number | null;
  /** The fencing token of the lease holder that wrote it (null without `LEASE_TABLE`). */
  token: number | null;
  /** When it was written. */
  writtenAt: number;
}

const iso = z.iso.datetime({ offset: true });
const fileSchema = z.object({
  version: z.literal(1),
  safe_until: iso,
  elastic_safe_until: iso.nullable(),
  last_event_time: iso.nullable(),
  token: z.number().int().nonnegative().nullable(),
  written_at: iso,
});

const sharedSchema = z.object({
  safeUntil: z.number(),
  elasticSafeUntil: z.number().nullable(),
  lastEventTime: z.number().nullable(),
  token: z.number().nullable(),
  writtenAt: z.number(),
});

/** The checkpoint as published with the lease (JSON). */
export function serializeCheckpoint(cp: Checkpoint): string {
  return JSON.stringify(cp);
}

/** A checkpoint published with the lease; `undefined` when absent or not one. */
export function parseSharedCheckpoint(text: string | undefined): Checkpoint | undefined {
  if (text === undefined) return undefined;
  try {
    return sharedSchema.parse(JSON.parse(text));
  } catch {
    return undefined;
  }
}

const toIso = (ms: number | null): string | null =>
  ms === null ? null : new Date(ms).toISOString();

/**
 * The checkpoint file: JSON, replaced atomically (written to a temporary file in the same
 * folder, fsynced, renamed over the old one, then the folder fsynced), so a crash at any moment
 * leaves either the old checkpoint or the new one, never a mix.
 *
 * @example
 * ```ts
 * const cp = new CheckpointFile('/data/audiohook_events.jsonl.checkpoint');
 * const last = await cp.read(); // undefined on the very first start
 * await cp.write({ safeUntil: Date.now(), elasticSafeUntil: null, lastEventTime: null, token: null, writtenAt: Date.now() });
 * ```
 */
export class CheckpointFile {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * The stored checkpoint; `undefined` when there is none. A file that is not a valid checkpoint
   * throws `COLLECTOR_ERR_CHECKPOINT` (atomic writes never produce one: it was edited by hand).
   */
  async read(): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CollectorError(
        'COLLECTOR_ERR_CHECKPOINT',
        `cannot read the checkpoint ${this.path}: ${describeError(err)}`,
        { cause: err },
      );
    }
    let parsed;
    try {
      parsed = fileSchema.parse(JSON.parse(text));
    } catch (err) {
      throw new CollectorError(
        'COLLECTOR_ERR_CHECKPOINT',
        `the checkpoint ${this.path} is not valid: ${describeError(err)}`,
        { cause: err },
      );
    }
    const ms = (v: string | null): number | null => (v === null ? null : Date.parse(v));
    return {
      safeUntil: Date.parse(parsed.safe_until),
      elasticSafeUntil: ms(parsed.elastic_safe_until),
      lastEventTime: ms(parsed.last_event_time),
      token: parsed.token,
      writtenAt: Date.parse(parsed.written_at),
    };
  }

  /** Replaces the checkpoint atomically and durably. */
  async write(cp: Checkpoint): Promise<void> {
    const text = `${JSON.stringify({
      version: 1,
      safe_until: toIso(cp.safeUntil),
      elastic_safe_until: toIso(cp.elasticSafeUntil),
      last_event_time: toIso(cp.lastEventTime),
      token: cp.token,
      written_at: toIso(cp.writtenAt),
    })}\n`;
    try {
      await writeFileAtomic(this.path, text);
    } catch (err) {
      throw new CollectorError(
        'COLLECTOR_ERR_CHECKPOINT',
        `cannot write the checkpoint ${this.path}: ${describeError(err)}`,
        { cause: err },
      );
    }
  }
}

/**
 * Replaces a small file atomically and durably: a temporary file in the same folder, fsync,
 * rename over the old one, fsync of the folder. A crash leaves the old content or the new one.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await syncDir(dir);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** fsyncs a folder, so a rename in it survives a power cut (a no-op where folders cannot be opened). */
export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the rename itself is still atomic.
  } finally {
    await fh.close();
  }
}

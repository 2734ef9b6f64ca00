// Recovery of recordings nobody else will finish: the work folders of dead instances (adopted,
// repaired, stored) and, at start-up, the finished recordings waiting in LOG_ROOT_DIR (repaired
// and, with S3, uploaded). Each instance touches only what it owns or has just adopted.

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppLogger } from '../logging';
import { OWNER_FILE, removeEmptyTree, type RecordingFolders } from './folders';
import { findLeftovers, findLeftoversDeep, repairRecording } from './leftovers';
import type { RecordingFiles } from './session-recorder';
import type { RecordingSink } from './uploader';

/** What a sweep did. */
export interface SweepResult {
  /** Recordings found (in adopted folders and, at start-up, in LOG_ROOT_DIR). */
  readonly found: number;
  /** Files whose WAV sizes or sidecar end had to be repaired. */
  readonly repaired: number;
  /** Recordings stored (moved to LOG_ROOT_DIR, or uploaded). */
  readonly stored: number;
  /** Recordings whose upload failed (they wait in LOG_ROOT_DIR). */
  readonly failed: number;
  /** Work folders of dead instances taken over. */
  readonly adopted: number;
}

export interface RecoveryOptions {
  readonly folders: RecordingFolders;
  readonly sink: RecordingSink;
  readonly logger: AppLogger;
  /** Dead instances are looked for this often; `0`: only by {@link RecoveryService.sweep}. */
  readonly scanIntervalMs: number;
}

export interface SweepOptions {
  /**
   * Also sweep LOG_ROOT_DIR: at start-up, and with an S3 sink on every periodic scan (a file
   * whose upload failed waits there, and on a task's own disk no next start would find it).
   * @default false
   */
  readonly root?: boolean;
  /**
   * Stop uploading LOG_ROOT_DIR's recordings at the first failure (the store is likely down);
   * the rest wait for the next sweep. The periodic scans do, so an outage costs one failed
   * upload per scan rather than one per waiting recording. @default false
   */
  readonly stopAtFirstFailure?: boolean;
  /**
   * Run ids to adopt whatever their heartbeat says (the `recover --force` command: the operator
   * knows they are dead). @default none
   */
  readonly force?: readonly string[];
}

const EMPTY: SweepResult = { found: 0, repaired: 0, stored: 0, failed: 0, adopted: 0 };

function add(a: SweepResult, b: SweepResult): SweepResult {
  return {
    found: a.found + b.found,
    repaired: a.repaired + b.repaired,
    stored: a.stored + b.stored,
    failed: a.failed + b.failed,
    adopted: a.adopted + b.adopted,
  };
}

/**
 * @example
 * ```ts
 * const recovery = new RecoveryService({ folders, sink, logger, scanIntervalMs: 60_000 });
 * const result = await recovery.sweep({ root: true }); // at start-up
 * recovery.start(); // then look for dead instances every minute
 * ```
 */
export class RecoveryService {
  readonly #options: RecoveryOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SweepResult> | undefined;

  constructor(options: RecoveryOptions) {
    this.#options = options;
  }

  /**
   * Starts the periodic scan for dead instances and, with an S3 sink, for recordings whose upload
   * failed (retried at most until the first failure of each scan).
   */
  start(): void {
    const interval = this.#options.scanIntervalMs;
    if (interval <= 0 || this.#timer !== undefined) return;
    const periodic: SweepOptions =
      this.#options.sink.kind === 's3' ? { root: true, stopAtFirstFailure: true } : {};
    this.#timer = setInterval(() => {
      if (this.#running === undefined) void this.sweep(periodic).catch(() => undefined);
    }, interval);
    this.#timer.unref();
  }

  /** Stops the periodic scan and waits for a sweep under way. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** Adopts dead instances' folders and stores their recordings (one sweep at a time). */
  sweep(options: SweepOptions = {}): Promise<SweepResult> {
    const previous = this.#running ?? Promise.resolve(EMPTY);
    const run = previous
      .catch(() => EMPTY)
      .then(() => this.#sweep(options))
      .finally(() => {
        if (this.#running === run) this.#running = undefined;
      });
    this.#running = run;
    return run;
  }

  async #sweep(options: SweepOptions): Promise<SweepResult> {
    const { folders, logger } = this.#options;
    let adopted = 0;
    const force = new Set(options.force ?? []);
    for (const instance of await folders.instances()) {
      if (!instance.dead && !force.has(instance.runId)) continue;
      const where = await folders.adopt(instance.runId);
      if (where === undefined) continue;
      adopted++;
      logger.warn(
        {
          runId: instance.runId,
          host: instance.owner?.host,
          pid: instance.owner?.pid,
          silentSeconds: Math.round(instance.silentMs / 1000),
          because: instance.deadBecause ?? 'forced',
          forced: force.has(instance.runId),
        },
        'adopted the recordings of a stopped instance',
      );
    }
    // Everything under adopted/ (also what an earlier sweep of this process did not finish).
    let result: SweepResult = { ...EMPTY, adopted };
    result = add(result, await this.#storeAll(await findLeftoversDeep(folders.adoptedDir)));
    await this.#clearAdopted();
    if (options.root === true) {
      result = add(result, await this.#sweepRoot(options.stopAtFirstFailure === true));
    }
    if (result.found > 0 || result.adopted > 0) {
      logger.info({ ...result }, 'leftover recordings swept');
    }
    return result;
  }

  /**
   * Finished recordings waiting in LOG_ROOT_DIR: repaired; with S3, claimed and uploaded one at a
   * time (so that, stopping at a failure, nothing stays claimed but unstored).
   */
  async #sweepRoot(stopAtFirstFailure: boolean): Promise<SweepResult> {
    const { folders, sink, logger } = this.#options;
    const waiting = await findLeftovers(folders.root);
    if (sink.kind === 'local') {
      // Their final place: only what an older version left unfinished needs a repair.
      let repaired = 0;
      for (const recording of waiting) repaired += await repairRecording(recording, logger);
      return { ...EMPTY, found: waiting.length, repaired };
    }
    let result = EMPTY;
    for (const recording of waiting) {
      const mine = await this.#claim(recording);
      if (mine === undefined) continue;
      result = add(result, await this.#storeAll([mine]));
      if (stopAtFirstFailure && result.failed > 0) break;
    }
    return result;
  }

  /** Takes a recording of LOG_ROOT_DIR into this process's folder; `undefined`: another won. */
  async #claim(recording: RecordingFiles): Promise<RecordingFiles | undefined> {
    const { folders } = this.#options;
    // The sidecar first: whoever moves it owns the recording.
    const ordered = [...recording.paths].sort(
      (a, b) => Number(b.endsWith('.json')) - Number(a.endsWith('.json')),
    );
    const paths: string[] = [];
    for (const path of ordered) {
      const moved = await folders.claim(path, folders.uploadingDir);
      if (moved === undefined && paths.length === 0) return undefined;
      if (moved !== undefined) paths.push(moved);
    }
    return { ...recording, paths };
  }

  async #storeAll(recordings: readonly RecordingFiles[]): Promise<SweepResult> {
    const { sink, logger } = this.#options;
    let repaired = 0;
    let stored = 0;
    let failed = 0;
    for (const recording of recordings) {
      repaired += await repairRecording(recording, logger);
      try {
        await sink.store(recording);
        stored++;
      } catch (error) {
        failed++;
        logger.error(
          {
            recordingId: recording.id,
            err: error instanceof Error ? error.message : String(error),
          },
          'leftover recording upload failed; kept for the next sweep',
        );
      }
    }
    return { ...EMPTY, found: recordings.length, repaired, stored, failed };
  }

  /** Removes the adopted folders once their recordings are stored (heartbeats included). */
  async #clearAdopted(): Promise<void> {
    const { folders } = this.#options;
    for (const recording of await findLeftoversDeep(folders.adoptedDir)) {
      // Still there: stored nowhere (a move failed). Kept for the next sweep.
      this.#options.logger.warn({ paths: recording.paths }, 'adopted recording left in place');
    }
    await removeOwnerFiles(folders.adoptedDir);
    await removeEmptyTree(folders.adoptedDir);
  }
}

/** Deletes the heartbeat files below `folder` (of dead instances, once adopted). */
async function removeOwnerFiles(folder: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) await removeOwnerFiles(path);
    else if (entry.name === OWNER_FILE || entry.name === `${OWNER_FILE}.tmp`) {
      await rm(path, { force: true });
    }
  }
}

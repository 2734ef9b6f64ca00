// Who owns which recording files when several instances share LOG_ROOT_DIR. Each running process
// writes only into its own work folder `.instances/<run id>/` and keeps a heartbeat file there;
// finished recordings are moved to LOG_ROOT_DIR itself. A folder whose heartbeat has stopped
// belongs to a dead instance and is adopted with one atomic rename, so exactly one live instance
// recovers it and nobody ever touches a live instance's open files. An instance whose own
// heartbeat keeps failing stops taking new sessions before the others could take it for dead.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { basename, join } from 'node:path';
import { describeError } from '@org/service-kit';
import type { AppLogger } from '../logging';
import {
  HeartbeatWatch,
  pidExists,
  processIdentity,
  samePidSpace,
  type ProcessIdentity,
} from './liveness';
import type { RecordingIo } from './recording-io';

/** Folder of LOG_ROOT_DIR holding one work folder per running process. */
export const INSTANCES_DIR = '.instances';
/** The heartbeat file of a work folder. */
export const OWNER_FILE = 'owner.json';

/** What a heartbeat file says. */
export interface OwnerRecord {
  readonly instanceId: string;
  readonly runId: string;
  readonly host: string;
  readonly pid: number;
  /** The writer's PID namespace (`/proc/self/ns/pid`); absent where unknown. */
  readonly pidNamespace?: string;
  /** The boot id of the writer's kernel; absent where unknown. */
  readonly bootId?: string;
  readonly startedAt: string;
  /** Epoch milliseconds of the last heartbeat (the writer's clock). */
  readonly heartbeatAt: number;
  /** Heartbeats this run has written: the file changes at every beat, whatever the clock does. */
  readonly beat?: number;
}

/** Another process's work folder, as a scan sees it. */
export interface InstanceState {
  readonly runId: string;
  readonly owner: OwnerRecord | undefined;
  /** Milliseconds since its last sign of life (heartbeat, or the folder's mtime without one). */
  readonly silentMs: number;
  /**
   * At most this many milliseconds ago its heartbeat was written, as this process saw it change
   * between two of its reads (its own monotonic clock); `undefined` until it has seen a change.
   */
  readonly writtenWithinMs: number | undefined;
  /** True when it is certainly or presumably dead (see {@link RecordingFolders.instances}). */
  readonly dead: boolean;
  /**
   * Why it is taken for dead: `process-gone` (same PID space, no such process) or
   * `heartbeat-stale`; `undefined` while alive.
   */
  readonly deadBecause: 'process-gone' | 'heartbeat-stale' | undefined;
}

export interface RecordingFoldersOptions {
  /** LOG_ROOT_DIR. */
  readonly root: string;
  /** A readable name of this instance (`INSTANCE_ID`, default the host name). */
  readonly instanceId: string;
  /** How often the heartbeat file is rewritten. */
  readonly heartbeatMs: number;
  /** A work folder silent for longer than this belongs to a dead instance. */
  readonly staleAfterMs: number;
  readonly logger: AppLogger;
  /** The run id (tests). @default `<instanceId>-<8 hex digits>` */
  readonly runId?: string;
  /** Moves finished recordings (`finalize`) in its batches. @default `fs.rename` */
  readonly io?: RecordingIo;
  /** Clock. @default Date.now */
  readonly now?: () => number;
  /** Monotonic clock (heartbeat failures, reads of other heartbeats). @default performance.now */
  readonly monotonic?: () => number;
  /** This process, for the same-PID-space test. @default {@link processIdentity}() */
  readonly identity?: ProcessIdentity;
  /** Whether a process with this pid exists here. @default `process.kill(pid, 0)` */
  readonly pidExists?: (pid: number) => boolean;
  /** Waits before a stale-looking heartbeat is read again. @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What tests (or another host) may supply instead of this machine's clock and identity. */
export type FolderEnvironment = Pick<
  RecordingFoldersOptions,
  'monotonic' | 'identity' | 'pidExists' | 'sleep'
>;

/**
 * What the heartbeat reports: a write failed; it has failed for half the stale timeout, so new
 * sessions are refused; it works again, so they are taken again.
 */
export type HeartbeatEvent = 'failed' | 'refusing' | 'resumed';

/** Makes an id safe as a folder name. */
export function safeName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^\.+/, '');
  return (cleaned === '' ? 'instance' : cleaned).slice(0, 64);
}

function errno(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Run ids of the work folders this process has open: a heartbeat naming this process's pid (in
 * this PID namespace, this boot) but another run id is an earlier process that had the same pid.
 */
const OPEN_HERE = new Set<string>();

/** A heartbeat as one read found it. */
interface HeartbeatRead {
  readonly runId: string;
  readonly owner: OwnerRecord | undefined;
  /** Epoch milliseconds of its last sign of life (its heartbeat, else the folder's mtime). */
  readonly lastSign: number;
  /** What is compared between reads: the file's text, or the mtime without a heartbeat. */
  readonly value: string;
}

/**
 * The folders of one process: its work folder, the adoption of dead instances' folders, and
 * moving finished recordings to LOG_ROOT_DIR.
 *
 * @example
 * ```ts
 * const folders = new RecordingFolders({ root: '/rec', instanceId: 'a', heartbeatMs: 10_000,
 *   staleAfterMs: 60_000, logger });
 * await folders.open(); // creates /rec/.instances/a-1f2e3d4c/ and starts the heartbeat
 * ```
 */
export class RecordingFolders {
  readonly root: string;
  readonly runId: string;
  /** Where this process writes recordings while they are open. */
  readonly work: string;
  readonly #options: RecordingFoldersOptions;
  readonly #now: () => number;
  readonly #monotonic: () => number;
  readonly #identity: ProcessIdentity;
  readonly #watch: HeartbeatWatch;
  readonly #listeners: ((event: HeartbeatEvent) => void)[] = [];
  readonly #startedAt: string;
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> = Promise.resolve();
  #beatPending = false;
  #beats = 0;
  /** Monotonic time of the last heartbeat written (or of `open`). */
  #lastBeatAt = 0;
  #refusing = false;

  constructor(options: RecordingFoldersOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#monotonic = options.monotonic ?? (() => performance.now());
    this.#identity = options.identity ?? processIdentity();
    this.#watch = new HeartbeatWatch(this.#monotonic);
    this.root = options.root;
    this.runId = safeName(
      options.runId ?? `${safeName(options.instanceId)}-${randomBytes(4).toString('hex')}`,
    );
    this.work = join(options.root, INSTANCES_DIR, this.runId);
    this.#startedAt = new Date(this.#now()).toISOString();
  }

  /** Dead instances' folders are moved here by {@link adopt}. */
  get adoptedDir(): string {
    return join(this.work, 'adopted');
  }

  /** Finished recordings taken from LOG_ROOT_DIR for upload are moved here by {@link claim}. */
  get uploadingDir(): string {
    return join(this.work, 'uploading');
  }

  /**
   * True while new sessions must be refused: this process's heartbeat has not been written for
   * half the stale timeout, so other instances may soon take its folder for dead.
   */
  get refusingSessions(): boolean {
    return this.#refusing;
  }

  /** Calls `listener` at every {@link HeartbeatEvent} (for metrics). */
  onHeartbeat(listener: (event: HeartbeatEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** Creates the work folder, writes the first heartbeat and keeps it beating. */
  async open(): Promise<void> {
    await mkdir(this.work, { recursive: true });
    OPEN_HERE.add(this.runId);
    await this.#heartbeat();
    this.#lastBeatAt = this.#monotonic();
    this.#timer = setInterval(() => this.#tick(), this.#options.heartbeatMs);
    this.#timer.unref();
  }

  #tick(): void {
    // A write that hangs (a stuck network file system) is not stacked with more of them; the
    // time since the last good one still counts.
    if (this.#beatPending) {
      this.#checkOverdue();
      return;
    }
    this.#beatPending = true;
    this.#beating = this.beat().finally(() => {
      this.#beatPending = false;
    });
  }

  /**
   * Writes one heartbeat (the timer does, every `heartbeatMs`) and updates whether new sessions
   * are refused: from half the stale timeout without a heartbeat written until the next one is.
   * Never rejects: failures are logged and reported to the {@link onHeartbeat} listeners.
   */
  async beat(): Promise<void> {
    try {
      await this.#heartbeat();
    } catch (error) {
      const failingMs = Math.round(this.#monotonic() - this.#lastBeatAt);
      this.#options.logger.error(
        {
          err: describeError(error),
          work: this.work,
          failingSeconds: Math.round(failingMs / 1000),
        },
        'recording heartbeat failed',
      );
      this.#emit('failed');
      this.#checkOverdue();
      return;
    }
    this.#lastBeatAt = this.#monotonic();
    if (this.#refusing) {
      this.#refusing = false;
      this.#options.logger.warn(
        { work: this.work },
        'recording heartbeat written again; taking new sessions again',
      );
      this.#emit('resumed');
    }
  }

  #checkOverdue(): void {
    const overdueMs = this.#monotonic() - this.#lastBeatAt;
    if (this.#refusing || overdueMs < this.#options.staleAfterMs / 2) return;
    this.#refusing = true;
    this.#options.logger.error(
      {
        work: this.work,
        failingSeconds: Math.round(overdueMs / 1000),
        staleAfterSeconds: Math.round(this.#options.staleAfterMs / 1000),
      },
      'recording heartbeat failing for half the stale timeout; refusing new sessions until it is written again',
    );
    this.#emit('refusing');
  }

  #emit(event: HeartbeatEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  async #heartbeat(): Promise<void> {
    const me = this.#identity;
    const owner: OwnerRecord = {
      instanceId: this.#options.instanceId,
      runId: this.runId,
      host: me.host,
      pid: me.pid,
      ...(me.pidNamespace === undefined ? {} : { pidNamespace: me.pidNamespace }),
      ...(me.bootId === undefined ? {} : { bootId: me.bootId }),
      startedAt: this.#startedAt,
      heartbeatAt: this.#now(),
      beat: ++this.#beats,
    };
    const path = join(this.work, OWNER_FILE);
    const temporary = `${path}.tmp`;
    try {
      await writeFile(temporary, JSON.stringify(owner));
    } catch (error) {
      if (errno(error) !== 'ENOENT') throw error;
      // The folder is gone: another instance took this one for dead (a pause longer than the
      // stale timeout). Say so loudly and carry on in a new folder.
      this.#options.logger.error(
        { work: this.work },
        'the work folder was adopted by another instance; recreating it',
      );
      await mkdir(this.work, { recursive: true });
      await writeFile(temporary, JSON.stringify(owner));
    }
    // A rename replaces the file at once: a reader never sees half a heartbeat.
    await rename(temporary, path);
  }

  /**
   * Stops the heartbeat and removes the work folder when nothing is left in it (else the folder
   * stays without heartbeat, to be adopted like a dead instance's).
   */
  async close(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#beating;
    OPEN_HERE.delete(this.runId);
    try {
      await rm(join(this.work, OWNER_FILE), { force: true });
      await removeEmptyTree(this.work);
      await rmdir(join(this.root, INSTANCES_DIR)).catch(() => undefined);
    } catch (error) {
      // A broken LOG_ROOT_DIR must not fail the shutdown; what is left is adopted later.
      this.#options.logger.error(
        { err: describeError(error), work: this.work },
        'the work folder could not be removed',
      );
    }
  }

  /** Moves a finished file from the work folder to LOG_ROOT_DIR; returns its new path. */
  async finalize(path: string): Promise<string> {
    const target = join(this.root, basename(path));
    if (target !== path) await (this.#options.io?.rename(path, target) ?? rename(path, target));
    return target;
  }

  /**
   * Takes a file of LOG_ROOT_DIR into `folder` of this process, atomically: `undefined` when
   * another instance took it first.
   */
  async claim(path: string, folder: string): Promise<string | undefined> {
    await mkdir(folder, { recursive: true });
    const target = join(folder, basename(path));
    try {
      await rename(path, target);
      return target;
    } catch (error) {
      if (errno(error) === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * Every other process's work folder with its state. Dead: its process no longer exists (only
   * known in the same PID space: same host, PID namespace and boot), so a restart in place
   * recovers what the crashed process left at once; or its heartbeat is older than the stale
   * timeout, unless this process saw it written within that timeout (its own clock), and this
   * process saw it unchanged for 1.5 heartbeat intervals (its own clock): a folder stale by the
   * wall clocks but not watched that long yet is read again after that wait (once for all such
   * folders of one call), so a live writer whose clock lags is not taken for dead.
   */
  async instances(): Promise<InstanceState[]> {
    const folder = join(this.root, INSTANCES_DIR);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if (errno(error) === 'ENOENT') return [];
      throw error;
    }
    this.#watch.keepOnly(new Set(names));
    const out: InstanceState[] = [];
    const doubtful: string[] = [];
    for (const runId of names.sort()) {
      if (runId === this.runId) continue;
      const state = await this.#assess(folder, runId, true);
      if (state === 'doubtful') doubtful.push(runId);
      else if (state !== undefined) out.push(state);
    }
    if (doubtful.length === 0) return out;
    await (this.#options.sleep ?? delay)(this.#recheckMs);
    for (const runId of doubtful) {
      const state = await this.#assess(folder, runId, false);
      if (state !== undefined && state !== 'doubtful') out.push(state);
    }
    return out.sort((a, b) => (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0));
  }

  /** How long a heartbeat must be seen unchanged before its wall-clock age may make it dead. */
  get #recheckMs(): number {
    return 1.5 * this.#options.heartbeatMs;
  }

  /** One read of `runId`'s folder under `folder`, judged; `undefined` when it is gone. */
  async #assess(
    folder: string,
    runId: string,
    first: boolean,
  ): Promise<InstanceState | 'doubtful' | undefined> {
    const read = await this.#read(join(folder, runId), runId);
    return read === undefined ? undefined : this.#judge(read, first);
  }

  async #read(folder: string, runId: string): Promise<HeartbeatRead | undefined> {
    let owner: OwnerRecord | undefined;
    let text: string | undefined;
    try {
      text = await readFile(join(folder, OWNER_FILE), 'utf8');
      const parsed = JSON.parse(text) as OwnerRecord;
      if (typeof parsed.heartbeatAt === 'number') owner = parsed;
    } catch {
      // No heartbeat (yet, or any more): the folder's own time stands in.
    }
    if (owner !== undefined) {
      return { runId, owner, lastSign: owner.heartbeatAt, value: text ?? '' };
    }
    try {
      const { mtimeMs } = await stat(folder);
      return { runId, owner, lastSign: mtimeMs, value: `mtime:${mtimeMs}` };
    } catch {
      return undefined; // adopted meanwhile
    }
  }

  /**
   * The state of a folder from one read of it; `doubtful` when it looks stale by the wall clocks
   * alone and `first` asks for a second read (after the wait) rather than a verdict.
   */
  #judge(read: HeartbeatRead, first: boolean): InstanceState | 'doubtful' {
    const { runId, owner } = read;
    const silentMs = Math.max(0, this.#now() - read.lastSign);
    const { writtenWithinMs, unchangedForMs } = this.#watch.read(runId, read.value);
    // A heartbeat this process saw written within the stale timeout is alive, whatever the two
    // wall clocks say; otherwise the heartbeat's own time decides, once this process has seen it
    // stay unchanged for longer than a live writer ever leaves it (or across the wait).
    const seenWritten =
      writtenWithinMs !== undefined && writtenWithinMs <= this.#options.staleAfterMs;
    let deadBecause: InstanceState['deadBecause'];
    if (this.#goneHere(owner, runId)) deadBecause = 'process-gone';
    else if (silentMs > this.#options.staleAfterMs && !seenWritten) {
      if (first && unchangedForMs < this.#recheckMs) return 'doubtful';
      deadBecause = 'heartbeat-stale';
    }
    return {
      runId,
      owner,
      silentMs,
      writtenWithinMs,
      dead: deadBecause !== undefined,
      deadBecause,
    };
  }

  /** True when `owner` ran in this PID space and its process is gone. */
  #goneHere(owner: OwnerRecord | undefined, runId: string): boolean {
    const me = this.#identity;
    if (owner === undefined || !samePidSpace(owner, me)) return false;
    if (owner.pid === me.pid) return !OPEN_HERE.has(runId);
    return !(this.#options.pidExists ?? pidExists)(owner.pid);
  }

  /**
   * Takes a dead instance's work folder into this one (one rename: of instances adopting at the
   * same time, exactly one gets it). Returns where it now is, or `undefined` when another
   * instance was first.
   */
  async adopt(runId: string): Promise<string | undefined> {
    if (safeName(runId) !== runId || runId === this.runId) return undefined;
    await mkdir(this.adoptedDir, { recursive: true });
    const target = join(this.adoptedDir, runId);
    try {
      await rename(join(this.root, INSTANCES_DIR, runId), target);
      return target;
    } catch (error) {
      const code = errno(error);
      if (code === 'ENOENT' || code === 'ENOTEMPTY' || code === 'EEXIST') return undefined;
      throw error;
    }
  }
}

/** Removes `folder` and its subfolders when they hold no file (bottom up); keeps the rest. */
export async function removeEmptyTree(folder: string): Promise<boolean> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    if (errno(error) === 'ENOENT') return true;
    throw error;
  }
  let empty = true;
  for (const entry of entries) {
    if (!entry.isDirectory() || !(await removeEmptyTree(join(folder, entry.name)))) empty = false;
  }
  if (!empty) return false;
  try {
    await rmdir(folder);
    return true;
  } catch (error) {
    const code = errno(error);
    if (code === 'ENOENT') return true;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
}

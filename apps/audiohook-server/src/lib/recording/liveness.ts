// Whether the process behind a work folder's heartbeat is alive, as far as another process can
// tell. Three signs, from the most to the least certain:
// - Same PID space (same host name, same PID namespace, same boot): a pid means the same process
//   here as there, so a missing process is certainly dead. Containers that share a host name but
//   not a PID namespace (ECS on EC2 with host networking, Kubernetes hostNetwork) are all pid 1,
//   so a pid alone says nothing: the namespace and boot identities must both be known and equal.
// - The observer's own monotonic clock: a heartbeat that changed between two of its reads was
//   written after the first one, whatever the wall clocks of the two hosts say.
// - Wall clocks: a heartbeat time older than the stale timeout. This compares the writer's clock
//   with the observer's (see the README for the bound on their difference).

import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/** Who a process is, for the same-PID-space test. */
export interface ProcessIdentity {
  readonly host: string;
  readonly pid: number;
  /** The PID namespace, as `/proc/self/ns/pid` names it (`pid:[4026531836]`); unknown elsewhere. */
  readonly pidNamespace: string | undefined;
  /** The kernel's boot id (`/proc/sys/kernel/random/boot_id`); unknown elsewhere. */
  readonly bootId: string | undefined;
}

/** Where {@link processIdentity} reads from (tests give their own). */
export interface IdentitySources {
  readonly hostname: () => string;
  readonly pid: number;
  /** Reads a symbolic link; throws where there is none. */
  readonly readLink: (path: string) => string;
  /** Reads a text file; throws where there is none. */
  readonly readText: (path: string) => string;
}

export const PID_NAMESPACE_LINK = '/proc/self/ns/pid';
export const BOOT_ID_FILE = '/proc/sys/kernel/random/boot_id';

const SYSTEM: IdentitySources = {
  hostname,
  pid: process.pid,
  readLink: (path) => readlinkSync(path),
  readText: (path) => readFileSync(path, 'utf8'),
};

function attempt(read: () => string): string | undefined {
  try {
    const value = read().trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined; // not Linux, or /proc not mounted: the identity stays unknown
  }
}

/**
 * This process's identity (read once, when a work folder is set up).
 *
 * @example
 * ```ts
 * processIdentity(); // { host: 'ip-10-0-1-5', pid: 1, pidNamespace: 'pid:[4026532417]', bootId: '…' }
 * ```
 */
export function processIdentity(sources: IdentitySources = SYSTEM): ProcessIdentity {
  return {
    host: sources.hostname(),
    pid: sources.pid,
    pidNamespace: attempt(() => sources.readLink(PID_NAMESPACE_LINK)),
    bootId: attempt(() => sources.readText(BOOT_ID_FILE)),
  };
}

/**
 * True when a pid written by `owner` names the same process as that pid here: same host name,
 * and PID namespace and boot both known and equal. Anything unknown means no.
 */
export function samePidSpace(
  owner: { readonly host?: unknown; readonly pidNamespace?: unknown; readonly bootId?: unknown },
  me: ProcessIdentity,
): boolean {
  return (
    me.pidNamespace !== undefined &&
    me.bootId !== undefined &&
    owner.host === me.host &&
    owner.pidNamespace === me.pidNamespace &&
    owner.bootId === me.bootId
  );
}

/** True when a process with this pid exists in this PID namespace. */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException | undefined)?.code === 'EPERM';
  }
}

interface Reading {
  /** What the heartbeat said at the last read. */
  value: string;
  /** Monotonic time of the last read. */
  readAt: number;
  /** Monotonic time of the first read that saw `value`. */
  firstSeenAt: number;
  /** Monotonic time of the read before the one that first saw `value` (it was written after). */
  writtenAfter: number | undefined;
}

/** What one read of a heartbeat tells, on the reader's monotonic clock. */
export interface HeartbeatSighting {
  /**
   * At most this many milliseconds ago it was written, as this process has seen it change (the
   * time since the read before the change it saw last); `undefined` until it has seen a change.
   */
  readonly writtenWithinMs: number | undefined;
  /** For at least this many milliseconds it has not changed (`0` at the first read of a value). */
  readonly unchangedForMs: number;
}

/**
 * The heartbeats of other processes as this one reads them, timed on its own monotonic clock (as a
 * lease is): a heartbeat that changed since an earlier read was written after that read, and one
 * that did not change between two reads was not written in between.
 *
 * @example
 * ```ts
 * const watch = new HeartbeatWatch(() => performance.now());
 * watch.read('b-1f2e3d4c', text); // { writtenWithinMs: undefined, unchangedForMs: 0 }
 * watch.read('b-1f2e3d4c', newer); // writtenWithinMs: ms since the read before the change
 * ```
 */
export class HeartbeatWatch {
  readonly #monotonic: () => number;
  readonly #readings = new Map<string, Reading>();

  constructor(monotonic: () => number) {
    this.#monotonic = monotonic;
  }

  /** Records a read of `runId`'s heartbeat and returns what this process knows of it. */
  read(runId: string, value: string): HeartbeatSighting {
    const now = this.#monotonic();
    const reading = this.#readings.get(runId);
    if (reading === undefined) {
      this.#readings.set(runId, { value, readAt: now, firstSeenAt: now, writtenAfter: undefined });
      return { writtenWithinMs: undefined, unchangedForMs: 0 };
    }
    if (reading.value !== value) {
      reading.writtenAfter = reading.readAt;
      reading.firstSeenAt = now;
      reading.value = value;
    }
    reading.readAt = now;
    return {
      writtenWithinMs: reading.writtenAfter === undefined ? undefined : now - reading.writtenAfter,
      unchangedForMs: now - reading.firstSeenAt,
    };
  }

  /** Forgets the folders that are gone (adopted or removed). */
  keepOnly(runIds: ReadonlySet<string>): void {
    for (const runId of this.#readings.keys()) {
      if (!runIds.has(runId)) this.#readings.delete(runId);
    }
  }
}

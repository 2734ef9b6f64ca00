// CPU time and resident memory of another process, from /proc (Linux): what benchmarks and
// adversarial suites measure of a service from the outside, at no cost to it (no scrape).

import { readFile } from 'node:fs/promises';

/** USER_HZ; 100 on every mainstream Linux. */
const CLOCK_TICKS = 100;

/** utime and stime of a `stat` file, in seconds. */
function userSystem(stat: string): { user: number; system: number } {
  // Fields after the command name (which may contain spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLOCK_TICKS, system: Number(fields[12]) / CLOCK_TICKS };
}

/**
 * User + system CPU seconds consumed by `pid` so far.
 *
 * @example
 * ```ts
 * const before = await cpuSeconds(child.pid);
 * ```
 */
export async function cpuSeconds(pid: number): Promise<number> {
  const { user, system } = userSystem(await readFile(`/proc/${pid}/stat`, 'utf8'));
  return user + system;
}

/** CPU seconds of a process split into its main thread (user, system) and all others. */
export interface CpuSplit {
  readonly total: number;
  readonly mainUser: number;
  readonly mainSystem: number;
}

/**
 * CPU seconds of `pid`: in total, and of its main thread (the event loop and JavaScript). The
 * rest is V8's background threads (garbage collection, compilation) and libuv's pool (file I/O).
 */
export async function cpuSplit(pid: number): Promise<CpuSplit> {
  const [all, main] = await Promise.all([
    readFile(`/proc/${pid}/stat`, 'utf8'),
    readFile(`/proc/${pid}/task/${pid}/stat`, 'utf8'),
  ]);
  const total = userSystem(all);
  const thread = userSystem(main);
  return {
    total: total.user + total.system,
    mainUser: thread.user,
    mainSystem: thread.system,
  };
}

/** `b - a`, field by field. */
export function cpuDelta(a: CpuSplit, b: CpuSplit): CpuSplit {
  return {
    total: b.total - a.total,
    mainUser: b.mainUser - a.mainUser,
    mainSystem: b.mainSystem - a.mainSystem,
  };
}

/**
 * Resident set size of `pid` in bytes.
 *
 * @example
 * ```ts
 * peak = Math.max(peak, await rssBytes(child.pid));
 * ```
 */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

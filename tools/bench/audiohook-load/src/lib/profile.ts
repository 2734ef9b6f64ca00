// Reads a V8 CPU profile (`node --cpu-prof`) and sums the self time of each function, so a run
// prints where the server's main thread went without opening a profiler UI.

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}

interface CpuProfile {
  /** Monotonic clock, µs (the clock of `process.hrtime`). */
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** One function's share of a profile. */
export interface ProfileEntry {
  /** `name file:line`, `(garbage collector)`, `(program)`, … */
  readonly name: string;
  readonly selfMs: number;
  /** Of the sampled time without `(idle)`. */
  readonly percent: number;
}

/** A span of the monotonic clock (`process.hrtime`), in µs. */
export interface TimeWindow {
  readonly startUs: number;
  readonly endUs: number;
}

/** The monotonic clock now, µs, as a profile counts it. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/**
 * Self time by function, largest first; `(idle)` left out. With `windows`, only samples taken
 * inside one of them count (e.g. a benchmark phase, leaving out start-up and shutdown).
 */
export function summarizeProfile(
  profile: CpuProfile,
  top = 25,
  windows?: readonly TimeWindow[],
): ProfileEntry[] {
  const names = new Map<number, string>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = functionName === '' ? '(anonymous)' : functionName;
    names.set(node.id, url === '' ? name : `${name} ${basename(url)}:${lineNumber + 1}`);
  }
  const selfUs = new Map<string, number>();
  let total = 0;
  let at = profile.startTime;
  const inside = (t: number) =>
    windows === undefined || windows.some((w) => t >= w.startUs && t <= w.endUs);
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    const name = names.get(id) ?? '(unknown)';
    if (name === '(idle)' || !inside(at)) return;
    // A sample's time is the delta to the next one.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(name, (selfUs.get(name) ?? 0) + delta);
    total += delta;
  });
  return [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({
      name,
      selfMs: Math.round(us / 1000),
      percent: Math.round((us / Math.max(1, total)) * 1000) / 10,
    }));
}

/** Reads and summarizes a `.cpuprofile` file (see {@link summarizeProfile}). */
export async function summarizeProfileFile(
  path: string,
  top = 25,
  windows?: readonly TimeWindow[],
): Promise<ProfileEntry[]> {
  return summarizeProfile(JSON.parse(await readFile(path, 'utf8')) as CpuProfile, top, windows);
}

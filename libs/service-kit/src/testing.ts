// Test helpers every package uses: the README "Error codes" table as a list (so a test can assert
// that docs and code agree), an in-memory log destination whose lines come back parsed, a manual
// clock for the EMF publisher, and the CPU and memory of a service process read from /proc (for
// benches and the adversarial suite).
// Import from `@org/service-kit/testing`, in tests and tools only.

import { readFileSync } from 'node:fs';
import type { EmfClock } from './lib/emf';

export { cpuDelta, cpuSeconds, cpuSplit, rssBytes, type CpuSplit } from './lib/process-stats';

/**
 * The codes in the first column of the first table under the README heading that contains
 * "Error codes" (backticks removed), in table order.
 *
 * @example
 * ```ts
 * expect(new Set(documentedErrorCodes(join(__dirname, '../README.md')))).toEqual(
 *   new Set(Object.values(ServerErrorCode)),
 * );
 * ```
 */
export function documentedErrorCodes(readmePath: string): string[] {
  const lines = readFileSync(readmePath, 'utf8').split(/\r?\n/);
  const heading = lines.findIndex((line) => /^#{1,6}\s.*error codes/i.test(line));
  if (heading < 0) throw new Error(`${readmePath} has no "Error codes" heading`);
  const codes: string[] = [];
  let inTable = false;
  for (const line of lines.slice(heading + 1)) {
    if (/^#{1,6}\s/.test(line)) break;
    const row = line.trim();
    if (!row.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    if (!inTable) {
      inTable = true; // the header row
      continue;
    }
    if (/^\|[\s:|-]+\|$/.test(row)) continue; // the separator row
    const first = row.split('|')[1]?.trim().replace(/`/g, '') ?? '';
    if (first !== '') codes.push(first);
  }
  return codes;
}

/** One parsed log line. */
export interface LogLine {
  readonly level: string;
  readonly time: string;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

/** An in-memory log destination and what it received. */
export interface CapturedLogs {
  /** Pass as `createLogger({ destination })` (any pino destination). */
  readonly destination: { write(chunk: string): void };
  /** Every line received so far, parsed. */
  readonly lines: readonly LogLine[];
  /** The raw text received so far. */
  text(): string;
  /** Lines whose `msg` equals `msg`. */
  find(msg: string): LogLine[];
  clear(): void;
}

/**
 * Captures log lines in memory.
 *
 * @example
 * ```ts
 * const logs = captureLogs();
 * const logger = createLogger({ service: 'x', destination: logs.destination });
 * logger.info('hello');
 * expect(logs.lines[0]).toMatchObject({ level: 'info', service: 'x', msg: 'hello' });
 * ```
 */
export function captureLogs(): CapturedLogs {
  let raw = '';
  const lines: LogLine[] = [];
  return {
    destination: {
      write(chunk: string) {
        raw += chunk;
        for (const line of chunk.split('\n')) {
          if (line.trim() !== '') lines.push(JSON.parse(line) as LogLine);
        }
      },
    },
    lines,
    text: () => raw,
    find: (msg) => lines.filter((line) => line.msg === msg),
    clear() {
      raw = '';
      lines.length = 0;
    },
  };
}

/**
 * An {@link EmfClock} that moves only when told: `tick(ms)` advances `nowMs` and runs every
 * interval once (each publisher interval is one document), `intervals` shows what is scheduled.
 *
 * @example
 * ```ts
 * const clock = new ManualEmfClock();
 * const emf = startEmfPublisher({ ...options, intervalMs: 60_000, clock });
 * clock.tick(60_000); // one document
 * emf.stop();
 * expect(clock.intervals.size).toBe(0);
 * ```
 */
export class ManualEmfClock implements EmfClock {
  nowMs: number;
  readonly intervals = new Map<number, { callback: () => void; ms: number }>();
  #next = 0;

  constructor(startMs = 1_700_000_000_000) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setInterval(callback: () => void, ms: number): unknown {
    this.#next += 1;
    this.intervals.set(this.#next, { callback, ms });
    return this.#next;
  }

  clearInterval(handle: unknown): void {
    this.intervals.delete(handle as number);
  }

  /** Advances the clock by `ms` and runs every scheduled interval once. */
  tick(ms: number): void {
    this.nowMs += ms;
    for (const interval of this.intervals.values()) interval.callback();
  }
}

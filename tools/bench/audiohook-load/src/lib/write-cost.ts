// What a recording's disk write costs on this machine as the written volume grows: the CPU of one
// `pwrite` of a chunk, round-robin over as many files as sessions, measured step by step. On the
// benchmark's virtual machine the first gigabyte or two of new file pages (tmpfs or disk) cost
// 7-12 µs per 16 KiB write and every page after that about 50 µs: a 5,000-session run writes
// 80 MB/s of recordings and crosses that line within half a minute (see the README).

import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** Options of {@link measureWriteCost}. */
export interface WriteCostOptions {
  /** Where the files are made (a fresh folder inside it, removed afterwards). */
  readonly directory: string;
  /** Files written round-robin, like one recording per session. */
  readonly files: number;
  /** Bytes written in all. */
  readonly totalBytes: number;
  /** Bytes of one write. @default 16384 */
  readonly chunkBytes?: number;
  /** A figure is reported after every this many bytes. @default 256 MiB */
  readonly stepBytes?: number;
}

/** One step of {@link measureWriteCost}. */
export interface WriteCostStep {
  /** Bytes written when the step ended. */
  readonly writtenBytes: number;
  /** Process CPU per write over the step, µs (user + system). */
  readonly cpuMicrosPerWrite: number;
  /** Of which in the kernel, µs. */
  readonly systemMicrosPerWrite: number;
}

/** `value`, or a RangeError naming `name` when it is not a positive integer. */
export function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

const round = (n: number): number => Math.round(n * 10) / 10;

/**
 * Writes `totalBytes` in `chunkBytes` writes spread over `files` files and reports the CPU per
 * write at every step. Synchronous: it is the only thing its process does.
 *
 * @example
 * ```ts
 * const steps = measureWriteCost({ directory: '/dev/shm', files: 5000, totalBytes: 3 * 2 ** 30 });
 * ```
 */
export function measureWriteCost(options: WriteCostOptions): WriteCostStep[] {
  const files = positiveInteger('files', options.files);
  const chunkBytes = positiveInteger('chunkBytes', options.chunkBytes ?? 16_384);
  const stepBytes = positiveInteger('stepBytes', options.stepBytes ?? 256 * 2 ** 20);
  const totalBytes = positiveInteger('totalBytes', options.totalBytes);
  const folder = mkdtempSync(join(options.directory, 'write-cost-'));
  const chunk = new Uint8Array(chunkBytes).fill(0x7f);
  const fds: number[] = [];
  try {
    for (let i = 0; i < files; i++) fds.push(openSync(join(folder, `${i}.wav`), 'w'));
    const positions = new Array<number>(files).fill(0);
    const steps: WriteCostStep[] = [];
    let written = 0;
    let next = 0;
    while (written < totalBytes) {
      const writes = Math.max(
        1,
        Math.floor(Math.min(stepBytes, totalBytes - written) / chunkBytes),
      );
      const before = process.cpuUsage();
      for (let n = 0; n < writes; n++) {
        const fd = fds[next] as number;
        writeSync(fd, chunk, 0, chunkBytes, positions[next]);
        positions[next] = (positions[next] as number) + chunkBytes;
        next = (next + 1) % files;
      }
      const cpu = process.cpuUsage(before);
      written += writes * chunkBytes;
      steps.push({
        writtenBytes: written,
        cpuMicrosPerWrite: round((cpu.user + cpu.system) / writes),
        systemMicrosPerWrite: round(cpu.system / writes),
      });
    }
    return steps;
  } finally {
    for (const fd of fds) {
      ftruncateSync(fd, 0);
      closeSync(fd);
    }
    rmSync(folder, { recursive: true, force: true });
  }
}

// What filling the recorders' chunks costs in memory the process has used before against new
// memory. The server copies each audio frame into a 16 KiB chunk cut from a 1 MiB
// SharedArrayBuffer arena (apps/audiohook-server, chunk-pool.ts). On the benchmark's virtual
// machine the first touch of a new page costs far more than the copy: an arena created for every
// burst of late writes made the frames' copy the main thread's largest item in an overloaded run.

import { positiveInteger } from './write-cost';

/** Options of {@link measureFillCost}. */
export interface FillCostOptions {
  /** Frames copied in each of the two measurements. */
  readonly frames: number;
  /** Bytes of one frame. @default 3200 (200 ms of stereo PCMU) */
  readonly frameBytes?: number;
  /** Bytes of one chunk. @default 16384 */
  readonly chunkBytes?: number;
  /** Bytes of one arena. @default 1 MiB */
  readonly arenaBytes?: number;
}

/** CPU per frame copied, µs (user + system, and of which system). */
export interface FillCost {
  readonly warmMicrosPerFrame: number;
  readonly freshMicrosPerFrame: number;
  readonly freshSystemMicrosPerFrame: number;
}

const round = (n: number): number => Math.round(n * 1000) / 1000;

/**
 * Copies `frames` frames into the chunks of one arena over and over (warm), then the same number
 * into a new arena each time one is full (fresh), and reports the CPU per frame of each.
 *
 * @example
 * ```ts
 * const cost = measureFillCost({ frames: 200_000 });
 * ```
 */
export function measureFillCost(options: FillCostOptions): FillCost {
  const frames = positiveInteger('frames', options.frames);
  const frameBytes = positiveInteger('frameBytes', options.frameBytes ?? 3200);
  const chunkBytes = positiveInteger('chunkBytes', options.chunkBytes ?? 16_384);
  const arenaBytes = positiveInteger('arenaBytes', options.arenaBytes ?? 1_048_576);
  if (frameBytes > chunkBytes || chunkBytes > arenaBytes) {
    throw new RangeError('frameBytes ≤ chunkBytes ≤ arenaBytes is needed');
  }
  const frame = new Uint8Array(frameBytes).fill(0x55);
  const framesPerChunk = Math.floor(chunkBytes / frameBytes);
  const chunksPerArena = Math.floor(arenaBytes / chunkBytes);
  const fill = (newArena: () => SharedArrayBuffer): NodeJS.CpuUsage => {
    let arena = newArena();
    let chunk = 0;
    let inChunk = 0;
    const before = process.cpuUsage();
    for (let n = 0; n < frames; n++) {
      if (inChunk === framesPerChunk) {
        inChunk = 0;
        chunk++;
        if (chunk === chunksPerArena) {
          chunk = 0;
          arena = newArena();
        }
      }
      new Uint8Array(arena, chunk * chunkBytes + inChunk * frameBytes, frameBytes).set(frame);
      inChunk++;
    }
    return process.cpuUsage(before);
  };
  const reused = new SharedArrayBuffer(arenaBytes);
  fill(() => reused); // touches every page of the reused arena once, before measuring
  const warm = fill(() => reused);
  const fresh = fill(() => new SharedArrayBuffer(arenaBytes));
  return {
    warmMicrosPerFrame: round((warm.user + warm.system) / frames),
    freshMicrosPerFrame: round((fresh.user + fresh.system) / frames),
    freshSystemMicrosPerFrame: round(fresh.system / frames),
  };
}

// Small, dependency-free timing helpers for the benchmark: run an operation repeatedly for a
// time budget and report the median throughput over several rounds.

/** Result of timing one operation. */
export interface Throughput {
  /** Median over the rounds, in MB/s (10^6 bytes) of the operation's input. */
  readonly mbPerSecond: number;
  /** Calls per round. */
  readonly callsPerRound: number;
  readonly rounds: number;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Bytes of input one call processes. */
  readonly inputBytes: number;
  /** Wall-clock budget per round in milliseconds. */
  readonly roundMs: number;
  /** Rounds; the median is reported. */
  readonly rounds: number;
}

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Times `operation`: first a calibration to find how many calls fill `roundMs`, then `rounds`
 * rounds of that many calls. The operation's result is folded into a checksum so the engine
 * cannot drop the work.
 */
export function measure(operation: () => ArrayLike<number>, options: MeasureOptions): Throughput {
  let sink = 0;
  const run = (calls: number): number => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
      const out = operation();
      sink ^= (out[0] as number) ^ out.length;
    }
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  // Warm up (lets the JIT optimise) and calibrate.
  let calls = 1;
  while (run(calls) < options.roundMs / 4) calls *= 2;
  const perCall = run(calls) / calls;
  const callsPerRound = Math.max(1, Math.round(options.roundMs / perCall));
  const rates: number[] = [];
  for (let r = 0; r < options.rounds; r++) {
    const ms = run(callsPerRound);
    rates.push((options.inputBytes * callsPerRound) / 1e6 / (ms / 1000));
  }
  if (sink === 0.5) throw new Error('unreachable: keeps the checksum alive');
  return { mbPerSecond: median(rates), callsPerRound, rounds: options.rounds };
}

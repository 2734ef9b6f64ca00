// Benchmark of @org/audio's u-law codec. Run: npm run bench:audio  (or npx nx run bench-audio:bench)
// Options: --samples N (per call, default 16000 = 2 s of 8 kHz), --round-ms N, --rounds N,
// --check (exit 1 when a target is missed).

import { parseArgs } from 'node:util';
import { judge, runBenchmark, type BenchRow } from './bench';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '16000' },
    'round-ms': { type: 'string', default: '300' },
    rounds: { type: 'string', default: '7' },
    check: { type: 'boolean', default: false },
  },
});

const positive = (name: string, text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`--${name} must be a positive integer, got "${text}"`);
    process.exit(2);
  }
  return value;
};

const options = {
  samples: positive('samples', values.samples),
  roundMs: positive('round-ms', values['round-ms']),
  rounds: positive('rounds', values.rounds),
};

const fmt = (n: number): string => n.toFixed(0).padStart(8);
const row = (r: BenchRow): string =>
  `${r.operation.padEnd(7)}${fmt(r.ours.mbPerSecond)}${fmt(r.oursPreallocated.mbPerSecond)}${fmt(r.alawmulaw.mbPerSecond)}${fmt(r.copy.mbPerSecond)}` +
  `${r.vsAlawmulaw.toFixed(2).padStart(12)}x${r.vsCopy.toFixed(2).padStart(10)}x`;

console.log(
  `u-law codec throughput, MB/s of input (${options.samples} samples per call, median of ${options.rounds} rounds of ${options.roundMs} ms), node ${process.version}`,
);
const rows = runBenchmark(options);
console.log('op         ours  ours*  alawmulaw  copy   ours/alawmulaw  ours/copy');
for (const r of rows) console.log(row(r));
console.log('(ours* = into a preallocated output; copy = Buffer.copy of the same output bytes)');
let missed = 0;
for (const t of judge(rows)) {
  console.log(
    `${t.met ? 'PASS' : 'MISS'} ${t.name}: ${t.value.toFixed(2)}x (target >= ${t.target}x)`,
  );
  if (!t.met) missed++;
}
if (values.check && missed > 0) process.exit(1);

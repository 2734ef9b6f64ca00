// Benchmark of @org/audio's u-law codec. Run: npm run bench:audio  (or npx nx run bench-audio:bench)
// Options: --samples N (one buffer size; default: a sweep of 160, 1600, 16000, 4 Mi and 32 Mi),
// --round-ms N, --rounds N, --check (exit 1 when a target is missed at any size),
// --implementation native|wasm-simd|tables (default: what @org/audio picks, see its README).

import { parseArgs } from 'node:util';
import { g711Acceleration, setG711Acceleration, type G711Acceleration } from '@org/audio';
import { enableNativeG711 } from '@org/audio/node';
import { judge, runBenchmark, type BenchRow } from './bench';

// The native kernels are opt-in (the pure entry never loads an addon): offer them when built.
enableNativeG711();

const { values } = parseArgs({
  options: {
    samples: { type: 'string' },
    'round-ms': { type: 'string', default: '200' },
    rounds: { type: 'string', default: '5' },
    check: { type: 'boolean', default: false },
    implementation: { type: 'string' },
  },
});

const IMPLEMENTATIONS: readonly G711Acceleration[] = ['native', 'wasm-simd', 'tables'];
if (values.implementation !== undefined) {
  const wanted = IMPLEMENTATIONS.find((name) => name === values.implementation);
  if (wanted === undefined) {
    console.error(`--implementation must be one of ${IMPLEMENTATIONS.join(', ')}`);
    process.exit(2);
  }
  try {
    setG711Acceleration(wanted);
  } catch (error) {
    console.error(`--implementation ${wanted}: ${(error as Error).message}`);
    process.exit(2);
  }
}

const positive = (name: string, text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`--${name} must be a positive integer, got "${text}"`);
    process.exit(2);
  }
  return value;
};

const sizes =
  values.samples === undefined
    ? [160, 1600, 16000, 4194304, 33554432]
    : [positive('samples', values.samples)];
const roundMs = positive('round-ms', values['round-ms']);
const rounds = positive('rounds', values.rounds);

const mb = (n: number): string => n.toFixed(0).padStart(7);
const ratio = (n: number): string => `${n.toFixed(2)}x`.padStart(8);
const line = (samples: number, r: BenchRow): string =>
  `${String(samples).padStart(8)} ${r.operation}${mb(r.ours.mbPerSecond)}${mb(r.oursPreallocated.mbPerSecond)}` +
  `${mb(r.alawmulaw.mbPerSecond)}${mb(r.copy.mbPerSecond)}${ratio(r.vsAlawmulaw)}${ratio(r.vsCopy)}`;

console.log(
  `u-law codec, MB/s of input; median of ${rounds} rounds of ${roundMs} ms; node ${process.version}; ` +
    `implementation: ${g711Acceleration()}`,
);
console.log(' samples op       ours  ours*  alawm   copy  ours/alawm ours*/copy');
let missed = 0;
const verdicts: string[] = [];
for (const samples of sizes) {
  const rows = runBenchmark({ samples, roundMs, rounds });
  for (const r of rows) console.log(line(samples, r));
  for (const t of judge(rows)) {
    verdicts.push(
      `${t.met ? 'PASS' : 'MISS'} ${String(samples).padStart(8)} samples: ${t.name} ${t.value.toFixed(2)}x (target >= ${t.target}x)`,
    );
    if (!t.met) missed++;
  }
}
console.log(
  'ours = decodeUlaw/encodeUlaw allocating their output (as alawmulaw does); ours* = into a',
);
console.log(
  'preallocated output; copy = Buffer.copy of the same output bytes into a preallocated buffer.',
);
for (const v of verdicts) console.log(v);
if (values.check && missed > 0) process.exit(1);

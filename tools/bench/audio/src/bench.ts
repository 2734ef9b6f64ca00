// The u-law benchmark itself: what is measured and how it is judged. `main.ts` prints it.

import { decodeUlaw, encodeUlaw, tone } from '@org/audio';
import { mulaw } from 'alawmulaw';
import { measure, type Throughput } from './measure';

// tsx runs this file as CommonJS, where every call of an imported function first reads it through
// a getter on the imported module's exports object (about 20 ns per call here, as much as the
// whole Buffer.copy of a 20 ms frame). Reading each function once measures the codecs instead.
const ours = { decodeUlaw, encodeUlaw } as const;
const theirs = { decode: mulaw.decode, encode: mulaw.encode } as const;

/** Options of {@link runBenchmark}. */
export interface BenchOptions {
  /** Samples per call (one call = one buffer converted). */
  readonly samples: number;
  readonly roundMs: number;
  readonly rounds: number;
}

/** One row of the report. */
export interface BenchRow {
  readonly operation: 'decode' | 'encode';
  readonly ours: Throughput;
  readonly oursPreallocated: Throughput;
  readonly alawmulaw: Throughput;
  readonly copy: Throughput;
  /** ours / alawmulaw. */
  readonly vsAlawmulaw: number;
  /** ours (into a preallocated output, as the copy is) / Buffer.copy of the same output bytes. */
  readonly vsCopy: number;
}

/** The targets of the workspace issue. */
export const TARGETS = {
  decodeVsAlawmulaw: 3,
  encodeVsAlawmulaw: 3,
  decodeVsCopy: 0.3,
} as const;

/**
 * Speech-like test data: a mix of tones with a slow amplitude envelope and some noise, so that
 * every u-law segment is visited (a pure tone or silence would favour lookup tables unfairly).
 */
export function makeSignal(samples: number): Int16Array {
  const a = tone({ frequency: 220, sampleRate: 8000, samples, amplitude: 16000 });
  const b = tone({ frequency: 1330, sampleRate: 8000, samples, amplitude: 9000 });
  const out = new Int16Array(samples);
  let seed = 12345;
  for (let i = 0; i < samples; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    const noise = ((seed >>> 16) & 0x7ff) - 1024;
    const envelope = 0.2 + 0.8 * Math.abs(Math.sin((i / 8000) * Math.PI * 1.7));
    out[i] = Math.max(
      -32768,
      Math.min(32767, Math.round(((a[i] as number) + (b[i] as number)) * envelope + noise)),
    );
  }
  return out;
}

/** Runs decode and encode against the references. */
export function runBenchmark(options: BenchOptions): BenchRow[] {
  const { samples, roundMs, rounds } = options;
  const linear = makeSignal(samples);
  const ulaw = encodeUlaw(linear);
  const timing = { roundMs, rounds };

  // Cross-check before timing: all three produce the same bytes, or the comparison is meaningless.
  const reference = theirs.decode(ulaw);
  const decoded = ours.decodeUlaw(ulaw);
  if (!decoded.every((v, i) => v === reference[i]))
    throw new Error('decode differs from alawmulaw');
  if (!theirs.encode(linear).every((v, i) => v === ulaw[i]))
    throw new Error('encode differs from alawmulaw');

  const decodeOut = new Int16Array(samples);
  const decodeBytes = Buffer.from(decoded.buffer, decoded.byteOffset, decoded.byteLength);
  const decodeTarget = Buffer.alloc(decodeBytes.length);
  const decodeInput = { inputBytes: ulaw.byteLength, ...timing };
  const decodeCopyView = new Int16Array(decodeTarget.buffer, decodeTarget.byteOffset, samples);
  const decode = {
    ours: measure(() => ours.decodeUlaw(ulaw), decodeInput),
    oursPreallocated: measure(() => ours.decodeUlaw(ulaw, decodeOut), decodeInput),
    alawmulaw: measure(() => theirs.decode(ulaw), decodeInput),
    copy: measure(() => {
      decodeBytes.copy(decodeTarget);
      return decodeCopyView;
    }, decodeInput),
  };

  const encodeOut = new Uint8Array(samples);
  const encodeBytes = Buffer.from(ulaw.buffer, ulaw.byteOffset, ulaw.byteLength);
  const encodeTarget = Buffer.alloc(encodeBytes.length);
  const encodeInput = { inputBytes: linear.byteLength, ...timing };
  const encode = {
    ours: measure(() => ours.encodeUlaw(linear), encodeInput),
    oursPreallocated: measure(() => ours.encodeUlaw(linear, encodeOut), encodeInput),
    alawmulaw: measure(() => theirs.encode(linear), encodeInput),
    copy: measure(() => {
      encodeBytes.copy(encodeTarget);
      return encodeTarget;
    }, encodeInput),
  };

  return (
    [
      ['decode', decode],
      ['encode', encode],
    ] as const
  ).map(([operation, r]) => ({
    operation,
    ...r,
    vsAlawmulaw: r.ours.mbPerSecond / r.alawmulaw.mbPerSecond,
    vsCopy: r.oursPreallocated.mbPerSecond / r.copy.mbPerSecond,
  }));
}

/** Which targets a run meets. */
export function judge(
  rows: readonly BenchRow[],
): { name: string; value: number; target: number; met: boolean }[] {
  const decode = rows.find((r) => r.operation === 'decode');
  const encode = rows.find((r) => r.operation === 'encode');
  if (decode === undefined || encode === undefined) throw new Error('both operations are needed');
  return [
    { name: 'decode vs alawmulaw', value: decode.vsAlawmulaw, target: TARGETS.decodeVsAlawmulaw },
    { name: 'encode vs alawmulaw', value: encode.vsAlawmulaw, target: TARGETS.encodeVsAlawmulaw },
    { name: 'decode vs Buffer.copy', value: decode.vsCopy, target: TARGETS.decodeVsCopy },
  ].map((t) => ({ ...t, met: t.value >= t.target }));
}

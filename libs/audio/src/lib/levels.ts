// Signal levels for voice-activity detection and tests: RMS, peak, dBFS, single-frequency power.
//
// dBFS here is relative to 32768 (full-scale square wave): a full-scale sine has an RMS of
// -3.01 dBFS and a peak of 0 dBFS. Silence is -Infinity dBFS.

import { invalidArgument } from './errors';

const FULL_SCALE = 32768;

/**
 * Root-mean-square of `samples` (0 for an empty input).
 *
 * @example
 * ```ts
 * rms(new Int16Array([3, -4])); // ≈ 3.54
 * ```
 */
export function rms(samples: ArrayLike<number>): number {
  const n = samples.length;
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const v = samples[i] as number;
    sum += v * v;
  }
  return Math.sqrt(sum / n);
}

/** Largest absolute sample value (0 for an empty input). */
export function peak(samples: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = Math.abs(samples[i] as number);
    if (v > max) max = v;
  }
  return max;
}

/** Converts a linear amplitude (sample units) to dBFS. 0 gives -Infinity. */
export function toDbfs(amplitude: number): number {
  if (amplitude < 0 || Number.isNaN(amplitude))
    invalidArgument(`amplitude must be >= 0, got ${amplitude}`);
  return 20 * Math.log10(amplitude / FULL_SCALE);
}

/** Converts dBFS to a linear amplitude in sample units. */
export function fromDbfs(dbfs: number): number {
  return FULL_SCALE * 10 ** (dbfs / 20);
}

/** RMS level of `samples` in dBFS (-Infinity for silence). */
export function rmsDbfs(samples: ArrayLike<number>): number {
  return toDbfs(rms(samples));
}

/** Peak level of `samples` in dBFS (-Infinity for silence). */
export function peakDbfs(samples: ArrayLike<number>): number {
  return toDbfs(peak(samples));
}

/**
 * Amplitude of one frequency component (Goertzel algorithm): for a pure sine of amplitude A at
 * `frequency`, returns about A. Use it for tone detection (DTMF, test tones) and tests.
 *
 * @example
 * ```ts
 * toneAmplitude(tone({ frequency: 1000, sampleRate: 8000, samples: 8000, amplitude: 1000 }), 1000, 8000); // ≈ 1000
 * ```
 */
export function toneAmplitude(
  samples: ArrayLike<number>,
  frequency: number,
  sampleRate: number,
): number {
  const n = samples.length;
  if (n === 0) return 0;
  const omega = (2 * Math.PI * frequency) / sampleRate;
  const coeff = 2 * Math.cos(omega);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = (samples[i] as number) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const real = s1 - s2 * Math.cos(omega);
  const imag = s2 * Math.sin(omega);
  return (2 * Math.sqrt(real * real + imag * imag)) / n;
}

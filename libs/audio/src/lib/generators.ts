// Test-signal generators: sine tones (phase-continuous across calls) and silence.

import { assertIntegerInRange, invalidArgument } from './errors';
import { ALAW_SILENCE, ULAW_SILENCE } from './g711';
import { fromDbfs } from './levels';

/** Options of {@link ToneGenerator} and {@link tone}. */
export interface ToneOptions {
  /** Tone frequency in Hz, above 0 and below half the sample rate. */
  readonly frequency: number;
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /**
   * Peak level in dBFS (0 = full scale, 32767). Ignored when `amplitude` is given.
   * @default -6
   */
  readonly levelDbfs?: number;
  /** Peak amplitude as a sample value (0 to 32767). Overrides `levelDbfs`. */
  readonly amplitude?: number;
  /** Starting phase in radians. @default 0 */
  readonly phase?: number;
}

/**
 * Generates a sine tone block by block; the phase carries over, so consecutive blocks join
 * without a discontinuity.
 *
 * @example
 * ```ts
 * const tone = new ToneGenerator({ frequency: 1000, sampleRate: 8000, levelDbfs: -2 });
 * const frame = encodeUlaw(tone.next(1600)); // 200 ms of PCMU
 * ```
 */
export class ToneGenerator {
  readonly frequency: number;
  readonly sampleRate: number;
  readonly amplitude: number;
  #phase: number;
  readonly #step: number;

  constructor(options: ToneOptions) {
    const { frequency, sampleRate } = options;
    assertIntegerInRange('sampleRate', sampleRate, 1, 384000);
    if (!(frequency > 0 && frequency < sampleRate / 2)) {
      invalidArgument(`frequency must be above 0 and below ${sampleRate / 2} Hz, got ${frequency}`);
    }
    const amplitude = options.amplitude ?? Math.min(32767, fromDbfs(options.levelDbfs ?? -6));
    if (!(amplitude >= 0 && amplitude <= 32767))
      invalidArgument(`amplitude must be from 0 to 32767, got ${amplitude}`);
    this.frequency = frequency;
    this.sampleRate = sampleRate;
    this.amplitude = amplitude;
    this.#phase = options.phase ?? 0;
    this.#step = (2 * Math.PI * frequency) / sampleRate;
  }

  /** The next `samples` samples of the tone (into `output` when given). */
  next(samples: number, output?: Int16Array): Int16Array {
    assertIntegerInRange('samples', samples, 0, 0x7fffffff);
    if (output !== undefined && output.length < samples) {
      invalidArgument(`output holds ${output.length} samples, ${samples} needed`);
    }
    const target = output ?? new Int16Array(samples);
    let phase = this.#phase;
    for (let i = 0; i < samples; i++) {
      target[i] = Math.round(this.amplitude * Math.sin(phase));
      phase += this.#step;
    }
    // Keep the phase small so precision does not drift over hours of tone.
    this.#phase = phase % (2 * Math.PI);
    return target;
  }
}

/**
 * A block of sine tone.
 *
 * @example
 * ```ts
 * const beep = tone({ frequency: 1000, sampleRate: 8000, samples: 8000 }); // 1 s
 * ```
 */
export function tone(options: ToneOptions & { readonly samples: number }): Int16Array {
  return new ToneGenerator(options).next(options.samples);
}

/** `samples` samples of linear silence. */
export function silence(samples: number): Int16Array {
  assertIntegerInRange('samples', samples, 0, 0x7fffffff);
  return new Int16Array(samples);
}

/** `samples` bytes of u-law (PCMU) silence (0xFF). */
export function ulawSilence(samples: number): Uint8Array {
  assertIntegerInRange('samples', samples, 0, 0x7fffffff);
  return new Uint8Array(samples).fill(ULAW_SILENCE);
}

/** `samples` bytes of A-law (PCMA) silence (0xD5). */
export function alawSilence(samples: number): Uint8Array {
  assertIntegerInRange('samples', samples, 0, 0x7fffffff);
  return new Uint8Array(samples).fill(ALAW_SILENCE);
}

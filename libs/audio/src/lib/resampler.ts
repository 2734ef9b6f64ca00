// Streaming sample-rate conversion by any rational ratio (8 kHz <-> 16 kHz, 8 kHz -> 48 kHz,
// 44.1 kHz -> 16 kHz, ...) with a polyphase windowed-sinc (Kaiser) low-pass filter.
//
// Output sample n sits at input time n * inputRate / outputRate exactly: the filter's group
// delay is compensated, so the output is aligned with the input and
// `ceil(inputSamples * outputRate / inputRate)` samples come out in total after `flush()`.
// State carries across `process()` calls: splitting the input into chunks of any size gives
// bit-identical output, so there are no clicks at chunk borders.

import { allocateInt16, assertIntegerInRange, assertOutputLength, invalidArgument } from './errors';

/**
 * Most samples one `Resampler.process`/`flush` call or one `resample` returns (2^28, 512 MiB):
 * more throws `AUDIO_ERR_OUTPUT_TOO_LARGE` before anything is allocated.
 */
export const RESAMPLER_MAX_OUTPUT_SAMPLES = 2 ** 28;

/** Longest prototype filter designed (taps over all phases); finer ratios are refused. */
const MAX_FILTER_TAPS = 2 ** 21;

/** Input samples appended to the history per step, so a long input never grows it much. */
const BLOCK = 16384;

/** Options of {@link Resampler}. */
export interface ResamplerOptions {
  /** Input sample rate in Hz (1 to 384 000). */
  readonly inputRate: number;
  /** Output sample rate in Hz (1 to 384 000). */
  readonly outputRate: number;
  /**
   * Stop-band attenuation of the anti-aliasing / anti-imaging filter, in dB (20 to 120).
   * Everything at or above the lower of the two Nyquist frequencies is attenuated at least this
   * much (the Kaiser design estimate).
   * @default 70
   */
  readonly attenuationDb?: number;
  /**
   * End of the pass band as a fraction of the lower Nyquist frequency (0.5 to 0.95). With the
   * default, 8 kHz <-> 16 kHz keeps 0 to 3.4 kHz flat, the telephone band.
   * @default 0.85
   */
  readonly passband?: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const half = x / 2;
  for (let k = 1; k < 64; k++) {
    term *= (half / k) * (half / k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/**
 * Designs a linear-phase Kaiser-windowed sinc low-pass filter of odd length.
 *
 * @param cutoff Cut-off (-6 dB) frequency as a fraction of the sample rate (0 to 0.5).
 * @param transition Transition width as a fraction of the sample rate.
 * @param attenuationDb Stop-band attenuation in dB.
 * @returns Coefficients with unit DC gain.
 */
export function designLowPass(
  cutoff: number,
  transition: number,
  attenuationDb: number,
): Float64Array {
  const a = attenuationDb;
  const beta =
    a > 50 ? 0.1102 * (a - 8.7) : a >= 21 ? 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21) : 0;
  const order = Math.ceil((a - 7.95) / (2.285 * 2 * Math.PI * transition));
  const half = Math.max(1, Math.ceil(order / 2));
  const taps = new Float64Array(2 * half + 1);
  const norm = besselI0(beta);
  let sum = 0;
  for (let i = 0; i < taps.length; i++) {
    const offset = i - half;
    const x = 2 * cutoff * offset;
    const sinc = offset === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const r = offset / half;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - r * r))) / norm;
    const tap = 2 * cutoff * sinc * window;
    taps[i] = tap;
    sum += tap;
  }
  for (let i = 0; i < taps.length; i++) taps[i] = (taps[i] as number) / sum;
  return taps;
}

/**
 * A streaming resampler for mono 16-bit samples. For several channels, de-interleave and use one
 * resampler per channel.
 *
 * @example
 * ```ts
 * const up = new Resampler({ inputRate: 8000, outputRate: 16000 });
 * for (const frame of frames8k) send(up.process(frame));
 * send(up.flush());
 * ```
 */
export class Resampler {
  /** Upsampling factor L of the reduced ratio L/M. */
  readonly up: number;
  /** Downsampling factor M of the reduced ratio L/M. */
  readonly down: number;
  /** Taps per polyphase branch. */
  readonly tapsPerPhase: number;
  readonly inputRate: number;
  readonly outputRate: number;
  readonly #phases: Float64Array[];
  /** Group delay of the prototype filter, in samples of the upsampled rate. */
  readonly #delay: number;
  /** Input history: `#buffer[i]` is input sample `#bufferStart + i`. */
  #buffer: Float64Array;
  #bufferStart: number;
  #bufferLength: number;
  /** Input samples received since the start (or the last flush/reset). */
  #inputCount = 0;
  /** Index of the next output sample. */
  #outputCount = 0;

  constructor(options: ResamplerOptions) {
    const { inputRate, outputRate } = options;
    assertIntegerInRange('inputRate', inputRate, 1, 384000);
    assertIntegerInRange('outputRate', outputRate, 1, 384000);
    const attenuationDb = options.attenuationDb ?? 70;
    const passband = options.passband ?? 0.85;
    if (!(attenuationDb >= 20 && attenuationDb <= 120))
      invalidArgument('attenuationDb must be from 20 to 120');
    if (!(passband >= 0.5 && passband <= 0.95))
      invalidArgument('passband must be from 0.5 to 0.95');
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    const divisor = gcd(inputRate, outputRate);
    this.up = outputRate / divisor;
    this.down = inputRate / divisor;
    if (this.up * this.down > 1_000_000) {
      invalidArgument(
        `the ratio ${outputRate}/${inputRate} reduces to ${this.up}/${this.down}, too fine to filter`,
      );
    }

    const highRate = inputRate * this.up;
    const nyquist = Math.min(inputRate, outputRate) / 2;
    const stopEdge = nyquist / highRate;
    const passEdge = (passband * nyquist) / highRate;
    const taps = Math.ceil((attenuationDb - 7.95) / (2.285 * 2 * Math.PI * (stopEdge - passEdge)));
    if (taps > MAX_FILTER_TAPS) {
      invalidArgument(
        `the ratio ${outputRate}/${inputRate} needs a ${taps}-tap filter, more than ${MAX_FILTER_TAPS}`,
      );
    }
    const prototype =
      this.up === 1 && this.down === 1
        ? new Float64Array([1])
        : designLowPass((passEdge + stopEdge) / 2, stopEdge - passEdge, attenuationDb);
    this.#delay = (prototype.length - 1) / 2;
    this.tapsPerPhase = Math.ceil(prototype.length / this.up);
    this.#phases = [];
    for (let phase = 0; phase < this.up; phase++) {
      const branch = new Float64Array(this.tapsPerPhase);
      for (let m = 0; m < this.tapsPerPhase; m++) {
        const index = phase + m * this.up;
        branch[m] = index < prototype.length ? (prototype[index] as number) * this.up : 0;
      }
      this.#phases.push(branch);
    }
    this.#buffer = new Float64Array(4096);
    this.#bufferStart = 0;
    this.#bufferLength = 0;
    this.reset();
  }

  /** Forgets all history, as if newly constructed. */
  reset(): void {
    // Silence before the first sample: the first outputs see zeros, never garbage.
    this.#buffer.fill(0);
    this.#bufferStart = -(this.tapsPerPhase - 1);
    this.#bufferLength = this.tapsPerPhase - 1;
    this.#inputCount = 0;
    this.#outputCount = 0;
  }

  /**
   * Feeds input and returns every output sample that the input received so far determines.
   * The output lags by about half the filter length; `flush()` returns the rest.
   *
   * @throws AudioError `AUDIO_ERR_OUTPUT_TOO_LARGE` when the output would be longer than
   * {@link RESAMPLER_MAX_OUTPUT_SAMPLES} (nothing is consumed then).
   */
  process(input: Int16Array): Int16Array {
    const out = allocateInt16(
      this.#computable(this.#inputCount + input.length),
      RESAMPLER_MAX_OUTPUT_SAMPLES,
      'resampler output',
    );
    let written = 0;
    for (let offset = 0; offset < input.length; offset += BLOCK) {
      const block = input.subarray(offset, offset + BLOCK);
      this.#append(block, block.length);
      written += this.#drainInto(out, written, this.#inputCount);
    }
    return out;
  }

  /**
   * Ends the stream: returns the remaining output (as if the input were followed by silence, but
   * only up to the exact output length) and resets for a new stream.
   */
  flush(): Int16Array {
    const total = Math.ceil((this.#inputCount * this.up) / this.down);
    if (total <= this.#outputCount) {
      this.reset();
      return new Int16Array(0);
    }
    const lastNeeded = Math.floor(((total - 1) * this.down + this.#delay) / this.up);
    this.#append(undefined, Math.max(0, lastNeeded + 1 - this.#inputCount));
    const out = allocateInt16(
      Math.min(this.#computable(this.#inputCount), total - this.#outputCount),
      RESAMPLER_MAX_OUTPUT_SAMPLES,
      'resampler output',
    );
    this.#drainInto(out, 0, this.#inputCount, total);
    this.reset();
    return out;
  }

  /** Appends `count` samples (zeros when `input` is undefined) to the history buffer. */
  #append(input: Int16Array | undefined, count: number): void {
    const needed = this.#bufferLength + count;
    if (needed > this.#buffer.length) {
      const grown = new Float64Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#bufferLength));
      this.#buffer = grown;
    }
    if (input === undefined) this.#buffer.fill(0, this.#bufferLength, needed);
    else for (let i = 0; i < count; i++) this.#buffer[this.#bufferLength + i] = input[i] as number;
    this.#bufferLength = needed;
    this.#inputCount += count;
  }

  /** Outputs not produced yet whose newest input sample is below `available`. */
  #computable(available: number): number {
    // Output n needs input up to floor((n*down + delay) / up).
    const next = Math.floor((available * this.up - 1 - this.#delay) / this.down) + 1;
    return Math.max(0, next - this.#outputCount);
  }

  /**
   * Computes outputs whose newest input sample is below `available`, up to output index `limit`,
   * into `out` from `at`; returns how many.
   */
  #drainInto(
    out: Int16Array,
    at: number,
    available: number,
    limit = Number.POSITIVE_INFINITY,
  ): number {
    const { up, down, tapsPerPhase } = this;
    const delay = this.#delay;
    const count = Math.min(this.#computable(available), limit - this.#outputCount);
    const buffer = this.#buffer;
    const start = this.#bufferStart;
    for (let i = 0; i < count; i++) {
      const t = (this.#outputCount + i) * down + delay;
      const newest = Math.floor(t / up);
      const branch = this.#phases[t - newest * up] as Float64Array;
      let acc = 0;
      let index = newest - start;
      for (let m = 0; m < tapsPerPhase; m++, index--)
        acc += (branch[m] as number) * (buffer[index] as number);
      const rounded = Math.round(acc);
      out[at + i] = rounded > 32767 ? 32767 : rounded < -32768 ? -32768 : rounded;
    }
    this.#outputCount += count;
    // Keep only the history the next output needs.
    const nextNewest = Math.floor((this.#outputCount * down + delay) / up);
    const keepFrom = Math.min(nextNewest - (tapsPerPhase - 1), start + this.#bufferLength) - start;
    if (keepFrom > 0) {
      this.#buffer.copyWithin(0, keepFrom, this.#bufferLength);
      this.#bufferLength -= keepFrom;
      this.#bufferStart += keepFrom;
    }
    return count;
  }
}

/**
 * Resamples a whole signal at once (a {@link Resampler} plus `flush()`).
 *
 * @throws AudioError `AUDIO_ERR_OUTPUT_TOO_LARGE` when the result would be longer than
 * {@link RESAMPLER_MAX_OUTPUT_SAMPLES}, `AUDIO_ERR_INVALID_ARGUMENT` for a bad rate or option.
 *
 * @example
 * ```ts
 * const wideband = resample(narrowband, 8000, 16000);
 * ```
 */
export function resample(
  input: Int16Array,
  inputRate: number,
  outputRate: number,
  options: Omit<ResamplerOptions, 'inputRate' | 'outputRate'> = {},
): Int16Array {
  assertIntegerInRange('inputRate', inputRate, 1, 384000);
  assertIntegerInRange('outputRate', outputRate, 1, 384000);
  // Refuse an oversized result before designing a filter for it.
  assertOutputLength(
    Math.ceil((input.length * outputRate) / inputRate),
    RESAMPLER_MAX_OUTPUT_SAMPLES,
    'resample output',
  );
  const resampler = new Resampler({ ...options, inputRate, outputRate });
  // The exact output length is known: allocate it once (or refuse) and fill it block by block.
  const total = Math.ceil((input.length * resampler.up) / resampler.down);
  const out = allocateInt16(total, RESAMPLER_MAX_OUTPUT_SAMPLES, 'resample output');
  let written = 0;
  for (let offset = 0; offset < input.length; offset += BLOCK) {
    const piece = resampler.process(input.subarray(offset, offset + BLOCK));
    out.set(piece, written);
    written += piece.length;
  }
  out.set(resampler.flush(), written);
  return out;
}

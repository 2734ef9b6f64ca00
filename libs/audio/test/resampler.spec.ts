import {
  AudioErrorCode,
  RESAMPLER_MAX_OUTPUT_SAMPLES,
  Resampler,
  designLowPass,
  resample,
  rms,
  tone,
  toDbfs,
  toneAmplitude,
} from '../src';
import { audioError } from './helpers';

/** Frequency from the positive-going zero crossings, interpolated between samples. */
function measureFrequency(samples: Int16Array, sampleRate: number): number {
  const crossings: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1] as number;
    const b = samples[i] as number;
    if (a < 0 && b >= 0) crossings.push(i - 1 + -a / (b - a));
  }
  const first = crossings[0] as number;
  const last = crossings[crossings.length - 1] as number;
  return ((crossings.length - 1) * sampleRate) / (last - first);
}

/** The steady part of a signal: drops `edge` samples at both ends (filter start-up and tail). */
function steady(samples: Int16Array, edge: number): Int16Array {
  return samples.subarray(edge, samples.length - edge);
}

const levelDb = (output: Int16Array, input: Int16Array): number =>
  toDbfs(rms(output)) - toDbfs(rms(input));

describe('Resampler', () => {
  describe.each([
    [8000, 16000],
    [16000, 8000],
  ])('%i Hz -> %i Hz', (inputRate, outputRate) => {
    const input = tone({
      frequency: 1000,
      sampleRate: inputRate,
      samples: inputRate,
      amplitude: 10000,
    });
    const output = resample(input, inputRate, outputRate);

    it('produces exactly outputRate/inputRate times the samples', () => {
      expect(output.length).toBe(outputRate);
    });

    it('keeps a 1 kHz tone at 1 kHz, within 0.5 dB of its level', () => {
      const core = steady(output, outputRate / 20);
      expect(measureFrequency(core, outputRate)).toBeCloseTo(1000, 1);
      expect(Math.abs(levelDb(core, steady(input, inputRate / 20)))).toBeLessThan(0.5);
    });

    it('keeps the tone aligned in time (group delay compensated)', () => {
      const ideal = tone({
        frequency: 1000,
        sampleRate: outputRate,
        samples: outputRate,
        amplitude: 10000,
      });
      const core = steady(output, outputRate / 20);
      const error = core.map((v, i) => v - (ideal[i + outputRate / 20] as number));
      expect(toDbfs(rms(error)) - toDbfs(rms(core))).toBeLessThan(-40);
    });

    it('passes a sine sweep over the telephone band (300 Hz to 3.4 kHz) within 0.5 dB', () => {
      for (let frequency = 300; frequency <= 3400; frequency += 100) {
        const sweepInput = tone({
          frequency,
          sampleRate: inputRate,
          samples: inputRate / 4,
          amplitude: 8000,
        });
        const sweepOutput = resample(sweepInput, inputRate, outputRate);
        const gain = levelDb(
          steady(sweepOutput, outputRate / 40),
          steady(sweepInput, inputRate / 40),
        );
        expect({ frequency, ok: Math.abs(gain) < 0.5 }).toEqual({ frequency, ok: true });
      }
    });
  });

  it('attenuates content above the new Nyquist by at least 40 dB when downsampling (sweep 4 to 8 kHz)', () => {
    const tooLoud: { frequency: number; db: number }[] = [];
    for (let frequency = 4000; frequency < 8000; frequency += 125) {
      const input = tone({ frequency, sampleRate: 16000, samples: 4000, amplitude: 20000 });
      const db = levelDb(steady(resample(input, 16000, 8000), 200), input);
      if (!(db <= -40)) tooLoud.push({ frequency, db });
    }
    expect(tooLoud).toEqual([]);
  });

  it('attenuates the images above the old Nyquist by at least 40 dB when upsampling', () => {
    const tooLoud: { frequency: number; db: number }[] = [];
    for (let frequency = 300; frequency <= 3400; frequency += 100) {
      const input = tone({ frequency, sampleRate: 8000, samples: 8000, amplitude: 20000 });
      const output = steady(resample(input, 8000, 16000), 400);
      const wanted = toneAmplitude(output, frequency, 16000);
      const image = toneAmplitude(output, 8000 - frequency, 16000);
      const db = 20 * Math.log10(image / wanted);
      if (!(db <= -40)) tooLoud.push({ frequency, db });
    }
    expect(tooLoud).toEqual([]);
  });

  it('gives bit-identical output whatever the chunk sizes (no clicks at chunk borders)', () => {
    const input = tone({ frequency: 1234, sampleRate: 8000, samples: 4001, amplitude: 12000 });
    const whole = resample(input, 8000, 16000);
    const streaming = new Resampler({ inputRate: 8000, outputRate: 16000 });
    const pieces: number[] = [];
    let offset = 0;
    for (const size of [1, 7, 160, 3, 1000, 33, 2797]) {
      pieces.push(...streaming.process(input.subarray(offset, offset + size)));
      offset += size;
    }
    pieces.push(...streaming.flush());
    expect(offset).toBe(input.length);
    expect(pieces).toEqual(Array.from(whole));
  });

  it('gives bit-identical output in chunks when downsampling by 3 (48 kHz -> 16 kHz)', () => {
    const input = tone({ frequency: 700, sampleRate: 48000, samples: 4800, amplitude: 12000 });
    const whole = resample(input, 48000, 16000);
    const streaming = new Resampler({ inputRate: 48000, outputRate: 16000 });
    const pieces = [
      ...streaming.process(input.subarray(0, 1001)),
      ...streaming.process(input.subarray(1001)),
      ...streaming.flush(),
    ];
    expect(pieces).toEqual(Array.from(whole));
    expect(whole.length).toBe(1600);
  });

  it.each([
    [8000, 48000],
    [48000, 8000],
    [44100, 16000],
    [16000, 44100],
    [8000, 8000],
  ])('converts %i Hz to %i Hz keeping a 1 kHz tone', (inputRate, outputRate) => {
    const input = tone({
      frequency: 1000,
      sampleRate: inputRate,
      samples: inputRate / 2,
      amplitude: 10000,
    });
    const output = resample(input, inputRate, outputRate);
    expect(output.length).toBe(Math.ceil((input.length * outputRate) / inputRate));
    const core = steady(output, Math.floor(outputRate / 40));
    expect(measureFrequency(core, outputRate)).toBeCloseTo(1000, 0);
    expect(Math.abs(levelDb(core, steady(input, Math.floor(inputRate / 40))))).toBeLessThan(0.5);
  });

  it('passes 8 kHz -> 8 kHz through unchanged', () => {
    const input = new Int16Array([1, -2, 3, 32767, -32768]);
    expect(Array.from(resample(input, 8000, 8000))).toEqual(Array.from(input));
  });

  it('reduces the ratio and reports its polyphase shape', () => {
    const r = new Resampler({ inputRate: 44100, outputRate: 16000 });
    expect([r.up, r.down]).toEqual([160, 441]);
    expect(r.tapsPerPhase).toBeGreaterThan(1);
  });

  it('returns nothing from flush on an empty stream, and resets after flush', () => {
    const r = new Resampler({ inputRate: 8000, outputRate: 16000 });
    expect(r.flush().length).toBe(0);
    const first = [...r.process(new Int16Array(100).fill(1000)), ...r.flush()];
    const second = [...r.process(new Int16Array(100).fill(1000)), ...r.flush()];
    expect(second).toEqual(first);
    expect(first.length).toBe(200);
  });

  it('clips instead of wrapping when the filter overshoots on a full-scale square wave', () => {
    const square = Int16Array.from({ length: 800 }, (_, i) =>
      Math.floor(i / 20) % 2 === 0 ? 32767 : -32768,
    );
    const output = resample(square, 8000, 16000);
    expect(Math.max(...output)).toBe(32767);
    expect(Math.min(...output)).toBe(-32768);
  });

  it.each([
    [{ inputRate: 0, outputRate: 8000 }],
    [{ inputRate: 8000, outputRate: 8000.5 }],
    [{ inputRate: 8000, outputRate: 16000, attenuationDb: 10 }],
    [{ inputRate: 8000, outputRate: 16000, passband: 0.99 }],
    [{ inputRate: 383999, outputRate: 384000 }],
  ])('rejects %j', (options) => {
    expect(() => new Resampler(options)).toThrow(
      audioError(AudioErrorCode.InvalidArgument) as Error,
    );
  });
});

describe('Resampler output limits', () => {
  it('refuses a whole-signal result longer than RESAMPLER_MAX_OUTPUT_SAMPLES before allocating it', () => {
    // 1 Hz -> 8 kHz: a million samples would become eight billion.
    expect(() => resample(new Int16Array(1_000_000), 1, 8000)).toThrow(
      audioError(AudioErrorCode.OutputTooLarge) as Error,
    );
  });

  it('refuses a process() call whose output would pass the limit, and consumes nothing', () => {
    const r = new Resampler({ inputRate: 1, outputRate: 8000 });
    // Past the limit even after the filter's delay (about 30 input samples here).
    const input = new Int16Array(Math.ceil(RESAMPLER_MAX_OUTPUT_SAMPLES / 8000) + 100);
    expect(() => r.process(input)).toThrow(audioError(AudioErrorCode.OutputTooLarge) as Error);
    expect(r.process(new Int16Array(2)).length + r.flush().length).toBe(16000);
  });

  it('refuses a ratio whose filter would need more than 2^21 taps', () => {
    expect(() => new Resampler({ inputRate: 1, outputRate: 384000 })).toThrow(
      audioError(AudioErrorCode.InvalidArgument) as Error,
    );
  });

  it('gives the same samples for a long input in one call (several internal blocks) as in 20 ms chunks', () => {
    const input = tone({ frequency: 700, sampleRate: 8000, samples: 50_000, amplitude: 9000 });
    const whole = resample(input, 8000, 48000);
    const r = new Resampler({ inputRate: 8000, outputRate: 48000 });
    const chunked = new Int16Array(whole.length);
    let at = 0;
    for (let i = 0; i < input.length; i += 160) {
      const piece = r.process(input.subarray(i, i + 160));
      chunked.set(piece, at);
      at += piece.length;
    }
    chunked.set(r.flush(), at);
    expect(whole.length).toBe(50_000 * 6);
    expect(Buffer.from(whole.buffer).equals(Buffer.from(chunked.buffer))).toBe(true);
  });
});

describe('designLowPass', () => {
  it('has unit DC gain, odd length and symmetric taps', () => {
    const taps = designLowPass(0.2, 0.05, 60);
    expect(taps.length % 2).toBe(1);
    expect(taps.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (let i = 0; i < taps.length; i++)
      expect(taps[i]).toBeCloseTo(taps[taps.length - 1 - i] as number, 15);
  });
});

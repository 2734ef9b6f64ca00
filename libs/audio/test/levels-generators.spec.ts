import {
  AudioErrorCode,
  ToneGenerator,
  alawSilence,
  decodeUlaw,
  fromDbfs,
  peak,
  peakDbfs,
  rms,
  rmsDbfs,
  silence,
  toDbfs,
  tone,
  toneAmplitude,
  ulawSilence,
} from '../src';
import { audioError } from './helpers';

describe('levels', () => {
  it('computes RMS and peak', () => {
    expect(rms(new Int16Array([3, -4]))).toBeCloseTo(Math.sqrt(12.5), 12);
    expect(peak(new Int16Array([3, -4, 2]))).toBe(4);
    expect(rms(new Int16Array(0))).toBe(0);
    expect(peak([])).toBe(0);
  });

  it('expresses levels in dBFS relative to 32768', () => {
    expect(toDbfs(32768)).toBe(0);
    expect(toDbfs(16384)).toBeCloseTo(-6.0206, 4);
    expect(toDbfs(0)).toBe(-Infinity);
    expect(fromDbfs(-6.0206)).toBeCloseTo(16384, 0);
    expect(rmsDbfs(silence(10))).toBe(-Infinity);
    expect(peakDbfs(new Int16Array([-32768]))).toBe(0);
    expect(() => toDbfs(-1)).toThrow(audioError(AudioErrorCode.InvalidArgument) as Error);
  });

  it('measures a full-scale sine at -3.01 dBFS RMS and 0 dBFS peak', () => {
    const sine = tone({ frequency: 1000, sampleRate: 8000, samples: 8000, amplitude: 32767 });
    expect(rmsDbfs(sine)).toBeCloseTo(-3.01, 2);
    expect(peakDbfs(sine)).toBeCloseTo(0, 3);
  });

  it('measures one frequency component with toneAmplitude', () => {
    const sine = tone({ frequency: 1000, sampleRate: 8000, samples: 8000, amplitude: 1000 });
    expect(toneAmplitude(sine, 1000, 8000)).toBeCloseTo(1000, -1);
    expect(toneAmplitude(sine, 2000, 8000)).toBeLessThan(1);
    expect(toneAmplitude([], 1000, 8000)).toBe(0);
  });
});

describe('generators', () => {
  it('makes a tone at the requested frequency and peak level', () => {
    const samples = tone({ frequency: 440, sampleRate: 16000, samples: 16000, levelDbfs: -6 });
    expect(peakDbfs(samples)).toBeCloseTo(-6, 1);
    expect(toneAmplitude(samples, 440, 16000)).toBeCloseTo(fromDbfs(-6), -2);
  });

  it('defaults to -6 dBFS and keeps the phase across blocks (no discontinuity)', () => {
    const whole = new ToneGenerator({ frequency: 1000, sampleRate: 8000 }).next(1000);
    const blocks = new ToneGenerator({ frequency: 1000, sampleRate: 8000 });
    const joined = [...blocks.next(333), ...blocks.next(667)];
    expect(joined).toEqual(Array.from(whole));
  });

  it('reproduces the reference client tone: a 1 kHz PCMU pattern peaking near +/-25980', () => {
    const pattern = new Uint8Array([0xff, 0x0d, 0x06, 0x0d, 0xff, 0x8d, 0x86, 0x8d]);
    const decoded = decodeUlaw(pattern);
    expect(peak(decoded)).toBe(25980);
    expect(peakDbfs(decoded)).toBeCloseTo(-2.02, 1);
    expect(toneAmplitude(decoded, 1000, 8000)).toBeGreaterThan(20000);
  });

  it('writes into a caller-provided output', () => {
    const out = new Int16Array(4);
    expect(new ToneGenerator({ frequency: 100, sampleRate: 8000 }).next(4, out)).toBe(out);
  });

  it.each([
    ['a frequency at Nyquist', () => new ToneGenerator({ frequency: 4000, sampleRate: 8000 })],
    ['a zero frequency', () => new ToneGenerator({ frequency: 0, sampleRate: 8000 })],
    [
      'an amplitude above full scale',
      () => new ToneGenerator({ frequency: 100, sampleRate: 8000, amplitude: 40000 }),
    ],
    ['a fractional sample count', () => tone({ frequency: 100, sampleRate: 8000, samples: 1.5 })],
    [
      'an output that is too small',
      () => new ToneGenerator({ frequency: 100, sampleRate: 8000 }).next(4, new Int16Array(2)),
    ],
    ['a negative silence length', () => silence(-1)],
  ])('rejects %s', (_, call) => {
    expect(call).toThrow(audioError(AudioErrorCode.InvalidArgument) as Error);
  });

  it('makes linear, u-law and A-law silence', () => {
    expect(Array.from(silence(3))).toEqual([0, 0, 0]);
    expect(Array.from(ulawSilence(2))).toEqual([0xff, 0xff]);
    expect(Array.from(alawSilence(2))).toEqual([0xd5, 0xd5]);
    expect(Array.from(decodeUlaw(ulawSilence(4)))).toEqual([0, 0, 0, 0]);
  });
});

import fc from 'fast-check';
import {
  AudioHookError,
  AudioHookErrorCode,
  MAX_DURATION_NANOS,
  MAX_STREAM_POSITION_NANOS,
  StreamTimeline,
  formatDuration,
  isDuration,
  millisToNanos,
  nanosToMillis,
  nanosToSamples,
  parseDuration,
  samplesToNanos,
  secondsToNanos,
} from '../src';
import { fixture } from './helpers';

interface DurationVectors {
  parse: [string, number][];
  format: [number, string][];
  invalid: string[];
}

const vectors = fixture<DurationVectors>('durations.json');

describe('durations', () => {
  it.each(vectors.parse)('parses %s as %d ns', (text, nanos) => {
    expect(parseDuration(text)).toBe(nanos);
  });

  it.each(vectors.format)('formats %d ns as %s', (nanos, text) => {
    expect(formatDuration(nanos)).toBe(text);
  });

  it.each(vectors.invalid)('rejects %j with a typed error', (text) => {
    expect(() => parseDuration(text)).toThrow(
      expect.objectContaining({ code: AudioHookErrorCode.InvalidDuration }),
    );
    expect(isDuration(text)).toBe(false);
  });

  it('rejects values beyond the safe range and bad inputs to the formatter', () => {
    expect(() => parseDuration('PT9007199254.740992S')).toThrow(
      expect.objectContaining({ code: AudioHookErrorCode.DurationOutOfRange }),
    );
    expect(() => parseDuration(`PT${'9'.repeat(40)}S`)).toThrow(AudioHookError);
    expect(isDuration(`PT${'9'.repeat(40)}S`)).toBe(false);
    for (const bad of [-1, 1.5, Number.NaN, Infinity, MAX_DURATION_NANOS + 2]) {
      expect(() => formatDuration(bad)).toThrow(
        expect.objectContaining({ code: AudioHookErrorCode.DurationOutOfRange }),
      );
    }
    expect(() => parseDuration(42 as unknown as string)).toThrow(AudioHookError);
  });

  it('round-trips every nanosecond value without drift or exponent notation (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_DURATION_NANOS }), (nanos) => {
        const text = formatDuration(nanos);
        expect(text).toMatch(/^PT\d+(\.\d*[1-9])?S$/);
        expect(parseDuration(text)).toBe(nanos);
      }),
    );
  });

  it('never throws anything but AudioHookError on random strings (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^PT[0-9.eE+-]{0,14}S$/)), (text) => {
        try {
          const nanos = parseDuration(text);
          expect(Number.isSafeInteger(nanos)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(AudioHookError);
        }
      }),
    );
  });

  it('converts between samples, seconds, milliseconds and nanoseconds exactly', () => {
    expect(samplesToNanos(1600, 8000)).toBe(200_000_000);
    expect(samplesToNanos(8000 * 3600 * 24 * 7 + 1, 8000)).toBe(604_800_000_125_000);
    expect(samplesToNanos(1, 44100)).toBe(22676);
    expect(nanosToSamples(parseDuration('PT0.2S'), 8000)).toBe(1600);
    expect(nanosToSamples(124_999, 8000)).toBe(0);
    expect(secondsToNanos(0.1)).toBe(100_000_000);
    expect(millisToNanos(200)).toBe(200_000_000);
    expect(nanosToMillis(1_500_000)).toBe(1.5);
    expect(() => samplesToNanos(-1, 8000)).toThrow(AudioHookError);
    expect(() => samplesToNanos(1, 0)).toThrow(AudioHookError);
    expect(() => nanosToSamples(-1, 8000)).toThrow(AudioHookError);
    expect(() => nanosToSamples(1, 1.5)).toThrow(AudioHookError);
    expect(() => secondsToNanos(-1)).toThrow(AudioHookError);
  });

  describe('StreamTimeline', () => {
    it('counts samples plus discarded gaps (timeline mode)', () => {
      const timeline = new StreamTimeline();
      timeline.addSamples(1600);
      timeline.addDiscarded(parseDuration('PT1S'));
      timeline.addSamples(800);
      expect(formatDuration(timeline.position)).toBe('PT1.3S');
      expect(timeline.samples).toBe(2400);
      expect(timeline.discarded).toBe(1_000_000_000);
      expect(timeline.audio).toBe(300_000_000);
    });

    it('counts samples only in samples mode (the reference server)', () => {
      const timeline = new StreamTimeline(8000, 'samples');
      timeline.addSamples(8000);
      timeline.addDiscarded(5_000_000_000);
      expect(timeline.position).toBe(1_000_000_000);
    });

    it('rejects bad counts', () => {
      const timeline = new StreamTimeline();
      expect(() => timeline.addSamples(-1)).toThrow(AudioHookError);
      expect(() => timeline.addDiscarded(0.5)).toThrow(AudioHookError);
      expect(() => new StreamTimeline(0)).toThrow(AudioHookError);
    });

    it('refuses gaps that would take the position past MAX_STREAM_POSITION_NANOS, counting nothing', () => {
      const timeline = new StreamTimeline();
      timeline.addSamples(8000);
      const outOfRange = expect.objectContaining({ code: AudioHookErrorCode.DurationOutOfRange });
      // Two gaps that each parse (≤ MAX_DURATION_NANOS) but together would not be exact.
      timeline.addDiscarded(parseDuration('PT4503000S'));
      expect(() => timeline.addDiscarded(parseDuration('PT9007199S'))).toThrow(outOfRange);
      expect(timeline.discarded).toBe(4_503_000_000_000_000);
      expect(Number.isSafeInteger(timeline.position)).toBe(true);
      // Audio is bounded by what the gaps left.
      timeline.addSamples(8000 * 598);
      expect(() => timeline.addSamples(8000)).toThrow(outOfRange);
      expect(timeline.position).toBeLessThanOrEqual(MAX_STREAM_POSITION_NANOS);
      expect(MAX_STREAM_POSITION_NANOS * 2).toBeLessThanOrEqual(MAX_DURATION_NANOS);
    });

    it('bounds the gaps in samples mode too, though they are not part of the position', () => {
      const timeline = new StreamTimeline(8000, 'samples');
      timeline.addDiscarded(MAX_STREAM_POSITION_NANOS);
      expect(() => timeline.addDiscarded(1)).toThrow(AudioHookError);
      timeline.addSamples(8000);
      expect(timeline.position).toBe(1_000_000_000);
    });
  });
});

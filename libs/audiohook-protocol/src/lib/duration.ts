// AudioHook durations (`PT<seconds>S`) on integer nanoseconds, and stream-position accounting.

import { AudioHookError, AudioHookErrorCode } from './errors';

/**
 * Nanoseconds in one second.
 *
 * @example
 * ```ts
 * const seconds = parseDuration('PT1.5S') / NANOS_PER_SECOND; // 1.5
 * ```
 */
export const NANOS_PER_SECOND = 1_000_000_000;

/**
 * Largest duration this library represents exactly: the largest safe integer number of
 * nanoseconds (about 104 days).
 *
 * @example
 * ```ts
 * if (nanos > MAX_DURATION_NANOS) throw new RangeError('too long');
 * ```
 */
export const MAX_DURATION_NANOS = Number.MAX_SAFE_INTEGER;

/**
 * Largest stream position a {@link StreamTimeline} counts to: half of
 * {@link MAX_DURATION_NANOS} (about 52 days), so that an offset up to that size can be added to a
 * position and the sum still be exact. A client whose `discarded` gaps (or audio) would take the
 * position past it is out of range.
 *
 * @example
 * ```ts
 * const timeline = new StreamTimeline(8000);
 * timeline.addDiscarded(MAX_STREAM_POSITION_NANOS); // the longest gap it takes; one more sample throws
 * ```
 */
export const MAX_STREAM_POSITION_NANOS = Math.floor(MAX_DURATION_NANOS / 2);

/**
 * The duration pattern both reference sides validate with: seconds only, fixed point.
 *
 * @example
 * ```ts
 * DURATION_PATTERN.test('PT0.5S'); // true
 * DURATION_PATTERN.test('PT1M'); // false
 * ```
 */
export const DURATION_PATTERN = /^PT(?:(\d*)\.)?(\d+)S$/;

function outOfRange(message: string): never {
  throw new AudioHookError(AudioHookErrorCode.DurationOutOfRange, message);
}

/**
 * Parses an AudioHook duration (`PT0S`, `PT1.5S`, `PT.5S`, `PT0.001494055S`) into integer
 * nanoseconds. Digits past the ninth fraction digit are rounded half-up to the nearest
 * nanosecond. No floating-point arithmetic is involved, so `PT0.1S` is exactly 100,000,000.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_DURATION` when the text does not match
 *   `PT(\d*\.)?\d+S`, `AUDIOHOOK_ERR_DURATION_OUT_OF_RANGE` above {@link MAX_DURATION_NANOS}.
 *
 * @example
 * ```ts
 * parseDuration('PT1.5S'); // 1_500_000_000
 * ```
 */
export function parseDuration(text: string): number {
  const match = typeof text === 'string' ? DURATION_PATTERN.exec(text) : null;
  if (match === null) {
    throw new AudioHookError(
      AudioHookErrorCode.InvalidDuration,
      `not an AudioHook duration (PT<seconds>S): ${JSON.stringify(text)}`,
    );
  }
  const hasPoint = match[1] !== undefined;
  const whole = (hasPoint ? match[1] : match[2]) || '0';
  const fraction = hasPoint ? (match[2] as string) : '';
  const digits = whole.replace(/^0+(?=\d)/, '');
  if (digits.length > 16) outOfRange(`duration ${text} is too large`);
  const seconds = Number(digits);
  let nanos = fraction.length === 0 ? 0 : Number(fraction.slice(0, 9).padEnd(9, '0'));
  if (fraction.length > 9 && fraction.charCodeAt(9) - 48 >= 5) nanos += 1;
  const total = seconds * NANOS_PER_SECOND + nanos;
  if (!Number.isSafeInteger(total)) outOfRange(`duration ${text} is too large`);
  return total;
}

/**
 * Formats integer nanoseconds as an AudioHook duration: fixed-point seconds with no trailing
 * zeros (`PT0S`, `PT3S`, `PT15.4S`, `PT0.000000001S`); never exponent notation.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_DURATION_OUT_OF_RANGE` for negative, fractional or
 *   unsafe values.
 *
 * @example
 * ```ts
 * formatDuration(1_494_055); // 'PT0.001494055S'
 * ```
 */
export function formatDuration(nanos: number): string {
  if (!Number.isSafeInteger(nanos) || nanos < 0) {
    outOfRange(`a duration must be a non-negative safe integer of nanoseconds, got ${nanos}`);
  }
  const seconds = Math.floor(nanos / NANOS_PER_SECOND);
  const rest = nanos - seconds * NANOS_PER_SECOND;
  if (rest === 0) return `PT${seconds}S`;
  return `PT${seconds}.${String(rest).padStart(9, '0').replace(/0+$/, '')}S`;
}

/**
 * True when `text` is a valid AudioHook duration within range.
 *
 * @example
 * ```ts
 * isDuration('PT1M'); // false
 * ```
 */
export function isDuration(text: unknown): text is string {
  if (typeof text !== 'string' || !DURATION_PATTERN.test(text)) return false;
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Converts seconds (a JavaScript number) to integer nanoseconds, rounded to the nearest.
 *
 * @example
 * ```ts
 * formatDuration(secondsToNanos(0.2)); // 'PT0.2S'
 * ```
 */
export function secondsToNanos(seconds: number): number {
  const nanos = Math.round(seconds * NANOS_PER_SECOND);
  if (!Number.isSafeInteger(nanos) || nanos < 0) {
    outOfRange(`cannot express ${seconds} s as a duration`);
  }
  return nanos;
}

/**
 * Converts milliseconds to integer nanoseconds.
 *
 * @example
 * ```ts
 * millisToNanos(200); // 200_000_000
 * ```
 */
export function millisToNanos(millis: number): number {
  return secondsToNanos(millis / 1000);
}

/**
 * Converts integer nanoseconds to (possibly fractional) milliseconds.
 *
 * @example
 * ```ts
 * nanosToMillis(parseDuration('PT0.012S')); // 12
 * ```
 */
export function nanosToMillis(nanos: number): number {
  return nanos / 1_000_000;
}

/**
 * The duration of `samples` samples per channel at `rate` Hz, in nanoseconds, computed without
 * losing precision (rounded to the nearest nanosecond; exact for 8000 Hz).
 *
 * @example
 * ```ts
 * samplesToNanos(1600, 8000); // 200_000_000
 * ```
 */
export function samplesToNanos(samples: number, rate: number): number {
  if (!Number.isSafeInteger(samples) || samples < 0) outOfRange(`invalid sample count ${samples}`);
  if (!Number.isSafeInteger(rate) || rate <= 0) outOfRange(`invalid sample rate ${rate}`);
  const whole = Math.floor(samples / rate);
  const rest = samples - whole * rate;
  return whole * NANOS_PER_SECOND + Math.round((rest * NANOS_PER_SECOND) / rate);
}

/**
 * How many whole samples at `rate` Hz fit into `nanos` (rounded down).
 *
 * @example
 * ```ts
 * nanosToSamples(parseDuration('PT0.2S'), 8000); // 1600
 * ```
 */
export function nanosToSamples(nanos: number, rate: number): number {
  if (!Number.isSafeInteger(nanos) || nanos < 0) outOfRange(`invalid duration ${nanos}`);
  if (!Number.isSafeInteger(rate) || rate <= 0) outOfRange(`invalid sample rate ${rate}`);
  const seconds = Math.floor(nanos / NANOS_PER_SECOND);
  const rest = nanos - seconds * NANOS_PER_SECOND;
  return seconds * rate + Math.floor((rest * rate) / NANOS_PER_SECOND);
}

/**
 * How a stream position is counted.
 * - `timeline`: samples received plus every `discarded` duration (the protocol's timeline).
 * - `samples`: samples received only (the reference server's simplification).
 *
 * @example
 * ```ts
 * const mode: PositionMode = 'samples'; // the reference server's count
 * new ServerSession({ transport, positionMode: mode });
 * ```
 */
export type PositionMode = 'timeline' | 'samples';

/**
 * Keeps a stream position on the AudioHook timeline: audio samples received or sent, plus the
 * gaps reported by `discarded` and `resumed` messages. All arithmetic is in integer
 * nanoseconds and samples, so hours of audio do not drift.
 *
 * @example
 * ```ts
 * const timeline = new StreamTimeline(8000);
 * timeline.addSamples(1600);                          // 200 ms of audio
 * timeline.addDiscarded(parseDuration('PT1S'));       // from `resumed.discarded`
 * formatDuration(timeline.position);                  // 'PT1.2S'
 * ```
 */
export class StreamTimeline {
  #samples = 0;
  #discarded = 0;
  /** Samples that keep the position within {@link MAX_STREAM_POSITION_NANOS}. */
  #maxSamples: number;

  /**
   * @param rate Sample rate in Hz. @default 8000
   * @param mode How the position is counted. @default 'timeline'
   */
  constructor(
    readonly rate = 8000,
    readonly mode: PositionMode = 'timeline',
  ) {
    if (!Number.isSafeInteger(rate) || rate <= 0) outOfRange(`invalid sample rate ${rate}`);
    this.#maxSamples = nanosToSamples(MAX_STREAM_POSITION_NANOS, rate);
  }

  /** Samples per channel counted so far. */
  get samples(): number {
    return this.#samples;
  }

  /** Sum of all discarded durations, in nanoseconds. */
  get discarded(): number {
    return this.#discarded;
  }

  /** Duration of the audio counted so far, in nanoseconds. */
  get audio(): number {
    return samplesToNanos(this.#samples, this.rate);
  }

  /** The stream position in nanoseconds (see {@link PositionMode}). */
  get position(): number {
    const audio = this.audio;
    return this.mode === 'samples' ? audio : audio + this.#discarded;
  }

  /**
   * Counts `count` samples per channel of audio.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_DURATION_OUT_OF_RANGE` when the position would pass
   *   {@link MAX_STREAM_POSITION_NANOS} (nothing is counted then).
   */
  addSamples(count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) outOfRange(`invalid sample count ${count}`);
    const samples = this.#samples + count;
    if (samples > this.#maxSamples) {
      outOfRange(`the stream position would pass ${MAX_STREAM_POSITION_NANOS} ns`);
    }
    this.#samples = samples;
  }

  /**
   * Counts a gap of `nanos` nanoseconds (from `discarded` or `resumed`).
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_DURATION_OUT_OF_RANGE` when the gaps together (and, in
   *   `timeline` mode, the position) would pass {@link MAX_STREAM_POSITION_NANOS} (nothing is
   *   counted then).
   */
  addDiscarded(nanos: number): void {
    if (!Number.isSafeInteger(nanos) || nanos < 0) outOfRange(`invalid duration ${nanos}`);
    const discarded = this.#discarded + nanos;
    const counted = this.mode === 'samples' ? 0 : discarded;
    if (discarded > MAX_STREAM_POSITION_NANOS || this.audio + counted > MAX_STREAM_POSITION_NANOS) {
      outOfRange(
        `the discarded gaps would take the stream position past ${MAX_STREAM_POSITION_NANOS} ns`,
      );
    }
    this.#discarded = discarded;
    this.#maxSamples = nanosToSamples(MAX_STREAM_POSITION_NANOS - counted, this.rate);
  }
}

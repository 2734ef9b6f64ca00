// Energy voice-activity detection over fixed windows, in audio time (sample counts), so the
// result never depends on how fast or in what sizes the audio arrives. One state machine for
// every use: a window is speech or not (by RMS level, or by the reference AudioHook simulator's
// u-law energy rule), speech starts after enough consecutive speech windows and ends after enough
// consecutive non-speech windows (or at a maximum length), and a ring of recent windows gives the
// pre-roll of an utterance.

import { assertIntegerInRange, invalidArgument } from './errors';
import { encodeUlaw } from './g711';
import { rmsDbfs } from './levels';

/**
 * How a window is judged to be speech.
 * - `rms`: its RMS level is at or above `thresholdDbfs`.
 * - `ulaw-energy`: the rule of Genesys' Transcription Connector simulator, on the window's u-law
 *   codes `c = byte & 0x7f` (lower is louder): speech when `min(c) < minThreshold` and
 *   `mean(c) < meanThreshold`.
 */
export type SpeechCriterion =
  | { readonly kind: 'rms'; readonly thresholdDbfs: number }
  | { readonly kind: 'ulaw-energy'; readonly minThreshold: number; readonly meanThreshold: number };

/** Options of {@link EnergyVad}. Every time is in ms of audio; out of range: `AudioError`. */
export interface EnergyVadOptions {
  /** Sample rate of the audio pushed, Hz (an integer, 1 to 384000). @default 8000 */
  readonly sampleRate?: number;
  /** Analysis window (above 0, at most 1000). @default 20 */
  readonly windowMs?: number;
  /** @default { kind: 'rms', thresholdDbfs: -35 } */
  readonly speech?: SpeechCriterion;
  /** Consecutive speech that starts an utterance (0 to 3600000; at least one window). @default 60 */
  readonly startMs?: number;
  /** Consecutive non-speech that ends it (above 0, at most 3600000). @default 1000 */
  readonly endSilenceMs?: number;
  /**
   * An utterance ends after this long even without silence (above 0, at most 3600000). It also
   * bounds the audio kept with `preRollMs`: an endless tone never grows memory past it.
   * @default 60000
   */
  readonly maxUtteranceMs?: number;
  /**
   * Keep the utterance's audio and hand it over with its end: this much audio before the start
   * decision (the start windows included, at least one window), then everything to the end.
   * `undefined` keeps no audio. 0 to 60000.
   * @default undefined
   */
  readonly preRollMs?: number;
}

/** Default of {@link EnergyVadOptions.maxUtteranceMs}: one minute. */
export const VAD_DEFAULT_MAX_UTTERANCE_MS = 60_000;
/** Largest `startMs`, `endSilenceMs` and `maxUtteranceMs` accepted: one hour. */
export const VAD_MAX_DURATION_MS = 3_600_000;
/** Largest `windowMs` accepted. */
export const VAD_MAX_WINDOW_MS = 1000;
/** Largest `preRollMs` accepted. */
export const VAD_MAX_PRE_ROLL_MS = 60_000;

/** Speech started: `atSample` is when it was decided, `speechStartSample` its first window. */
export interface VadStart {
  readonly type: 'start';
  readonly atSample: number;
  readonly speechStartSample: number;
}

/** Speech ended. Sample positions count from the detector's first sample. */
export interface VadEnd {
  readonly type: 'end';
  /** When the end was decided. */
  readonly atSample: number;
  readonly speechStartSample: number;
  /** End of the last speech window (`atSample` for `max_length` and `flush`). */
  readonly speechEndSample: number;
  readonly reason: 'silence' | 'max_length' | 'flush';
  /** Pre-roll plus everything up to `atSample`, when `preRollMs` is set. */
  readonly audio: Int16Array | undefined;
}

/** A boundary found by {@link EnergyVad.push} or {@link EnergyVad.flush}. */
export type VadEvent = VadStart | VadEnd;

/** `value`, checked to be a finite number in `(min, max]` (`[min, max]` when `inclusive`). */
function inRange(
  name: string,
  value: unknown,
  min: number,
  max: number,
  inclusive = false,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    (inclusive ? value < min : value <= min) ||
    value > max
  ) {
    const low = inclusive ? `from ${min}` : `above ${min}`;
    invalidArgument(`${name} must be a finite number ${low} up to ${max}, got ${String(value)}`);
  }
  return value;
}

function speechCriterion(criterion: SpeechCriterion | undefined): SpeechCriterion {
  if (criterion === undefined) return { kind: 'rms', thresholdDbfs: -35 };
  if (typeof criterion !== 'object' || criterion === null) {
    return invalidArgument('speech must be an object with a kind');
  }
  if (criterion.kind === 'rms') {
    if (!Number.isFinite(criterion.thresholdDbfs)) {
      invalidArgument(
        `speech.thresholdDbfs must be a finite number, got ${String(criterion.thresholdDbfs)}`,
      );
    }
    return { kind: 'rms', thresholdDbfs: criterion.thresholdDbfs };
  }
  if (criterion.kind === 'ulaw-energy') {
    inRange('speech.minThreshold', criterion.minThreshold, 0, 128, true);
    inRange('speech.meanThreshold', criterion.meanThreshold, 0, 128, true);
    const { minThreshold, meanThreshold } = criterion;
    return { kind: 'ulaw-energy', minThreshold, meanThreshold };
  }
  return invalidArgument(
    `speech.kind must be 'rms' or 'ulaw-energy', got ${String((criterion as { kind?: unknown }).kind)}`,
  );
}

/**
 * An energy voice-activity detector. Push linear samples (any length); it returns the start and
 * end of each utterance, then looks for the next one.
 *
 * @throws AudioError `AUDIO_ERR_INVALID_ARGUMENT` for an option that is not a finite number in
 * its range (see {@link EnergyVadOptions}) or an unknown speech criterion.
 * @example
 * ```ts
 * const vad = new EnergyVad({ sampleRate: 8000, endSilenceMs: 800, preRollMs: 300 });
 * for (const event of vad.push(samples)) if (event.type === 'end') recognise(event.audio);
 * ```
 */
export class EnergyVad {
  readonly sampleRate: number;
  readonly windowSamples: number;
  readonly #speech: SpeechCriterion;
  readonly #startWindows: number;
  readonly #endWindows: number;
  readonly #maxSamples: number;
  /** Windows kept before the start, or undefined when no audio is kept. */
  readonly #preRollWindows: number | undefined;
  readonly #pending: Int16Array;
  #pendingLength = 0;
  #position = 0;
  #speechRun = 0;
  #silenceRun = 0;
  #speaking = false;
  #speechStart = 0;
  #decidedAt = 0;
  /** The last pre-roll windows, as a ring of `#preRollWindows` slots (no copy per window). */
  readonly #ring: Int16Array | undefined;
  #ringFilled = 0;
  #ringNext = 0;
  /** The audio of the utterance so far: grows by doubling, handed out at its end. */
  #utterance = new Int16Array(0);
  #utteranceLength = 0;
  /** Most samples an utterance's audio can reach: the pre-roll windows plus `maxUtteranceMs`. */
  readonly #utteranceCapacity: number;

  constructor(options: EnergyVadOptions = {}) {
    const sampleRate = options.sampleRate ?? 8000;
    assertIntegerInRange('sampleRate', sampleRate, 1, 384000);
    this.sampleRate = sampleRate;
    const windowMs = inRange('windowMs', options.windowMs ?? 20, 0, VAD_MAX_WINDOW_MS);
    this.windowSamples = Math.max(1, Math.round((this.sampleRate * windowMs) / 1000));
    this.#speech = speechCriterion(options.speech);
    const startMs = inRange('startMs', options.startMs ?? 60, 0, VAD_MAX_DURATION_MS, true);
    this.#startWindows = Math.max(1, Math.ceil(startMs / windowMs));
    const endMs = inRange('endSilenceMs', options.endSilenceMs ?? 1000, 0, VAD_MAX_DURATION_MS);
    this.#endWindows = Math.max(1, Math.ceil(endMs / windowMs));
    const maxMs = inRange(
      'maxUtteranceMs',
      options.maxUtteranceMs ?? VAD_DEFAULT_MAX_UTTERANCE_MS,
      0,
      VAD_MAX_DURATION_MS,
    );
    this.#maxSamples = (maxMs * this.sampleRate) / 1000;
    this.#preRollWindows =
      options.preRollMs === undefined
        ? undefined
        : Math.max(
            1,
            Math.ceil(
              inRange('preRollMs', options.preRollMs, 0, VAD_MAX_PRE_ROLL_MS, true) / windowMs,
            ),
          );
    this.#utteranceCapacity =
      ((this.#preRollWindows ?? 0) + Math.ceil(this.#maxSamples / this.windowSamples)) *
      this.windowSamples;
    this.#pending = new Int16Array(this.windowSamples);
    this.#ring =
      this.#preRollWindows === undefined
        ? undefined
        : new Int16Array(this.#preRollWindows * this.windowSamples);
  }

  /** Samples examined so far (whole windows). */
  get position(): number {
    return this.#position;
  }

  /** Audio time examined so far, in ms. */
  get elapsedMs(): number {
    return (this.#position * 1000) / this.sampleRate;
  }

  /** True between a start and its end. */
  get speaking(): boolean {
    return this.#speaking;
  }

  /** Feeds samples and returns the boundaries they complete, in order. */
  push(samples: Int16Array): VadEvent[] {
    const events: VadEvent[] = [];
    let offset = 0;
    while (offset < samples.length) {
      const take = Math.min(this.windowSamples - this.#pendingLength, samples.length - offset);
      this.#pending.set(samples.subarray(offset, offset + take), this.#pendingLength);
      this.#pendingLength += take;
      offset += take;
      if (this.#pendingLength === this.windowSamples) {
        this.#pendingLength = 0;
        const event = this.#window(this.#pending);
        if (event !== undefined) events.push(event);
      }
    }
    return events;
  }

  /** Ends an open utterance at the current position (end of stream, pause); [] when silent. */
  flush(): VadEvent[] {
    if (this.#speaking) return [this.#end('flush', this.#position)];
    this.#speechRun = 0;
    return [];
  }

  #isSpeech(window: Int16Array): boolean {
    const criterion = this.#speech;
    if (criterion.kind === 'rms') return rmsDbfs(window) >= criterion.thresholdDbfs;
    const codes = encodeUlaw(window);
    let min = 127;
    let sum = 0;
    for (const byte of codes) {
      const code = byte & 0x7f;
      if (code < min) min = code;
      sum += code;
    }
    return min < criterion.minThreshold && sum / codes.length < criterion.meanThreshold;
  }

  #window(samples: Int16Array): VadEvent | undefined {
    const speech = this.#isSpeech(samples);
    this.#position += samples.length;
    const ring = this.#ring;
    if (!this.#speaking) {
      if (ring !== undefined) this.#keepPreRoll(ring, samples);
      this.#speechRun = speech ? this.#speechRun + 1 : 0;
      if (this.#speechRun < this.#startWindows) return undefined;
      this.#speaking = true;
      this.#silenceRun = 0;
      this.#decidedAt = this.#position;
      this.#speechStart = this.#position - this.#speechRun * this.windowSamples;
      if (ring !== undefined) this.#startUtterance(ring);
      return { type: 'start', atSample: this.#position, speechStartSample: this.#speechStart };
    }
    if (ring !== undefined) this.#append(samples);
    this.#silenceRun = speech ? 0 : this.#silenceRun + 1;
    if (this.#silenceRun >= this.#endWindows) {
      return this.#end('silence', this.#position - this.#silenceRun * this.windowSamples);
    }
    if (this.#position - this.#decidedAt >= this.#maxSamples) {
      return this.#end('max_length', this.#position);
    }
    return undefined;
  }

  #keepPreRoll(ring: Int16Array, samples: Int16Array): void {
    const slots = ring.length / this.windowSamples;
    ring.set(samples, this.#ringNext * this.windowSamples);
    this.#ringNext = (this.#ringNext + 1) % slots;
    this.#ringFilled = Math.min(slots, this.#ringFilled + 1);
  }

  /** The utterance begins with the kept pre-roll windows, oldest first. */
  #startUtterance(ring: Int16Array): void {
    const w = this.windowSamples;
    const slots = ring.length / w;
    this.#utteranceLength = 0;
    for (let i = 0; i < this.#ringFilled; i++) {
      const slot = (this.#ringNext - this.#ringFilled + i + slots) % slots;
      this.#append(ring.subarray(slot * w, slot * w + w));
    }
    this.#ringFilled = 0;
    this.#ringNext = 0;
  }

  #append(samples: Int16Array): void {
    const needed = this.#utteranceLength + samples.length;
    if (needed > this.#utterance.length) {
      // Doubling, but never past the most an utterance can hold (pre-roll plus maxUtteranceMs).
      const grown = new Int16Array(
        Math.max(
          needed,
          Math.min(
            Math.max(this.#utterance.length * 2, this.windowSamples * 64),
            this.#utteranceCapacity,
          ),
        ),
      );
      grown.set(this.#utterance.subarray(0, this.#utteranceLength));
      this.#utterance = grown;
    }
    this.#utterance.set(samples, this.#utteranceLength);
    this.#utteranceLength = needed;
  }

  #end(reason: VadEnd['reason'], speechEndSample: number): VadEnd {
    const audio =
      this.#ring !== undefined ? this.#utterance.slice(0, this.#utteranceLength) : undefined;
    this.#speaking = false;
    this.#speechRun = 0;
    this.#silenceRun = 0;
    // The buffer is not kept between utterances: an idle conversation holds no audio.
    this.#utterance = new Int16Array(0);
    this.#utteranceLength = 0;
    return {
      type: 'end',
      atSample: this.#position,
      speechStartSample: this.#speechStart,
      speechEndSample,
      reason,
      audio,
    };
  }
}

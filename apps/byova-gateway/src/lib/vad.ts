// Energy-based voice activity detection over 20 ms windows, in audio time (sample counts), so
// the result does not depend on how fast frames arrive. START after `startDebounceMs` of
// consecutive speech windows, END after `endSilenceMs` of consecutive non-speech windows (or when
// an utterance reaches `maxUtteranceMs`). A ring of recent audio provides the pre-roll.

import { rmsDbfs } from '@org/audio';

/** Options of {@link VoiceActivityDetector}. */
export interface VadOptions {
  /** A window at or above this RMS level (dBFS) counts as speech. */
  readonly speechThresholdDbfs: number;
  /** Consecutive speech needed to declare START. */
  readonly startDebounceMs: number;
  /** Consecutive non-speech needed to declare END. */
  readonly endSilenceMs: number;
  /** An utterance is ended after this long even without silence. */
  readonly maxUtteranceMs: number;
  /** Audio kept before START and handed over with the utterance. */
  readonly preRollMs: number;
}

/** What one call to {@link VoiceActivityDetector.push} found. */
export type VadEvent =
  | { readonly type: 'start'; readonly atMs: number }
  | {
      readonly type: 'end';
      readonly atMs: number;
      readonly utterance: Int16Array;
      readonly reason: 'silence' | 'max_length';
    };

const WINDOW_MS = 20;

/**
 * One caller turn's speech detector. Feed it decoded frames; it reports START once and END once.
 *
 * @example
 * ```ts
 * const vad = new VoiceActivityDetector(8000, options);
 * for (const event of vad.push(samples)) if (event.type === 'end') send(event.utterance);
 * ```
 */
export class VoiceActivityDetector {
  readonly sampleRate: number;
  readonly #options: VadOptions;
  readonly #windowSamples: number;
  #pending: Int16Array;
  #pendingLength = 0;
  #processedSamples = 0;
  #speechRun = 0;
  #silenceRun = 0;
  #state: 'idle' | 'speech' | 'ended' = 'idle';
  /** Pre-roll ring (idle) and the utterance (speech), as windows. */
  #preRoll: Int16Array[] = [];
  #utterance: Int16Array[] = [];
  #startAtSample = 0;

  constructor(sampleRate: number, options: VadOptions) {
    this.sampleRate = sampleRate;
    this.#options = options;
    this.#windowSamples = Math.round((sampleRate * WINDOW_MS) / 1000);
    this.#pending = new Int16Array(this.#windowSamples);
  }

  /** `idle` before START, `speech` between START and END, `ended` after END. */
  get state(): 'idle' | 'speech' | 'ended' {
    return this.#state;
  }

  /** Audio time consumed so far, in ms. */
  get elapsedMs(): number {
    return (this.#processedSamples * 1000) / this.sampleRate;
  }

  /** Feeds samples (any length) and returns the boundaries they complete. */
  push(samples: Int16Array): VadEvent[] {
    const events: VadEvent[] = [];
    let offset = 0;
    while (offset < samples.length && this.#state !== 'ended') {
      const take = Math.min(this.#windowSamples - this.#pendingLength, samples.length - offset);
      this.#pending.set(samples.subarray(offset, offset + take), this.#pendingLength);
      this.#pendingLength += take;
      offset += take;
      if (this.#pendingLength === this.#windowSamples) {
        const event = this.#window(this.#pending.slice());
        this.#pendingLength = 0;
        if (event !== undefined) events.push(event);
      }
    }
    return events;
  }

  #window(window: Int16Array): VadEvent | undefined {
    this.#processedSamples += window.length;
    const speech = rmsDbfs(window) >= this.#options.speechThresholdDbfs;
    const nowMs = this.elapsedMs;
    if (this.#state === 'idle') {
      this.#preRoll.push(window);
      const keep = Math.max(1, Math.ceil(this.#options.preRollMs / WINDOW_MS));
      if (this.#preRoll.length > keep) this.#preRoll.shift();
      this.#speechRun = speech ? this.#speechRun + WINDOW_MS : 0;
      if (speech && this.#speechRun >= Math.max(WINDOW_MS, this.#options.startDebounceMs)) {
        this.#state = 'speech';
        this.#utterance = this.#preRoll;
        this.#preRoll = [];
        this.#startAtSample = this.#processedSamples;
        this.#silenceRun = 0;
        return { type: 'start', atMs: nowMs };
      }
      return undefined;
    }
    this.#utterance.push(window);
    this.#silenceRun = speech ? 0 : this.#silenceRun + WINDOW_MS;
    const lengthMs = ((this.#processedSamples - this.#startAtSample) * 1000) / this.sampleRate;
    if (
      this.#silenceRun >= this.#options.endSilenceMs ||
      lengthMs >= this.#options.maxUtteranceMs
    ) {
      this.#state = 'ended';
      return {
        type: 'end',
        atMs: nowMs,
        utterance: concat(this.#utterance),
        reason: this.#silenceRun >= this.#options.endSilenceMs ? 'silence' : 'max_length',
      };
    }
    return undefined;
  }
}

function concat(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

// The reference's Transcription Connector simulator (spec §17.6) as a speech engine: an energy VAD
// per channel, and for every detected utterance one final result whose words are a fixed sentence
// per language, cut to what fits the utterance. The local default: no cloud account needed.

import { deinterleave, EnergyVad, type VadEvent } from '@org/audio';
import type {
  SpeechEngine,
  SpeechResult,
  SpeechStream,
  SpeechStreamListener,
  SpeechStreamOptions,
  SpeechWord,
} from '@org/speech';

const SENTENCES: Readonly<Record<string, string>> = {
  en: 'My name is John, and my number is 3.',
  fr: "Je m'appelle Jean et mon numéro est le 3.",
  pt: 'Meu nome é João e meu número é 3.',
  zh: '我 叫 约翰 我 的 号码 是 三',
  cmn: '我 叫 约翰 我 的 号码 是 三',
  bg: 'Казвам се Джон и номерът ми е 3.',
  el: 'Με λένε Γιάννη και ο αριθμός μου είναι 3.',
};

/** The reference simulator's energy VAD (spec §17.6): 100 ms u-law blocks, 2 start, 4 end. */
const referenceVad = (sampleRate: number): EnergyVad =>
  new EnergyVad({
    sampleRate,
    windowMs: 100,
    speech: { kind: 'ulaw-energy', minThreshold: 80, meanThreshold: 110 },
    startMs: 200,
    endSilenceMs: 400,
  });

/** Nanoseconds one word takes: 120 ms plus 50 ms per character. */
function wordNanos(word: string): number {
  return (120 + 50 * [...word].length) * 1_000_000;
}

/** The sentence's words that fit `[startNs, endNs)` (at least one), spread from its start. */
export function simulatedWords(language: string, startNs: number, endNs: number): SpeechWord[] {
  const primary = (language.split('-')[0] ?? 'en').toLowerCase();
  const sentence = SENTENCES[primary] ?? (SENTENCES['en'] as string);
  const duration = endNs - startNs;
  const words: SpeechWord[] = [];
  let at = 0;
  for (const text of sentence.split(/\s+/)) {
    const length = wordNanos(text);
    if (at + length > duration && words.length > 0) break;
    words.push({
      text,
      startNs: startNs + at,
      endNs: startNs + at + Math.min(length, duration),
      confidence: 0.9,
      language: primary,
    });
    at += length;
  }
  return words;
}

class SimulatorStream implements SpeechStream {
  readonly #options: SpeechStreamOptions;
  readonly #listener: SpeechStreamListener;
  readonly #vads: EnergyVad[];
  readonly #nanosPerSample: number;
  #utterances = 0;
  #closed = false;

  constructor(options: SpeechStreamOptions, listener: SpeechStreamListener) {
    this.#options = options;
    this.#listener = listener;
    this.#vads = Array.from({ length: options.channels }, () => referenceVad(options.sampleRate));
    this.#nanosPerSample = 1e9 / options.sampleRate;
    queueMicrotask(() => {
      if (!this.#closed) listener.ready();
    });
  }

  write(pcm: Int16Array): void {
    if (this.#closed) return;
    const channels =
      this.#options.channels === 1 ? [pcm] : deinterleave(pcm, this.#options.channels);
    channels.forEach((samples, channel) =>
      this.#emit(channel, (this.#vads[channel] as EnergyVad).push(samples)),
    );
  }

  end(): void {
    if (this.#closed) return;
    this.#vads.forEach((vad, channel) => this.#emit(channel, vad.flush()));
    this.#close();
  }

  abort(): void {
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.closed();
  }

  #emit(channel: number, events: readonly VadEvent[]): void {
    for (const event of events) {
      if (event.type !== 'end') continue;
      const startNs = Math.round(event.speechStartSample * this.#nanosPerSample);
      const endNs = Math.round(event.speechEndSample * this.#nanosPerSample);
      const words = simulatedWords(this.#options.language, startNs, endNs);
      const result: SpeechResult = {
        id: `sim-${channel}-${++this.#utterances}`,
        channel,
        isFinal: true,
        startNs,
        endNs,
        language: this.#options.language,
        alternatives: [{ transcript: words.map((w) => w.text).join(' '), confidence: 0.9, words }],
      };
      this.#listener.result(result);
    }
  }
}

/**
 * The simulator engine (`TRANSCRIPTION_ENGINE=simulator`). Vocabulary and redaction are accepted
 * and ignored.
 *
 * @example
 * ```ts
 * const transcriber = new StreamingTranscriber({ engine: new SimulatorEngine(), channels: 2 });
 * ```
 */
export class SimulatorEngine implements SpeechEngine {
  readonly name = 'simulator';
  readonly maxChannels = 2;

  startStream(options: SpeechStreamOptions, listener: SpeechStreamListener): SpeechStream {
    return new SimulatorStream(options, listener);
  }

  async close(): Promise<void> {
    // Nothing held.
  }
}

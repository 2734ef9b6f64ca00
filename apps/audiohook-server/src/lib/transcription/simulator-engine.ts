// Simulated transcripts for the Transcription Connector endpoint: a fixed sentence per language,
// cut to the words that fit the detected utterance.

import { randomUUID } from 'node:crypto';
import { formatDuration, type EventEntity } from '@org/audiohook-protocol';

const SENTENCES: Readonly<Record<string, string>> = {
  en: 'My name is John, and my number is 3.',
  fr: "Je m'appelle Jean et mon numéro est le 3.",
  pt: 'Meu nome é João e meu número é 3.',
  zh: '我 叫 约翰 我 的 号码 是 三',
  cmn: '我 叫 约翰 我 的 号码 是 三',
  bg: 'Казвам се Джон и номерът ми е 3.',
  el: 'Με λένε Γιάννη και ο αριθμός μου είναι 3.',
};

/** Nanoseconds one word takes: 120 ms plus 50 ms per character. */
function wordNanos(word: string): number {
  return (120 + 50 * [...word].length) * 1_000_000;
}

export interface TranscriptInput {
  readonly channelId: number;
  /** Utterance start on the stream timeline, ns. */
  readonly offset: number;
  /** Utterance length, ns. */
  readonly duration: number;
  /** The session language, e.g. `en-US`. */
  readonly language: string;
}

/** Builds one final `transcript` entity (spec §10.1) for a detected utterance. */
export function simulatedTranscript(input: TranscriptInput): EventEntity {
  const primary = (input.language.split('-')[0] ?? 'en').toLowerCase();
  const words = (SENTENCES[primary] ?? (SENTENCES['en'] as string)).split(/\s+/);
  const tokens: Record<string, unknown>[] = [];
  let at = 0;
  for (const word of words) {
    const length = wordNanos(word);
    if (at + length > input.duration && tokens.length > 0) break;
    tokens.push({
      type: 'word',
      value: word,
      confidence: 0.9,
      offset: formatDuration(input.offset + at),
      duration: formatDuration(Math.min(length, input.duration)),
      language: primary,
    });
    at += length;
  }
  return {
    type: 'transcript',
    data: {
      id: randomUUID(),
      channelId: input.channelId,
      isFinal: true,
      offset: formatDuration(input.offset),
      duration: formatDuration(input.duration),
      alternatives: [
        {
          confidence: 0.9,
          languages: [input.language],
          interpretations: [
            {
              type: 'display',
              transcript: tokens.map((t) => t['value']).join(' '),
              tokens,
            },
          ],
        },
      ],
    },
  };
}

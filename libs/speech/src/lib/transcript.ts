// Engine results placed on the session timeline (a call's, e.g. AudioHook's): offsets and
// durations of results and words in whole nanoseconds, confidence per alternative and word, the
// channel, and one id per utterance shared by its partials and its final. Turning that into a
// protocol's message (an AudioHook `transcript` entity) is the app's job.

import type { SpeechAlternative, SpeechResult } from './engine';

/** A word on the session timeline. */
export interface TimedWord {
  readonly text: string;
  readonly offsetNs: number;
  readonly durationNs: number;
  readonly confidence: number;
  readonly language?: string;
}

/** An alternative on the session timeline. */
export interface TimedAlternative {
  readonly transcript: string;
  readonly confidence: number;
  readonly words: readonly TimedWord[];
}

/** A result on the session timeline, ready to become a `transcript` entity. */
export interface TimedTranscript {
  /** The AudioHook utterance id (a UUID; the same for an utterance's partials and final). */
  readonly id: string;
  /** Index into the session's negotiated channels. */
  readonly channelId: 0 | 1;
  readonly isFinal: boolean;
  readonly offsetNs: number;
  readonly durationNs: number;
  /** The language tag to report (the session's, e.g. `cmn-CN`). */
  readonly language?: string;
  readonly alternatives: readonly TimedAlternative[];
}

function alternativeConfidence(alternative: SpeechAlternative): number {
  if (alternative.confidence !== undefined) return alternative.confidence;
  const known = alternative.words.flatMap((w) =>
    w.confidence === undefined ? [] : [w.confidence],
  );
  if (known.length === 0) return 0;
  return known.reduce((sum, c) => sum + c, 0) / known.length;
}

/**
 * Places `result` on the session timeline: `toSession` maps a time relative to the stream's first
 * sample to a session position (see `FeedTimeline`). Durations are end minus start after mapping,
 * so a result that spans a gap covers it.
 *
 * @example
 * ```ts
 * const timed = placeResult(result, (ns) => timeline.toSession(stream.feedStart + ns), {
 *   id, channelId: 1, language: 'en-US',
 * });
 * ```
 */
export function placeResult(
  result: SpeechResult,
  toSession: (streamNs: number) => number,
  meta: { readonly id: string; readonly channelId: 0 | 1; readonly language?: string },
): TimedTranscript {
  const offsetNs = toSession(result.startNs);
  const endNs = Math.max(offsetNs, toSession(result.endNs));
  return {
    id: meta.id,
    channelId: meta.channelId,
    isFinal: result.isFinal,
    offsetNs,
    durationNs: endNs - offsetNs,
    ...(meta.language === undefined ? {} : { language: meta.language }),
    alternatives: result.alternatives.map((alternative) => {
      const confidence = alternativeConfidence(alternative);
      return {
        transcript: alternative.transcript,
        confidence,
        words: alternative.words.map((word) => {
          const start = toSession(word.startNs);
          return {
            text: word.text,
            offsetNs: start,
            durationNs: Math.max(0, toSession(word.endNs) - start),
            confidence: word.confidence ?? confidence,
            ...(word.language === undefined ? {} : { language: word.language }),
          };
        }),
      };
    }),
  };
}

// A transcript placed on the session timeline (@org/speech) as an AudioHook `transcript` entity
// (spec §10.1): id, channelId, isFinal, offset, duration, and per alternative its confidence, the
// session's language and one display interpretation whose tokens are the words.

import {
  formatDuration,
  transcriptEntity,
  type EventEntity,
  type TranscriptData,
} from '@org/audiohook-protocol';
import type { TimedTranscript } from '@org/speech';

/**
 * The `transcript` entity data of a placed result.
 *
 * @example
 * ```ts
 * const data = transcriptData(timed); // { id, channelId, isFinal, offset: 'PT4.1S', ... }
 * ```
 */
export function transcriptData(timed: TimedTranscript): TranscriptData {
  return {
    id: timed.id,
    channelId: timed.channelId,
    isFinal: timed.isFinal,
    offset: formatDuration(timed.offsetNs),
    duration: formatDuration(timed.durationNs),
    alternatives: timed.alternatives.map((alternative) => ({
      confidence: alternative.confidence,
      ...(timed.language === undefined ? {} : { languages: [timed.language] }),
      interpretations: [
        {
          type: 'display' as const,
          transcript: alternative.transcript,
          tokens: alternative.words.map((word) => ({
            type: 'word' as const,
            value: word.text,
            confidence: word.confidence,
            offset: formatDuration(word.offsetNs),
            duration: formatDuration(word.durationNs),
            ...(word.language === undefined ? {} : { language: word.language }),
          })),
        },
      ],
    })),
  };
}

/**
 * The validated `transcript` entity of a placed result.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_PARAMETERS` if it breaks the entity schema.
 * @example
 * ```ts
 * transcriber.on('transcript', (t) => session.sendEvent([toTranscriptEntity(t)]));
 * ```
 */
export function toTranscriptEntity(timed: TimedTranscript): EventEntity {
  return transcriptEntity(transcriptData(timed));
}

// The agent-assist demo's utterances from the call itself (`AGENT_ASSIST_UTTERANCES=transcripts`):
// a StreamingTranscriber on the configured speech engine transcribes both channels, and every
// final transcript becomes an `agentassist` utterance (text, position and duration on the session
// timeline, confidence, language, and `external`/`internal` from the negotiated channel). A
// transcription failure ends only the utterances; the call and its recording go on.

import { randomUUID } from 'node:crypto';
import {
  agentAssistEntity,
  formatDuration,
  type AudioFrame,
  type MediaParameter,
  type ServerSession,
} from '@org/audiohook-protocol';
import { StreamingTranscriber, type TimedTranscript } from '@org/speech';
import type { AppLogger } from '../logging';
import { StreamStartBudget } from '../transcription/start-budget';
import type { VoiceTranscriptionOptions } from './voice-transcription';

/** The `agentassist` entity of a final transcript. */
export function utteranceEntity(timed: TimedTranscript, media: MediaParameter, language: string) {
  const best = timed.alternatives[0];
  const channel = media.channels[timed.channelId] === 'internal' ? 'internal' : 'external';
  return agentAssistEntity({
    id: randomUUID(),
    utterances: [
      {
        id: timed.id,
        position: formatDuration(timed.offsetNs),
        duration: formatDuration(timed.durationNs),
        text: best?.transcript ?? '',
        language: timed.language ?? language,
        confidence: best?.confidence ?? 0,
        channel,
        isFinal: true,
      },
    ],
  });
}

/**
 * Transcribes `session` and sends each final transcript as an agent-assist utterance. Returns
 * the close handler (the last finals go out before `closed`).
 */
export function transcribeForAgentAssist(
  session: ServerSession,
  logger: AppLogger,
  speech: Omit<VoiceTranscriptionOptions, 'languages'>,
  media: MediaParameter,
  language: string,
): (context: { parameters: unknown }) => Promise<void> {
  const transcriber = new StreamingTranscriber({
    ...speech.transcriber,
    partialResults: false,
    engine: speech.engine,
    channels: 2,
    sampleRate: media.rate,
    logger,
    ...(session.id === undefined ? {} : { sessionId: session.id }),
    ...(speech.clock === undefined ? {} : { clock: speech.clock }),
  });
  transcriber.on('transcript', (timed) => {
    if (timed.isFinal && ['ACTIVE', 'PAUSED', 'CLOSING'].includes(session.state)) {
      session.sendEvent([utteranceEntity(timed, media, language)]);
    }
  });
  transcriber.on('failed', (error) => {
    logger.warn({ err: error.toJSON() }, 'agent assist: transcription failed; no more utterances');
  });
  session.on('audio', (frame: AudioFrame) => {
    if (frame.channelCount !== 2) return;
    transcriber.write(frame.toLinear(), session.position - frame.duration, frame.duration);
  });
  // Every start opens a new engine stream: past the budget the utterances end, the call goes on.
  const budget = new StreamStartBudget();
  const start = (): void => {
    if (budget.spent) return;
    if (budget.take()) {
      transcriber.start(language);
      return;
    }
    logger.warn('agent assist: transcription restarted too often; no more utterances');
    transcriber.abort();
  };
  session.on('paused', () => void transcriber.stop());
  session.on('resumed', start);
  session.on('end', () => transcriber.abort());
  start();
  return async ({ parameters }) => {
    if (parameters === null) transcriber.abort();
    else await transcriber.close();
  };
}

// The Transcription Connector endpoint (`/api/v1/voicetranscription/ws`, spec §17.6): stereo only,
// one StreamingTranscriber per session driving the configured speech engine (the simulator or
// Amazon Transcribe), `transcript` entities on the session timeline, `supportedLanguages` from the
// configured list, and pause/resume driven by the session language. `opened` never waits for the
// engine: streams connect in the background while the transcriber buffers.

import type { AudioFrame, MediaParameter, ServerSession } from '@org/audiohook-protocol';
import {
  findLanguage,
  StreamingTranscriber,
  type Clock,
  type SpeechEngine,
  type SpeechError,
  type TranscriberOptions,
} from '@org/speech';
import type { AppLogger } from '../logging';
import {
  StreamStartBudget,
  STREAM_STARTS_BURST,
  STREAM_STARTS_PER_MINUTE,
  TOO_MANY_STREAM_STARTS_INFO,
} from '../transcription/start-budget';
import { toTranscriptEntity } from '../transcription/transcript-entity';

/** Transcriber settings that come from the configuration. */
export type TranscriberSettings = Omit<
  TranscriberOptions,
  'engine' | 'channels' | 'sampleRate' | 'logger' | 'sessionId' | 'clock'
>;

export interface VoiceTranscriptionOptions {
  /** Supported languages, reported in `opened.supportedLanguages`. */
  readonly languages: readonly string[];
  /** The speech engine every session's transcriber drives. */
  readonly engine: SpeechEngine;
  readonly transcriber?: TranscriberSettings;
  /** @default the system clock */
  readonly clock?: Clock;
}

/**
 * The `info` of the `disconnect` (reason `error`) sent when transcription gives up: the engine
 * refused the stream, or its failures used up the retry budget. The code is a `SPEECH_ERR_*`.
 */
export function transcriptionFailedInfo(error: SpeechError): string {
  return `Transcription failed (${error.code})`;
}

/** Keeps only 2-channel offers; with none left, disconnects as the reference does. */
export function stereoOnly(session: ServerSession, what: string) {
  return (offered: readonly MediaParameter[]): readonly MediaParameter[] => {
    const stereo = offered.filter((m) => m.channels.length === 2);
    if (stereo.length === 0) {
      session.disconnect('error', `No matching media format offered. ${what} needs two channels!`);
    }
    return stereo;
  };
}

/** Sends the transcriber's results as `transcript` events; a failure disconnects the session. */
function createTranscriber(
  session: ServerSession,
  logger: AppLogger,
  options: VoiceTranscriptionOptions,
  media: MediaParameter,
): StreamingTranscriber {
  const transcriber = new StreamingTranscriber({
    ...options.transcriber,
    engine: options.engine,
    channels: 2,
    sampleRate: media.rate,
    logger,
    ...(session.id === undefined ? {} : { sessionId: session.id }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  transcriber.on('transcript', (timed) => {
    if (['ACTIVE', 'PAUSED', 'CLOSING'].includes(session.state)) {
      session.sendEvent([toTranscriptEntity(timed)]);
    }
  });
  transcriber.on('failed', (error) => {
    logger.error({ err: error.toJSON(), engine: options.engine.name }, 'transcription failed');
    session.disconnect('error', transcriptionFailedInfo(error));
  });
  return transcriber;
}

/** Adds the endpoint's behaviour to a wired session. */
export function setupVoiceTranscription(
  session: ServerSession,
  logger: AppLogger,
  options: VoiceTranscriptionOptions,
): void {
  let language: string | undefined;
  let transcriber: StreamingTranscriber | undefined;
  const supported = (code: string | undefined): string | undefined =>
    code === undefined ? undefined : findLanguage(options.languages, code);
  // Each start opens a new engine stream: a client that pauses and resumes (or switches language)
  // past the budget is disconnected instead.
  const budget = new StreamStartBudget();
  /** The language of the stream running now (none while paused or not started). */
  let running: string | undefined;
  const start = (tag: string): void => {
    if (transcriber === undefined || budget.spent) return;
    if (budget.take()) {
      running = tag;
      transcriber.start(tag);
      return;
    }
    running = undefined;
    logger.warn(
      { burst: STREAM_STARTS_BURST, perMinute: STREAM_STARTS_PER_MINUTE },
      'transcription restarted too often; disconnecting',
    );
    transcriber.abort();
    session.disconnect('error', TOO_MANY_STREAM_STARTS_INFO);
  };

  session.addMediaSelector(stereoOnly(session, 'Voice transcription'));
  session.addOpenHandler(({ parameters, selectedMedia, setStartPaused, isProbe }) => {
    language = parameters.language;
    if (isProbe || selectedMedia === undefined) return;
    const active = createTranscriber(session, logger, options, selectedMedia);
    transcriber = active;
    const tag = supported(language);
    if (tag === undefined) {
      logger.info({ language: language ?? null }, 'language not supported; starting paused');
      setStartPaused(true);
    } else start(tag); // returns at once: `opened` is not delayed by the engine
    // On `close`, the last finals go out before `closed`; a lost transport drops them.
    return async ({ parameters: closing }) => {
      if (closing === null) active.abort();
      else await active.close();
    };
  });
  session.on('audio', (frame: AudioFrame) => {
    if (transcriber === undefined || frame.channelCount !== 2) return;
    const duration = frame.duration;
    transcriber.write(frame.toLinear(), session.position - duration, duration);
  });
  session.on('paused', () => {
    running = undefined;
    void transcriber?.stop();
  });
  session.on('resumed', () => {
    const tag = supported(language);
    if (tag !== undefined) start(tag);
  });
  session.on('end', () => transcriber?.abort());
  session.addUpdateHandler((parameters) => {
    const next = parameters.language;
    if (next === undefined) return;
    language = next;
    const tag = supported(next);
    if (tag === undefined) {
      logger.info({ language: next }, 'language not supported; pausing the stream');
      session.pause();
      return;
    }
    if (session.state === 'PAUSED') session.resume();
    // The same language again: the running stream goes on (a restart would cost a start).
    else if (tag !== running) start(tag);
  });
}

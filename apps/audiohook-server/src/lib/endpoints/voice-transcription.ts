// The Transcription Connector simulator endpoint (`/api/v1/voicetranscription/ws`, spec §17.6):
// stereo only, energy VAD per channel, one simulated final transcript per detected utterance,
// `supportedLanguages`, and pause/resume driven by the session language.

import { EnergyVad, decodeUlaw, deinterleave, type VadEvent } from '@org/audio';
import type { AudioFrame, MediaParameter, ServerSession } from '@org/audiohook-protocol';
import type { AppLogger } from '../logging';
import { simulatedTranscript } from './transcripts';

/** The reference simulator's energy VAD (spec §17.6): 100 ms u-law blocks, 2 start, 4 end. */
const referenceVad = (): EnergyVad =>
  new EnergyVad({
    windowMs: 100,
    speech: { kind: 'ulaw-energy', minThreshold: 80, meanThreshold: 110 },
    startMs: 200,
    endSilenceMs: 400,
  });

const NANOS_PER_SAMPLE = 125_000; // at 8 kHz

export interface VoiceTranscriptionOptions {
  /** Supported languages, reported in `opened.supportedLanguages`. */
  readonly languages: readonly string[];
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

/** Adds the simulator's behaviour to a wired session. */
export function setupVoiceTranscription(
  session: ServerSession,
  logger: AppLogger,
  options: VoiceTranscriptionOptions,
): void {
  const supported = new Map(options.languages.map((l) => [l.toLowerCase(), l]));
  let language: string | undefined;
  let vads: EnergyVad[] | undefined;
  let base = 0;

  const start = () => {
    vads = [referenceVad(), referenceVad()];
    base = session.position;
  };
  const emit = (channelId: number, events: readonly VadEvent[]) => {
    for (const event of events) {
      if (event.type !== 'end') continue;
      const segment = { startSample: event.speechStartSample, endSample: event.speechEndSample };
      session.sendEvent([
        simulatedTranscript({
          channelId,
          offset: base + segment.startSample * NANOS_PER_SAMPLE,
          duration: (segment.endSample - segment.startSample) * NANOS_PER_SAMPLE,
          language: language ?? 'en-US',
        }),
      ]);
    }
  };
  const flush = () => {
    if (vads === undefined) return;
    vads.forEach((vad, channel) => emit(channel, vad.flush()));
    vads = undefined;
  };
  const isSupported = (code: string | undefined) =>
    code !== undefined && supported.has(code.toLowerCase());

  session.addMediaSelector(stereoOnly(session, 'Voice transcription'));
  session.addOpenHandler(({ parameters, setStartPaused, isProbe }) => {
    language = parameters.language;
    if (isProbe) return;
    if (!isSupported(language)) {
      logger.info({ language: language ?? null }, 'language not supported; starting paused');
      setStartPaused(true);
      return;
    }
    start();
  });
  session.on('audio', (frame: AudioFrame) => {
    if (vads === undefined || frame.channelCount !== 2) return;
    const channels = deinterleave(frame.toPcmu(), 2);
    vads.forEach((vad, channel) =>
      emit(channel, vad.push(decodeUlaw(channels[channel] as Uint8Array))),
    );
  });
  session.on('paused', flush);
  session.on('resumed', () => {
    if (isSupported(language) && !session.isProbe) start();
  });
  session.addUpdateHandler((parameters) => {
    flush();
    const next = parameters.language;
    if (next === undefined) return;
    language = next;
    if (!isSupported(next)) {
      logger.info({ language: next }, 'language not supported; pausing the stream');
      session.pause();
      return;
    }
    if (session.state === 'PAUSED') session.resume();
    else start();
  });
  // Final transcripts must go out before `closed`: flush when `close` arrives.
  session.on('clientMessage', (message) => {
    if (message.type === 'close') flush();
  });
}

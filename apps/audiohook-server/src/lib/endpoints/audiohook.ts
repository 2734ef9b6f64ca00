// The main AudioHook endpoint (`/api/v1/audiohook/ws`): Monitor-style sessions that are recorded,
// plus the agent-assist demo when `customConfig.agentassist` is set.

import type { ServerSession } from '@org/audiohook-protocol';
import type { AppLogger } from '../logging';
import { startAgentAssist, wantsAgentAssist, type AgentAssistOptions } from './agent-assist';
import { transcribeForAgentAssist } from './agent-assist-transcripts';
import type { VoiceTranscriptionOptions } from './voice-transcription';

/** Where the demo's utterances come from: its fixed list, or the call's transcripts. */
export interface AudioHookEndpointOptions {
  readonly agentAssist?: AgentAssistOptions;
  readonly utterances?: 'demo' | 'transcripts';
  readonly speech?: Omit<VoiceTranscriptionOptions, 'languages'>;
}

/** Adds the endpoint's behaviour to a wired session. */
export function setupAudioHook(
  session: ServerSession,
  logger: AppLogger,
  options: AudioHookEndpointOptions = {},
): void {
  const { speech } = options;
  const fromTranscripts = options.utterances === 'transcripts' && speech !== undefined;
  session.addMediaSelector((offered, open) => {
    if (!wantsAgentAssist(open.customConfig)) return offered;
    const stereo = offered.filter((m) => m.channels.length === 2);
    if (stereo.length === 0) {
      session.disconnect(
        'error',
        'No matching media format offered. Agent assist needs two channels!',
      );
    }
    return stereo;
  });
  session.addOpenHandler(({ parameters, isProbe, selectedMedia }) => {
    if (isProbe || !wantsAgentAssist(parameters.customConfig)) return;
    logger.info(
      { utterances: fromTranscripts ? 'transcripts' : 'demo' },
      'agent assist demo enabled',
    );
    const stop = startAgentAssist(session, {
      ...options.agentAssist,
      cannedUtterances: !fromTranscripts,
    });
    if (!fromTranscripts || selectedMedia === undefined) return () => stop();
    const language = parameters.language ?? 'en-US';
    const close = transcribeForAgentAssist(session, logger, speech, selectedMedia, language);
    return async (context) => {
      stop();
      await close(context);
    };
  });
}

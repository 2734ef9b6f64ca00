// The main AudioHook endpoint (`/api/v1/audiohook/ws`): Monitor-style sessions that are recorded,
// plus the agent-assist demo when `customConfig.agentassist` is set.

import type { ServerSession } from '@org/audiohook-protocol';
import type { AppLogger } from '../logging';
import { startAgentAssist, wantsAgentAssist, type AgentAssistOptions } from './agent-assist';

/** Adds the endpoint's behaviour to a wired session. */
export function setupAudioHook(
  session: ServerSession,
  logger: AppLogger,
  agentAssist: AgentAssistOptions = {},
): void {
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
  session.addOpenHandler(({ parameters, isProbe }) => {
    if (isProbe || !wantsAgentAssist(parameters.customConfig)) return;
    logger.info({}, 'agent assist demo enabled');
    const stop = startAgentAssist(session, agentAssist);
    return () => stop();
  });
}

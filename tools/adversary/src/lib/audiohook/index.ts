// The AudioHook server group: every attack on one server process, the drain last (it stops it).

import type { Group } from '../suite';
import { refusedHandshakes } from './attacks-admission';
import { badSignatures, malformedUpgrades, replayedSignature, slowloris } from './attacks-auth';
import {
  drainUnderLoad,
  hugeFrames,
  killedMidStream,
  malformedFrames,
  pauseResumeStorm,
  pingStorm,
} from './attacks-stream';
import { startAudioHook, stopAudioHook, type AudioHookService } from './server';

export const audiohookGroup: Group<AudioHookService> = {
  name: 'audiohook-server',
  start: () => startAudioHook(),
  stop: (service) => stopAudioHook(service),
  attacks: [
    badSignatures,
    replayedSignature,
    malformedUpgrades,
    slowloris,
    malformedFrames,
    hugeFrames,
    killedMidStream,
    pingStorm,
    pauseResumeStorm,
    refusedHandshakes,
    drainUnderLoad,
  ],
};

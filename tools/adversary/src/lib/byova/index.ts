// The BYOVA gateway group: one gateway process; the never-hung-up conversations last, since
// (with defect 5 of issue 15) they keep files open until the idle reaper runs.

import type { Group } from '../suite';
import { conversationFlood, dashboardSecrets, insecureBind } from './attacks-config';
import { droppedStreams, garbageProtobuf, hugeChunks, neverEndingStreams } from './attacks-streams';
import { startGateway, stopGateway, type GatewayService } from './gateway';

export const byovaGroup: Group<GatewayService> = {
  name: 'byova-gateway',
  start: (mode) => startGateway(mode),
  stop: (service) => stopGateway(service),
  attacks: [
    dashboardSecrets,
    garbageProtobuf,
    hugeChunks,
    neverEndingStreams,
    droppedStreams,
    insecureBind,
    conversationFlood,
  ],
};

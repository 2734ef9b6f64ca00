// The event collector group: one fake Genesys, the hostile relay in front of it, and the
// collector process (restarted by the crash attacks, which run last).

import type { Attack, Group } from '../suite';
import {
  deepEventBody,
  duplicateEvents,
  killDuringRotation,
  malformedEvents,
  tornFrames,
  tornLastLine,
} from './attacks';
import { startCollectorGroup, stopCollectorGroup, type CollectorService } from './collector';

/** An attack that fails (and restarts the collector) when the collector died during it. */
function surviving(attack: Attack<CollectorService>): Attack<CollectorService> {
  return {
    ...attack,
    async run(service, mode) {
      const verdict = await attack.run(service, mode);
      const crash = await service.restartIfCrashed();
      if (crash === undefined) return verdict;
      return { ok: false, observed: `${verdict.observed}; ${crash}` };
    },
  };
}

export const collectorGroup: Group<CollectorService> = {
  name: 'event-collector',
  start: () => startCollectorGroup(),
  stop: (service) => stopCollectorGroup(service),
  attacks: [
    malformedEvents,
    deepEventBody,
    duplicateEvents,
    tornFrames,
    tornLastLine,
    killDuringRotation,
  ].map(surviving),
};

import type { Role } from './health';
import type { GaugeReadings } from './metrics';
import type { CollectingSession } from './session';

/** The gauges' values at a scrape: the current session (if any), `/health` and the role. */
export function gaugeReadings(
  session: CollectingSession | undefined,
  receiving: boolean,
  role: Role,
): GaugeReadings {
  const ch = session?.manager.status();
  const topics = ch?.topics ?? [];
  const permitted = topics.filter((t) => t.state === 'Permitted').length;
  const elastic = session?.elastic;
  const es = elastic?.status();
  return {
    receiving,
    leader: role === 'leader',
    connected: ch?.connected ?? false,
    lastEventAt: session?.pipeline.lastEventAt,
    lastHeartbeatAt: ch?.lastHeartbeatAt,
    checkpointAt: session?.checkpointer.last?.safeUntil,
    writeQueueDepth: session?.writer.depth ?? 0,
    subscriptions: { permitted, rejected: topics.length - permitted },
    elastic:
      elastic && es
        ? {
            queued: es.queued,
            credentialsRefused: es.credentialsRefused,
            spoolBytes: () => elastic.spoolBytes(),
          }
        : undefined,
  };
}

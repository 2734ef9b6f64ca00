import type { Role } from './health';
import type { Metrics } from './metrics';
import type { CollectingSession } from './session';

/** The `/metrics` text: every counter plus the point-in-time gauges of the current session. */
export async function renderMetrics(
  metrics: Metrics,
  session: CollectingSession | undefined,
  receiving: boolean,
  role: Role,
): Promise<string> {
  const ch = session?.manager.status();
  const topics = ch?.topics ?? [];
  const seconds = (t: number | undefined): number => (t === undefined ? 0 : t / 1000);
  const gauges: Parameters<Metrics['render']>[0] = {
    up: [{ help: '1 when /health reports receiving.', value: receiving ? 1 : 0 }],
    leader: [
      {
        help: '1 while this instance holds the lease and collects.',
        value: role === 'leader' ? 1 : 0,
      },
    ],
    connected: [{ help: '1 while a channel socket is open.', value: ch?.connected ? 1 : 0 }],
    last_event_timestamp_seconds: [
      { help: 'When the last event was accepted.', value: seconds(session?.pipeline.lastEventAt) },
    ],
    last_heartbeat_timestamp_seconds: [
      { help: 'When the last heartbeat arrived.', value: seconds(ch?.lastHeartbeatAt) },
    ],
    checkpoint_timestamp_seconds: [
      {
        help: 'Up to when every event is in the output (the checkpoint).',
        value: seconds(session?.checkpointer.last?.safeUntil),
      },
    ],
    write_queue_depth: [
      { help: 'Lines waiting to be written.', value: session?.writer.depth ?? 0 },
    ],
    subscriptions: [
      {
        help: 'Topic subscriptions by state.',
        value: topics.filter((t) => t.state === 'Permitted').length,
        labels: { state: 'permitted' },
      },
      {
        help: 'Topic subscriptions by state.',
        value: topics.filter((t) => t.state !== 'Permitted').length,
        labels: { state: 'rejected' },
      },
    ],
  };
  const elastic = session?.elastic;
  if (elastic) {
    gauges['elastic_queue_depth'] = [
      { help: 'Documents waiting for Elasticsearch.', value: elastic.status().queued },
    ];
    gauges['elastic_spool_bytes'] = [
      { help: 'Bytes in the Elasticsearch spool.', value: await elastic.spoolBytes() },
    ];
  }
  return metrics.render(gauges);
}

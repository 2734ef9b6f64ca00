import { type BoundedCounter, createMetrics, type Metrics as KitMetrics } from '@org/service-kit';

/** Counter names the collector increments; each is exported as `event_collector_<name>_total`. */
export type CounterName =
  | 'messages'
  | 'heartbeats'
  | 'pongs'
  | 'system_messages'
  | 'malformed_messages'
  | 'events_received'
  | 'events_written'
  | 'audiohook_events'
  | 'events_duplicate'
  | 'events_filtered'
  | 'events_unknown_shape'
  | 'events_implausible_time'
  | 'events_backfilled'
  | 'backfill_failures'
  | 'checkpoints_written'
  | 'lease_acquired'
  | 'lease_lost'
  | 'reconnects'
  | 'channels_created'
  | 'subscription_refreshes'
  | 'rollovers'
  | 'tokens_issued'
  | 'auth_failures'
  | 'rate_limited'
  | 'errors'
  | 'file_rotations'
  | 'write_errors'
  | 'torn_lines'
  | 'rotation_repairs'
  | 'elastic_indexed'
  | 'elastic_conflicts'
  | 'elastic_retries'
  | 'elastic_dead_lettered'
  | 'elastic_spooled'
  | 'elastic_replayed'
  | 'elastic_auth_failures'
  | 'elastic_spool_dropped'
  | 'elastic_queue_dropped'
  | 'elastic_caught_up'
  | 'elastic_dead_letter_dropped'
  | 'log_lines_suppressed';

const HELP: Record<CounterName, string> = {
  messages: 'Frames received on notification sockets.',
  heartbeats: 'channel.metadata heartbeats received.',
  pongs: 'Pong replies to our pings.',
  system_messages: 'v2.system.* messages received (socket_closing included).',
  malformed_messages: 'Frames that were not valid notification envelopes (skipped).',
  events_received: 'Notification events received (live and backfill, before de-duplication).',
  events_written: 'Events accepted for output (JSONL, and Elasticsearch when enabled).',
  audiohook_events:
    'AudioHook events accepted for output (live and backfill, after de-duplication): events_written without the other events WRITE_ALL_EVENTS keeps.',
  events_duplicate: 'Events dropped as duplicates (channel overlap, backfill).',
  events_filtered: 'Non-AudioHook events counted but not written.',
  events_unknown_shape: 'Events kept with schema_valid=false.',
  events_implausible_time:
    'Events whose timestamp is further from their receive time than BACKFILL_MAX_LAG_S (written, but not used as the delivery lag).',
  events_backfilled:
    'Events recovered by the history query after a gap or a restart (new ones, not duplicates).',
  backfill_failures: 'Gaps (or parts of gaps) the history query could not recover.',
  checkpoints_written: 'Checkpoints written next to the output.',
  lease_acquired: 'Times this instance took the lease and started collecting (LEASE_TABLE).',
  lease_lost: 'Times this instance lost the lease (fenced out or not renewed) and stopped writing.',
  reconnects:
    'Attempts to receive again after a socket dropped or a connect failed (same channel or a new one; not the planned rollovers).',
  channels_created: 'Notification channels created.',
  subscription_refreshes: 'Subscription re-PUTs that extended a channel.',
  rollovers: 'Overlapping switches to a new channel.',
  tokens_issued: 'OAuth tokens obtained.',
  auth_failures: '401 responses from the API.',
  rate_limited: '429 responses honoured.',
  errors: 'Errors of any kind (see logs).',
  file_rotations: 'JSONL output rotations.',
  write_errors: 'Failed JSONL writes (retried).',
  rotation_repairs: 'Gaps in the backup numbers (a crash during rotation) closed at start.',
  torn_lines: 'Torn last lines (a crash mid-write) found at start and moved to <file>.torn.',
  elastic_indexed: 'Documents Elasticsearch created.',
  elastic_conflicts: 'Documents Elasticsearch already had (409 on create).',
  elastic_retries: 'Bulk retries (whole request or per item).',
  elastic_dead_lettered: 'Documents Elasticsearch rejected permanently (dead-letter file).',
  elastic_spooled: 'Documents written to the on-disk spool while Elasticsearch was unavailable.',
  elastic_replayed: 'Spooled documents sent again.',
  elastic_auth_failures: 'Bulk requests Elasticsearch refused with 401/403 (wrong ELASTIC_AUTH).',
  elastic_spool_dropped:
    'Documents not spooled because the spool reached ELASTIC_SPOOL_MAX_BYTES (re-sent from the JSONL output later, see elastic_caught_up).',
  elastic_queue_dropped:
    'Documents not held in memory for Elasticsearch because the spool file took them more slowly than they came (ELASTIC_QUEUE_MAX_BYTES held already; re-sent from the JSONL output later, see elastic_caught_up).',
  elastic_caught_up:
    'Documents sent to Elasticsearch from the JSONL output: what a full spool dropped, and at start what Elasticsearch may lack.',
  log_lines_suppressed:
    'Per-frame warnings (junk frames, system messages, malformed or unexpected events) not logged past 10 of a kind a minute; each kind has one summary line a minute.',
  elastic_dead_letter_dropped:
    'Rejected documents not written because the dead-letter file reached ELASTIC_DEAD_LETTER_MAX_BYTES.',
};

/** The point-in-time values behind the collector's gauges, read at every scrape. */
export interface GaugeReadings {
  /** `/health` reports receiving. */
  receiving: boolean;
  /** This instance holds the lease (or runs without one) and collects. */
  leader: boolean;
  /** A channel socket is open. */
  connected: boolean;
  /** Epoch ms of the last accepted event, heartbeat and checkpoint (`safeUntil`). */
  lastEventAt: number | undefined;
  lastHeartbeatAt: number | undefined;
  checkpointAt: number | undefined;
  writeQueueDepth: number;
  subscriptions: { permitted: number; rejected: number };
  /** Absent while no session with an Elasticsearch sink runs. */
  elastic:
    { queued: number; credentialsRefused: boolean; spoolBytes: () => Promise<number> } | undefined;
}

const IDLE: GaugeReadings = {
  receiving: false,
  leader: false,
  connected: false,
  lastEventAt: undefined,
  lastHeartbeatAt: undefined,
  checkpointAt: undefined,
  writeQueueDepth: 0,
  subscriptions: { permitted: 0, rejected: 0 },
  elastic: undefined,
};

const seconds = (t: number | undefined): number => (t === undefined ? 0 : t / 1000);

/**
 * The collector's metrics on the service kit (`prom-client`, default process metrics): every
 * counter, kept also as a plain number for `/health` and tests, and the gauges, read from
 * {@link Metrics.readGauges} at each scrape. No label takes a value from Genesys or a client: the
 * only label, `state` of `event_collector_subscriptions`, is `permitted` or `rejected`.
 *
 * @example
 * ```ts
 * const m = new Metrics();
 * m.inc('heartbeats');
 * m.readGauges(() => ({ ...readings }));
 * await m.text();
 * ```
 */
export class Metrics {
  readonly kit: KitMetrics;
  /** Every counter as a plain number: an event costs additions, not prom-client calls. */
  readonly #counts = new Map<CounterName, number>();
  #read: () => GaugeReadings = () => IDLE;
  /**
   * Epoch ms when the last AudioHook event was accepted for output, over the process's life (all
   * its leader sessions): `/health` `stats.last_event`, next to the `audiohook_events` counter.
   */
  lastAudioHookEventAt: number | undefined;

  constructor(options: { defaultMetrics?: boolean; elastic?: boolean } = {}) {
    this.kit = createMetrics({ defaultMetrics: options.defaultMetrics ?? true });
    for (const name of Object.keys(HELP) as CounterName[]) {
      this.#counts.set(name, 0);
      let reported = 0;
      // The prom-client counter catches up with the plain number at each scrape.
      this.kit.counter({
        name: `event_collector_${name}_total`,
        help: HELP[name],
        collect: (counter: BoundedCounter<never>) => {
          const now = this.get(name);
          if (now > reported) counter.inc(undefined, now - reported);
          reported = now;
        },
      });
    }
    this.#gauges(options.elastic ?? false);
  }

  inc(name: CounterName, by = 1): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + by);
  }

  get(name: CounterName): number {
    return this.#counts.get(name) ?? 0;
  }

  /** All counters as a plain object (for `/health`). */
  snapshot(): Record<CounterName, number> {
    const out = {} as Record<CounterName, number>;
    for (const name of Object.keys(HELP) as CounterName[]) out[name] = this.get(name);
    return out;
  }

  /** Where the gauges read their values at each scrape. */
  readGauges(read: () => GaugeReadings): void {
    this.#read = read;
  }

  /** The Prometheus exposition text (`GET /metrics`). */
  text(): Promise<string> {
    return this.kit.text();
  }

  #gauges(elastic: boolean): void {
    const k = this.kit;
    const gauge = (name: string, help: string, value: (r: GaugeReadings) => number): void => {
      k.gauge({
        name: `event_collector_${name}`,
        help,
        collect: (g) => g.set(value(this.#read())),
      });
    };
    gauge('up', '1 when /health reports receiving.', (r) => (r.receiving ? 1 : 0));
    gauge('leader', '1 while this instance holds the lease and collects.', (r) =>
      r.leader ? 1 : 0,
    );
    gauge('connected', '1 while a channel socket is open.', (r) => (r.connected ? 1 : 0));
    gauge('last_event_timestamp_seconds', 'When the last event was accepted.', (r) =>
      seconds(r.lastEventAt),
    );
    gauge('last_heartbeat_timestamp_seconds', 'When the last heartbeat arrived.', (r) =>
      seconds(r.lastHeartbeatAt),
    );
    gauge(
      'checkpoint_timestamp_seconds',
      'Up to when every event is in the output (the checkpoint).',
      (r) => seconds(r.checkpointAt),
    );
    gauge('write_queue_depth', 'Lines waiting to be written.', (r) => r.writeQueueDepth);
    k.gauge<'state'>({
      name: 'event_collector_subscriptions',
      help: 'Topic subscriptions by state.',
      labels: { state: ['permitted', 'rejected'] },
      collect: (g) => {
        const s = this.#read().subscriptions;
        g.set({ state: 'permitted' }, s.permitted);
        g.set({ state: 'rejected' }, s.rejected);
      },
    });
    if (!elastic) return;
    gauge(
      'elastic_queue_depth',
      'Documents waiting for Elasticsearch.',
      (r) => r.elastic?.queued ?? 0,
    );
    gauge(
      'elastic_credentials_refused',
      '1 while Elasticsearch refuses the credentials (401/403): check ELASTIC_AUTH.',
      (r) => (r.elastic?.credentialsRefused ? 1 : 0),
    );
    k.gauge({
      name: 'event_collector_elastic_spool_bytes',
      help: 'Bytes in the Elasticsearch spool.',
      collect: async (g) => g.set((await this.#read().elastic?.spoolBytes()) ?? 0),
    });
  }
}

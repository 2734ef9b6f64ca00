/** Counter names the collector increments; each is exported as `event_collector_<name>_total`. */
export type CounterName =
  | 'messages'
  | 'heartbeats'
  | 'pongs'
  | 'system_messages'
  | 'malformed_messages'
  | 'events_received'
  | 'events_written'
  | 'events_duplicate'
  | 'events_filtered'
  | 'events_unknown_shape'
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
  | 'elastic_replayed';

const HELP: Record<CounterName, string> = {
  messages: 'Frames received on notification sockets.',
  heartbeats: 'channel.metadata heartbeats received.',
  pongs: 'Pong replies to our pings.',
  system_messages: 'v2.system.* messages received (socket_closing included).',
  malformed_messages: 'Frames that were not valid notification envelopes (skipped).',
  events_received: 'Notification events received (live and backfill, before de-duplication).',
  events_written: 'Events accepted for output (JSONL, and Elasticsearch when enabled).',
  events_duplicate: 'Events dropped as duplicates (channel overlap, backfill).',
  events_filtered: 'Non-AudioHook events counted but not written.',
  events_unknown_shape: 'Events kept with schema_valid=false.',
  events_backfilled:
    'Events recovered by the history query after a gap or a restart (new ones, not duplicates).',
  backfill_failures: 'Gaps (or parts of gaps) the history query could not recover.',
  checkpoints_written: 'Checkpoints written next to the output.',
  lease_acquired: 'Times this instance took the lease and started collecting (LEASE_TABLE).',
  lease_lost: 'Times this instance lost the lease (fenced out or not renewed) and stopped writing.',
  reconnects: 'Socket reconnect attempts.',
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
};

/**
 * In-process counters and gauges rendered in the Prometheus text format by `/metrics`.
 *
 * @example
 * ```ts
 * const m = new Metrics();
 * m.inc('heartbeats');
 * m.render({ connected: 1 });
 * ```
 */
export class Metrics {
  readonly #counters = new Map<CounterName, number>();

  inc(name: CounterName, by = 1): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + by);
  }

  get(name: CounterName): number {
    return this.#counters.get(name) ?? 0;
  }

  /** All counters as a plain object (for `/health`). */
  snapshot(): Record<CounterName, number> {
    const out = {} as Record<CounterName, number>;
    for (const name of Object.keys(HELP) as CounterName[]) out[name] = this.get(name);
    return out;
  }

  /** Prometheus exposition text; `gauges` are the point-in-time values of the caller. */
  render(
    gauges: Record<string, { help: string; value: number; labels?: Record<string, string> }[]>,
  ): string {
    const lines: string[] = [];
    for (const name of Object.keys(HELP) as CounterName[]) {
      const metric = `event_collector_${name}_total`;
      lines.push(`# HELP ${metric} ${HELP[name]}`, `# TYPE ${metric} counter`);
      lines.push(`${metric} ${this.get(name)}`);
    }
    for (const [name, samples] of Object.entries(gauges)) {
      const metric = `event_collector_${name}`;
      lines.push(`# HELP ${metric} ${samples[0]?.help ?? name}`, `# TYPE ${metric} gauge`);
      for (const s of samples) {
        const labels = s.labels
          ? `{${Object.entries(s.labels)
              .map(
                ([k, v]) =>
                  `${k}="${v.replace(/["\\\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"`,
              )
              .join(',')}}`
          : '';
        lines.push(`${metric}${labels} ${s.value}`);
      }
    }
    return `${lines.join('\n')}\n`;
  }
}

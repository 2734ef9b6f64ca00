// A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
// exposition format (version 0.0.4).

type Labels = Readonly<Record<string, string>>;

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map(
      (k) =>
        `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  readonly #values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    this.#values.set(key, (this.#values.get(key) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.#values.get(labelKey(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    if (this.#values.size === 0) lines.push(`${this.name} 0`);
    for (const [key, value] of this.#values)
      lines.push(`${this.name}${key ? `{${key}}` : ''} ${value}`);
    return lines.join('\n');
  }
}

export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly read: () => number,
  ) {}
  render(): string {
    return [
      `# HELP ${this.name} ${this.help}`,
      `# TYPE ${this.name} gauge`,
      `${this.name} ${this.read()}`,
    ].join('\n');
  }
}

export class Histogram implements Metric {
  readonly #counts: number[];
  #sum = 0;
  #count = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.#counts = buckets.map(() => 0);
  }
  observe(value: number): void {
    this.#sum += value;
    this.#count += 1;
    for (const [i, bound] of this.buckets.entries())
      if (value <= bound) this.#counts[i] = (this.#counts[i] ?? 0) + 1;
  }
  get count(): number {
    return this.#count;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [i, bound] of this.buckets.entries())
      lines.push(`${this.name}_bucket{le="${bound}"} ${this.#counts[i]}`);
    lines.push(
      `${this.name}_bucket{le="+Inf"} ${this.#count}`,
      `${this.name}_sum ${this.#sum}`,
      `${this.name}_count ${this.#count}`,
    );
    return lines.join('\n');
  }
}

/** The gateway's metrics. */
export class GatewayMetrics {
  readonly rpcs = new Counter(
    'byova_rpcs_total',
    'gRPC calls completed, by method and status code',
  );
  readonly conversations = new Counter('byova_conversations_total', 'Conversations created');
  readonly conversationEnds = new Counter(
    'byova_conversation_ends_total',
    'Conversations ended, by reason',
  );
  readonly turns = new Counter(
    'byova_turns_total',
    'Caller turns handled, by kind (speech, dtmf, event)',
  );
  readonly terminals = new Counter(
    'byova_terminal_responses_total',
    'Terminal responses, by outcome',
  );
  readonly connectorErrors = new Counter(
    'byova_connector_errors_total',
    'Connector calls that failed, by connector',
  );
  readonly jwtRejections = new Counter(
    'byova_jwt_rejections_total',
    'Calls rejected by JWT validation, by reason class',
  );
  readonly badRequests = new Counter('byova_bad_requests_total', 'Requests rejected as malformed');
  readonly replyLatency = new Histogram(
    'byova_reply_latency_seconds',
    'Time from END_OF_INPUT to the first reply response of a turn',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  );
  readonly #gauges: Gauge[] = [];

  constructor(activeConversations: () => number, activeStreams: () => number) {
    this.#gauges.push(
      new Gauge('byova_conversations_active', 'Conversations currently held', activeConversations),
      new Gauge('byova_streams_active', 'ProcessCallerInput streams currently open', activeStreams),
      new Gauge('process_resident_memory_bytes', 'Resident set size', () =>
        process.memoryUsage.rss(),
      ),
      new Gauge('nodejs_heap_used_bytes', 'V8 heap in use', () => process.memoryUsage().heapUsed),
      new Gauge('process_cpu_seconds_total', 'User and system CPU time', () => {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1e6;
      }),
      new Gauge('process_uptime_seconds', 'Seconds since the process started', () =>
        process.uptime(),
      ),
    );
  }

  render(): string {
    const metrics: Metric[] = [
      this.rpcs,
      this.conversations,
      this.conversationEnds,
      this.turns,
      this.terminals,
      this.connectorErrors,
      this.jwtRejections,
      this.badRequests,
      this.replyLatency,
      ...this.#gauges,
    ];
    return `${metrics.map((m) => m.render()).join('\n')}\n`;
  }
}

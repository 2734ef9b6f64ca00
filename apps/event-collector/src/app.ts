import type { Logger } from 'pino';
import type { CollectorConfig } from './config';
import { Backfiller } from './lib/backfill';
import { ChannelManager, type ChannelStatus } from './lib/channel-manager';
import { ElasticSink } from './lib/elastic/bulk-sink';
import { describeError } from './lib/errors';
import { GenesysApi } from './lib/genesys/api-client';
import { TokenProvider } from './lib/genesys/token-provider';
import { startStatusServer, type StatusServer } from './lib/http-server';
import { JsonlWriter } from './lib/jsonl-writer';
import { Metrics } from './lib/metrics';
import { EventPipeline } from './lib/pipeline';
import { RecentEvents } from './lib/recent-events';
import { definitionIdsOf, type ResolvedTopics, resolveTopics } from './lib/topics';

/** The running collector, as built by {@link createCollector}. */
export interface Collector {
  /** Opens the output, starts the status server and starts receiving. */
  start(): Promise<void>;
  /**
   * Stops receiving, writes and fsyncs every accepted event, flushes (or spools) Elasticsearch,
   * and closes the status server. Idempotent.
   */
  stop(): Promise<void>;
  /** The status server's port (after start). */
  readonly httpPort: number | undefined;
  /** The `/health` document and HTTP status. */
  health(): { httpStatus: number; body: HealthBody };
  readonly metrics: Metrics;
}

/** The `/health` document. */
export interface HealthBody {
  status: 'ok' | 'degraded' | 'unhealthy';
  receiving: boolean;
  problems: string[];
  timestamp: string;
  started_at: string;
  last_event_at: string | null;
  channel: Omit<ChannelStatus, 'topics' | 'lastFrameAt' | 'lastHeartbeatAt'> & {
    lastFrameAt: string | null;
    lastHeartbeatAt: string | null;
  };
  subscriptions: {
    source: ResolvedTopics['source'] | null;
    permitted: string[];
    rejected: { id: string; state: string; reason?: string; missingPermissions?: string[] }[];
    websocketTransport: 'yes' | 'no' | 'unknown';
  };
  auth: ReturnType<TokenProvider['status']>;
  backfill: ReturnType<Backfiller['status']> & { configured: boolean };
  output: { file: string; queued: number; written: number; lastError: string | undefined };
  elastic: (ReturnType<ElasticSink['status']> & { index: string }) | null;
  counters: ReturnType<Metrics['snapshot']>;
}

/**
 * The composition root: builds every part from the configuration and wires them together.
 *
 * @example
 * ```ts
 * const collector = createCollector(loadConfig(process.env), pino());
 * await collector.start();
 * process.once('SIGTERM', () => void collector.stop());
 * ```
 */
export function createCollector(config: CollectorConfig, logger: Logger): Collector {
  const metrics = new Metrics();
  const startedAt = Date.now();
  const stopping = new AbortController();
  const g = config.genesys;

  const tokens = new TokenProvider({
    loginBaseUrl: g.loginBaseUrl,
    clientId: g.clientId,
    clientSecret: g.clientSecret,
    refreshMarginMs: g.tokenRefreshMarginMs,
    timeoutMs: g.requestTimeoutMs,
    failureBackoffMs: Math.max(1000, g.reconnectDelayMs),
    logger: logger.child({ component: 'auth' }),
    onIssued: () => metrics.inc('tokens_issued'),
  });
  const api = new GenesysApi({
    apiBaseUrl: g.apiBaseUrl,
    tokens,
    timeoutMs: g.requestTimeoutMs,
    logger: logger.child({ component: 'api' }),
    onRateLimited: () => metrics.inc('rate_limited'),
    onUnauthorized: () => metrics.inc('auth_failures'),
  });
  const writer = new JsonlWriter({
    file: config.output.file,
    maxFileSize: config.output.maxFileSize,
    backupCount: config.output.backupCount,
    queueMax: config.output.queueMax,
    logger: logger.child({ component: 'output' }),
    onRotate: () => metrics.inc('file_rotations'),
    onWriteError: () => metrics.inc('write_errors'),
  });
  const elastic = config.elastic
    ? new ElasticSink(config.elastic, logger.child({ component: 'elastic' }), metrics)
    : undefined;
  const recent = new RecentEvents(50);
  const pipeline = new EventPipeline({
    events: config.events,
    writer,
    elastic,
    recent,
    metrics,
    logger: logger.child({ component: 'events' }),
    logEvents: config.log.consoleEvents,
  });

  let resolved: ResolvedTopics | undefined;
  let websocketTransport: 'yes' | 'no' | 'unknown' = 'unknown';
  const backfill = new Backfiller({
    api,
    logger: logger.child({ component: 'backfill' }),
    metrics,
    marginMs: config.backfill.marginMs,
    definitionIds: () => definitionIdsOf(resolved?.topics ?? []),
    definitions: () => resolved?.definitions ?? new Map(),
    onEvent: (topic, body) => pipeline.acceptBackfill(topic, body),
  });
  const manager = new ChannelManager({
    api,
    tokens,
    genesys: g,
    logger: logger.child({ component: 'channel' }),
    metrics,
    topics: () => resolved?.topics ?? [],
    onEvent: (envelope, ctx) => pipeline.acceptLive(envelope, ctx),
    whenWritable: () => pipeline.whenWritable(),
    onGap: (gap) => {
      if (config.backfill.enabled) backfill.fill(gap);
    },
  });

  let server: StatusServer | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  let stopped: Promise<void> | undefined;

  const health = (): { httpStatus: number; body: HealthBody } => {
    const now = Date.now();
    const ch = manager.status();
    const permitted = ch.topics.filter((t) => t.state === 'Permitted').map((t) => t.id);
    const rejected = ch.topics
      .filter((t) => t.state !== 'Permitted')
      .map((t) => ({
        id: t.id,
        state: t.state,
        ...(t.rejectionReason === undefined ? {} : { reason: t.rejectionReason }),
        ...(t.missingPermissions === undefined ? {} : { missingPermissions: t.missingPermissions }),
      }));
    const fresh = ch.lastFrameAt !== undefined && now - ch.lastFrameAt <= g.heartbeatTimeoutMs;
    const problems: string[] = [];
    if (!ch.connected) problems.push(`not connected (state ${ch.state})`);
    else if (!fresh) problems.push('connected but nothing received within HEARTBEAT_TIMEOUT_MS');
    if (permitted.length === 0) problems.push('not subscribed to any topic');
    const receiving = ch.connected && fresh && permitted.length > 0;
    if (!receiving && ch.lastError) problems.push(`last error: ${ch.lastError}`);
    const auth = tokens.status();
    if (!auth.ok) problems.push(`authentication failing: ${auth.lastError ?? 'unknown'}`);
    if (rejected.length > 0) problems.push(`${rejected.length} topic(s) rejected`);
    if (websocketTransport === 'no') {
      problems.push('Genesys lists the operational-events topic as not deliverable over WebSocket');
    }
    if (writer.lastError) problems.push(`output file: ${writer.lastError}`);
    const es = elastic?.status();
    if (es?.spooling) problems.push('Elasticsearch unavailable; spooling to disk');
    const status = !receiving ? 'unhealthy' : problems.length > 0 ? 'degraded' : 'ok';
    const iso = (t: number | undefined): string | null =>
      t === undefined ? null : new Date(t).toISOString();
    const { topics: _t, lastFrameAt, lastHeartbeatAt, ...channel } = ch;
    return {
      httpStatus: receiving ? 200 : 503,
      body: {
        status,
        receiving,
        problems,
        timestamp: new Date(now).toISOString(),
        started_at: new Date(startedAt).toISOString(),
        last_event_at: iso(pipeline.lastEventAt),
        channel: {
          ...channel,
          lastFrameAt: iso(lastFrameAt),
          lastHeartbeatAt: iso(lastHeartbeatAt),
        },
        subscriptions: {
          source: resolved?.source ?? null,
          permitted,
          rejected,
          websocketTransport,
        },
        auth,
        backfill: { ...backfill.status(), configured: config.backfill.enabled },
        output: {
          file: config.output.file,
          queued: writer.depth,
          written: writer.written,
          lastError: writer.lastError,
        },
        elastic: es && config.elastic ? { ...es, index: config.elastic.index } : null,
        counters: metrics.snapshot(),
      },
    };
  };

  const renderMetrics = async (): Promise<string> => {
    const ch = manager.status();
    const seconds = (t: number | undefined): number => (t === undefined ? 0 : t / 1000);
    const gauges: Parameters<Metrics['render']>[0] = {
      up: [{ help: '1 when /health reports receiving.', value: health().body.receiving ? 1 : 0 }],
      connected: [{ help: '1 while a channel socket is open.', value: ch.connected ? 1 : 0 }],
      last_event_timestamp_seconds: [
        { help: 'When the last event was accepted.', value: seconds(pipeline.lastEventAt) },
      ],
      last_heartbeat_timestamp_seconds: [
        { help: 'When the last heartbeat arrived.', value: seconds(ch.lastHeartbeatAt) },
      ],
      write_queue_depth: [{ help: 'Lines waiting to be written.', value: writer.depth }],
      subscriptions: [
        {
          help: 'Topic subscriptions by state.',
          value: ch.topics.filter((t) => t.state === 'Permitted').length,
          labels: { state: 'permitted' },
        },
        {
          help: 'Topic subscriptions by state.',
          value: ch.topics.filter((t) => t.state !== 'Permitted').length,
          labels: { state: 'rejected' },
        },
      ],
    };
    if (elastic) {
      gauges['elastic_queue_depth'] = [
        { help: 'Documents waiting for Elasticsearch.', value: elastic.status().queued },
      ];
      gauges['elastic_spool_bytes'] = [
        { help: 'Bytes in the Elasticsearch spool.', value: await elastic.spoolBytes() },
      ];
    }
    return metrics.render(gauges);
  };

  const refreshTopics = async (): Promise<void> => {
    try {
      const next = await resolveTopics(config.topics, api, logger, stopping.signal);
      const changed = next.topics.join('\n') !== (resolved?.topics ?? []).join('\n');
      resolved = next;
      if (changed) {
        logger.info({ topics: next.topics.length }, 'topic list changed; resubscribing');
        await manager.resubscribe();
      }
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'topic refresh failed; keeping the current list');
    }
  };

  const checkTransport = async (): Promise<void> => {
    try {
      const transports = await api.topicTransports('v2.operations.events.', stopping.signal);
      if (transports === undefined) return;
      websocketTransport = transports.some((t) => /websocket/i.test(t)) ? 'yes' : 'no';
      if (websocketTransport === 'no') {
        logger.warn(
          { transports },
          'Genesys lists v2.operations.events.{id} as not deliverable over WebSocket (EventBridge only?)',
        );
      }
    } catch (err) {
      logger.debug({ err: describeError(err) }, 'could not read availabletopics transports');
    }
  };

  return {
    metrics,
    get httpPort() {
      return server?.port;
    },
    health,
    async start() {
      logger.info(
        {
          env: g.env,
          loginBaseUrl: g.loginBaseUrl,
          apiBaseUrl: g.apiBaseUrl,
          clientId: g.clientId,
          output: config.output.file,
          elastic: config.elastic ? { url: config.elastic.url, index: config.elastic.index } : null,
        },
        'starting event collector',
      );
      resolved = await resolveTopics(config.topics, api, logger, stopping.signal);
      logger.info({ source: resolved.source, topics: resolved.topics }, 'topics resolved');
      await writer.open();
      await recent.seed(config.output.file);
      await elastic?.start();
      server = await startStatusServer({
        host: config.http.host,
        port: config.http.port,
        logger: logger.child({ component: 'http' }),
        health,
        events: () => recent.list(),
        metrics: renderMetrics,
      });
      manager.start();
      void checkTransport();
      if (
        config.topics.discover &&
        !config.topics.override &&
        config.topics.definitionsRefreshMs > 0
      ) {
        refreshTimer = setInterval(() => void refreshTopics(), config.topics.definitionsRefreshMs);
        refreshTimer.unref();
      }
    },
    stop() {
      stopped ??= (async () => {
        logger.info('stopping: closing the channel, then flushing output');
        stopping.abort();
        if (refreshTimer) clearInterval(refreshTimer);
        await manager.stop();
        await backfill.stop();
        await writer.close();
        await elastic?.stop(config.shutdownTimeoutMs);
        await server?.close();
        logger.info(
          { written: writer.written, counters: metrics.snapshot() },
          'stopped; every accepted event is on disk',
        );
      })();
      return stopped;
    },
  };
}

import { rawLineWriter } from '@org/service-kit';
import type { Logger } from 'pino';
import type { CollectorConfig } from './config';
import { type CollectorEmf, startCollectorEmf } from './lib/emf';
import { describeError } from './lib/errors';
import { GenesysApi } from './lib/genesys/api-client';
import { TokenProvider } from './lib/genesys/token-provider';
import { buildHealth, type HealthBody } from './lib/health';
import { startStatusServer, type StatusServer } from './lib/http-server';
import { Metrics } from './lib/metrics';
import { gaugeReadings } from './lib/metrics-render';
import { RecentEvents } from './lib/recent-events';
import { Leadership } from './lib/leadership';
import { redactUrl } from './lib/redact';
import type { CollectingSession } from './lib/session';
import { fallBackFromFile, type ResolvedTopics, resolveTopics } from './lib/topics';

export type { HealthBody } from './lib/health';

/** The running collector, as built by {@link createCollector}. */
export interface Collector {
  /** Resolves the topics, starts the status server and starts collecting. */
  start(): Promise<void>;
  /**
   * Stops receiving, writes and fsyncs every accepted event, flushes (or spools) Elasticsearch,
   * writes the checkpoint, and closes the status server. Idempotent.
   */
  stop(): Promise<void>;
  /** The status server's port (after start). */
  readonly httpPort: number | undefined;
  /** The `/health` document and HTTP status. */
  health(): { httpStatus: number; body: HealthBody };
  readonly metrics: Metrics;
}

/** The parts every role shares: Genesys access, topics, metrics, `/events`. */
interface Shared {
  config: CollectorConfig;
  logger: Logger;
  metrics: Metrics;
  tokens: TokenProvider;
  api: GenesysApi;
  recent: RecentEvents;
  stopping: AbortController;
  resolved: ResolvedTopics | undefined;
  websocketTransport: 'yes' | 'no' | 'unknown';
}

function buildShared(config: CollectorConfig, logger: Logger): Shared {
  const metrics = new Metrics({ elastic: config.elastic !== undefined });
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
  return {
    config,
    logger,
    metrics,
    tokens,
    api,
    recent: new RecentEvents(50),
    stopping: new AbortController(),
    resolved: undefined,
    websocketTransport: 'unknown',
  };
}

/**
 * Genesys rejected every topic subscribed to: when they came from a topics file, switch to the
 * topics it replaced (discovered or built-in), with a warning and a `/health` problem.
 */
function fallBackFromRejectedFile(sh: Shared, rejected: readonly string[]): boolean {
  const next = sh.resolved && fallBackFromFile(sh.resolved, rejected);
  if (!next) return false;
  sh.resolved = next;
  sh.logger.warn(
    {
      file: sh.config.topics.file,
      rejected: rejected.length,
      source: next.source,
      topics: next.topics,
    },
    `Genesys rejected every topic of the topics file; subscribing to the ${next.source} AudioHook topics instead`,
  );
  return true;
}

/** Re-reads the definitions; resubscribes when the AudioHook list changed. */
async function refreshTopics(sh: Shared, session: CollectingSession | undefined): Promise<void> {
  try {
    let next = await resolveTopics(sh.config.topics, sh.api, sh.logger, sh.stopping.signal);
    const refused = sh.resolved?.fileRejected;
    if (refused && next.source === 'file' && next.topics.join('\n') === refused.join('\n')) {
      // The same file Genesys refused as a whole: keep the fallback (with refreshed definitions).
      next = fallBackFromFile(next, refused) ?? next;
    }
    const changed = next.topics.join('\n') !== (sh.resolved?.topics ?? []).join('\n');
    sh.resolved = next;
    if (changed) {
      sh.logger.info({ topics: next.topics.length }, 'topic list changed; resubscribing');
      await session?.manager.resubscribe();
    }
  } catch (err) {
    sh.logger.warn({ err: describeError(err) }, 'topic refresh failed; keeping the current list');
  }
}

/** Reads from availabletopics whether Genesys delivers operational events over WebSocket. */
async function checkTransport(sh: Shared): Promise<void> {
  try {
    const transports = await sh.api.topicTransports('v2.operations.events.', sh.stopping.signal);
    if (transports === undefined) return;
    sh.websocketTransport = transports.some((t) => /websocket/i.test(t)) ? 'yes' : 'no';
    if (sh.websocketTransport === 'no') {
      sh.logger.warn(
        { transports },
        'Genesys lists v2.operations.events.{id} as not deliverable over WebSocket (EventBridge only?)',
      );
    }
  } catch (err) {
    sh.logger.debug({ err: describeError(err) }, 'could not read availabletopics transports');
  }
}

/**
 * The CloudWatch metrics (EMF_NAMESPACE; off without it): `Leader` while this instance's session
 * collects (with the lease, or alone without LEASE_TABLE) and not `stopped`, `Receiving` while it
 * also receives (`/health`'s `receiving`), `EventsWritten`.
 */
function startEmf(
  sh: Shared,
  leadership: Leadership,
  stopped: () => boolean,
  receiving: () => boolean,
): CollectorEmf | undefined {
  const { namespace, intervalMs } = sh.config.emf;
  if (namespace === undefined) return undefined;
  return startCollectorEmf({
    namespace,
    intervalMs,
    collecting: () =>
      !stopped() && leadership.role === 'leader' && leadership.session !== undefined,
    receiving,
    eventsWritten: () => sh.metrics.snapshot().events_written,
    write: rawLineWriter(sh.logger),
    logger: sh.logger.child({ component: 'emf' }),
  });
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
  const sh = buildShared(config, logger);
  const startedAt = Date.now();
  const leadership = new Leadership(
    {
      config,
      logger,
      metrics: sh.metrics,
      api: sh.api,
      tokens: sh.tokens,
      recent: sh.recent,
      topics: () => sh.resolved,
      onAllTopicsRejected: (rejected) => fallBackFromRejectedFile(sh, rejected),
    },
    config.lease,
  );
  let server: StatusServer | undefined;
  let refreshTimer: NodeJS.Timeout | undefined;
  let stopped: Promise<void> | undefined;
  let emf: CollectorEmf | undefined;
  let collectingEnded = false;

  const health = (): { httpStatus: number; body: HealthBody } =>
    buildHealth({
      config,
      startedAt,
      role: leadership.role,
      session: leadership.session,
      tokens: sh.tokens,
      resolved: sh.resolved,
      websocketTransport: sh.websocketTransport,
      metrics: sh.metrics,
      lease: leadership.leaseHealth(),
    });
  sh.metrics.readGauges(() =>
    gaugeReadings(leadership.session, health().body.receiving, leadership.role),
  );

  return {
    metrics: sh.metrics,
    get httpPort() {
      return server?.port;
    },
    health,
    async start() {
      logStart(config, logger);
      sh.resolved = await resolveTopics(config.topics, sh.api, logger, sh.stopping.signal);
      logger.info({ source: sh.resolved.source, topics: sh.resolved.topics }, 'topics resolved');
      await sh.recent.seed(config.output.file);
      server = await startStatusServer({
        host: config.http.host,
        port: config.http.port,
        logger: logger.child({ component: 'http' }),
        health,
        events: () => sh.recent.list(),
        registry: sh.metrics.kit.registry,
      });
      await leadership.start();
      emf = startEmf(
        sh,
        leadership,
        () => collectingEnded,
        () => health().body.receiving,
      );
      void checkTransport(sh);
      const t = config.topics;
      if (t.discover && !t.override && t.definitionsRefreshMs > 0) {
        refreshTimer = setInterval(
          () => void refreshTopics(sh, leadership.session),
          t.definitionsRefreshMs,
        );
        refreshTimer.unref();
      }
    },
    stop() {
      stopped ??= (async () => {
        logger.info('stopping: closing the channel, then flushing output');
        sh.stopping.abort();
        if (refreshTimer) clearInterval(refreshTimer);
        const written = (): number => leadership.session?.writer.written ?? 0;
        const before = written();
        await leadership.stop();
        collectingEnded = true;
        // The last document: Leader 0 and the events of the final flush.
        emf?.stop();
        await server?.close();
        logger.info(
          { written: Math.max(before, written()), counters: sh.metrics.snapshot() },
          'stopped; every accepted event is on disk',
        );
      })();
      return stopped;
    },
  };
}

function logStart(config: CollectorConfig, logger: Logger): void {
  const g = config.genesys;
  logger.info(
    {
      env: g.env,
      loginBaseUrl: redactUrl(g.loginBaseUrl),
      apiBaseUrl: redactUrl(g.apiBaseUrl),
      clientId: g.clientId,
      output: config.output.file,
      elastic: config.elastic
        ? { url: redactUrl(config.elastic.url), index: config.elastic.index }
        : null,
      lease: config.lease ? { table: config.lease.table, key: config.lease.key } : null,
    },
    'starting event collector',
  );
}

import type { CollectorConfig } from '../config';
import type { Backfiller } from './backfill';
import type { ChannelStatus } from './channel-manager';
import type { ElasticSink } from './elastic/bulk-sink';
import type { TokenProvider } from './genesys/token-provider';
import type { CounterName, Metrics } from './metrics';
import type { CollectingSession } from './session';
import type { ResolvedTopics } from './topics';

/** What this process does: collecting, or waiting for the lease (with `LEASE_TABLE`). */
export type Role = 'leader' | 'standby';

/** The lease as `/health` shows it (absent without `LEASE_TABLE`). */
export interface LeaseHealth {
  table: string;
  key: string;
  owner: string;
  held: boolean;
  token: number | null;
  holder: string | null;
  lastError: string | undefined;
}

/**
 * The Python collector's `/health` `stats`, from this process's counters (its whole life, every
 * leader session included). The mapping is in the README, "HTTP endpoints".
 */
export interface PythonStats {
  /** Frames received on the notification sockets, heartbeats included (`messages`). */
  events_total: number;
  /** AudioHook events accepted for output, live and backfill (`audiohook_events`). */
  audiohook_events: number;
  /** The sum of the {@link PYTHON_ERROR_COUNTERS}. */
  errors: number;
  /** When the last AudioHook event was accepted (ISO-8601 UTC), null before the first. */
  last_event: string | null;
  started_at: string;
  /** `reconnects`: attempts to receive again after a dropped socket or a failed connect. */
  reconnects: number;
}

/** The `/health` document. */
export interface HealthBody {
  status: 'ok' | 'degraded' | 'unhealthy' | 'standby';
  role: Role;
  receiving: boolean;
  problems: string[];
  timestamp: string;
  /** The Python collector's `topics`: the topics Genesys permitted on the current channel. */
  topics: string[];
  /** The Python collector's `stats`. */
  stats: PythonStats;
  started_at: string;
  last_event_at: string | null;
  lease: LeaseHealth | null;
  channel:
    | (Omit<ChannelStatus, 'topics' | 'lastFrameAt' | 'lastHeartbeatAt'> & {
        lastFrameAt: string | null;
        lastHeartbeatAt: string | null;
      })
    | null;
  subscriptions: {
    source: ResolvedTopics['source'] | null;
    permitted: string[];
    rejected: { id: string; state: string; reason?: string; missingPermissions?: string[] }[];
    /** The topics file's topics, when Genesys rejected every one of them (see `source`). */
    fileRejected: string[];
    websocketTransport: 'yes' | 'no' | 'unknown';
  };
  auth: ReturnType<TokenProvider['status']>;
  backfill: (ReturnType<Backfiller['status']> & { configured: boolean }) | null;
  checkpoint: { file: string; safe_until: string | null; last_event_time: string | null };
  output: { file: string; queued: number; written: number; lastError: string | undefined };
  elastic: (ReturnType<ElasticSink['status']> & { index: string }) | null;
  counters: ReturnType<Metrics['snapshot']>;
}

export interface HealthInput {
  config: CollectorConfig;
  startedAt: number;
  role: Role;
  session: CollectingSession | undefined;
  tokens: TokenProvider;
  resolved: ResolvedTopics | undefined;
  websocketTransport: 'yes' | 'no' | 'unknown';
  metrics: Metrics;
  lease: LeaseHealth | null;
}

const iso = (t: number | null | undefined): string | null =>
  t === undefined || t === null ? null : new Date(t).toISOString();

/** The `elastic` part of `/health` (null without Elasticsearch). */
function elasticHealth(
  s: CollectingSession | undefined,
  config: CollectorConfig,
): HealthBody['elastic'] {
  const es = s?.elastic?.status();
  return es && config.elastic ? { ...es, index: config.elastic.index } : null;
}

/** What is wrong with the session's output, backfill and Elasticsearch, one line each. */
function sessionProblems(s: CollectingSession): string[] {
  const problems: string[] = [];
  if (s.writer.lastError) problems.push(`output file: ${s.writer.lastError}`);
  const unfinished = s.backfill.status().unfinishedGaps;
  if (unfinished > 0) {
    problems.push(
      `${unfinished} backfill gap(s) stopped at the page limit: the checkpoint is held before them until a restart backfills them`,
    );
  }
  const es = s.elastic?.status();
  if (es !== undefined) problems.push(...elasticProblems(es));
  return problems;
}

/**
 * The `/health` answer. A leader is healthy (200) while receiving: socket open, a frame within
 * `HEARTBEAT_TIMEOUT_MS`, at least one topic permitted. A standby is healthy while it can read
 * the lease: it is ready to take over.
 */
export function buildHealth(i: HealthInput): { httpStatus: number; body: HealthBody } {
  const now = Date.now();
  const s = i.session;
  const counters = i.metrics.snapshot();
  const ch = s?.manager.status();
  const topics = ch?.topics ?? [];
  const permitted = topics.filter((t) => t.state === 'Permitted').map((t) => t.id);
  const rejected = topics
    .filter((t) => t.state !== 'Permitted')
    .map((t) => ({
      id: t.id,
      state: t.state,
      ...(t.rejectionReason === undefined ? {} : { reason: t.rejectionReason }),
      ...(t.missingPermissions === undefined ? {} : { missingPermissions: t.missingPermissions }),
    }));
  const problems: string[] = [];
  let receiving = false;
  if (i.role === 'leader') {
    const fresh =
      ch?.lastFrameAt !== undefined && now - ch.lastFrameAt <= i.config.genesys.heartbeatTimeoutMs;
    if (!ch?.connected) problems.push(`not connected (state ${ch?.state ?? 'starting'})`);
    else if (!fresh) problems.push('connected but nothing received within HEARTBEAT_TIMEOUT_MS');
    if (permitted.length === 0) problems.push('not subscribed to any topic');
    receiving = (ch?.connected ?? false) && fresh && permitted.length > 0;
    if (!receiving && ch?.lastError) problems.push(`last error: ${ch.lastError}`);
  }
  const auth = i.tokens.status();
  if (!auth.ok) problems.push(`authentication failing: ${auth.lastError ?? 'unknown'}`);
  if (rejected.length > 0) problems.push(`${rejected.length} topic(s) rejected`);
  const fileRejected = i.resolved?.fileRejected ?? [];
  if (fileRejected.length > 0) {
    problems.push(
      `Genesys rejected every topic of the topics file (${fileRejected.length}); subscribed to the ${i.resolved?.source ?? ''} topics instead`,
    );
  }
  if (i.websocketTransport === 'no') {
    problems.push('Genesys lists the operational-events topic as not deliverable over WebSocket');
  }
  if (s !== undefined) problems.push(...sessionProblems(s));
  if (i.lease?.lastError) problems.push(`lease: ${i.lease.lastError}`);
  const standbyOk = i.role === 'standby' && i.lease !== null && i.lease.lastError === undefined;
  const status =
    i.role === 'standby'
      ? standbyOk
        ? 'standby'
        : 'unhealthy'
      : !receiving
        ? 'unhealthy'
        : problems.length > 0
          ? 'degraded'
          : 'ok';
  const cp = s?.checkpointer.last;
  let channel: HealthBody['channel'] = null;
  if (ch) {
    const { topics: _t, lastFrameAt, lastHeartbeatAt, ...rest } = ch;
    channel = { ...rest, lastFrameAt: iso(lastFrameAt), lastHeartbeatAt: iso(lastHeartbeatAt) };
  }
  return {
    httpStatus: receiving || standbyOk ? 200 : 503,
    body: {
      status,
      role: i.role,
      receiving,
      problems,
      timestamp: new Date(now).toISOString(),
      topics: permitted,
      stats: pythonStats(counters, i.metrics.lastAudioHookEventAt, i.startedAt),
      started_at: new Date(i.startedAt).toISOString(),
      last_event_at: iso(s?.pipeline.lastEventAt),
      lease: i.lease,
      channel,
      subscriptions: {
        source: i.resolved?.source ?? null,
        permitted,
        rejected,
        fileRejected,
        websocketTransport: i.websocketTransport,
      },
      auth,
      backfill: s ? { ...s.backfill.status(), configured: i.config.backfill.enabled } : null,
      checkpoint: {
        file: i.config.output.checkpointFile,
        safe_until: iso(cp?.safeUntil),
        last_event_time: iso(cp?.lastEventTime),
      },
      output: {
        file: i.config.output.file,
        queued: s?.writer.depth ?? 0,
        written: s?.writer.written ?? 0,
        lastError: s?.writer.lastError,
      },
      elastic: elasticHealth(s, i.config),
      counters,
    },
  };
}

/**
 * What the Python collector counted in `stats.errors`: failed attempts (channel, backfill,
 * checkpoint, lease start), failed JSONL writes, and failed Elasticsearch requests and documents.
 */
export const PYTHON_ERROR_COUNTERS = [
  'errors',
  'write_errors',
  'elastic_retries',
  'elastic_auth_failures',
  'elastic_dead_lettered',
  'elastic_dead_letter_dropped',
] as const satisfies readonly CounterName[];

/** The Python collector's `stats`, mapped onto the counters (see {@link PythonStats}). */
export function pythonStats(
  c: Record<CounterName, number>,
  lastAudioHookEventAt: number | undefined,
  startedAt: number,
): PythonStats {
  return {
    events_total: c.messages,
    audiohook_events: c.audiohook_events,
    errors: PYTHON_ERROR_COUNTERS.reduce((n, name) => n + c[name], 0),
    last_event: iso(lastAudioHookEventAt),
    started_at: new Date(startedAt).toISOString(),
    reconnects: c.reconnects,
  };
}

/** What `/health` says about the Elasticsearch copy. */
function elasticProblems(es: ReturnType<ElasticSink['status']>): string[] {
  const problems: string[] = [];
  if (es.credentialsRefused) {
    problems.push(
      'Elasticsearch refuses the credentials (401/403, COLLECTOR_ERR_ELASTIC_AUTH): check ELASTIC_AUTH; spooling to disk',
    );
  } else if (es.spooling) {
    problems.push(
      es.lastError === undefined
        ? 'Elasticsearch catching up (spool or output replay); new documents wait in the spool'
        : 'Elasticsearch unavailable; spooling to disk',
    );
  }
  if (es.spoolFull) {
    problems.push(
      'Elasticsearch spool full (ELASTIC_SPOOL_MAX_BYTES): new documents wait in the JSONL output',
    );
  }
  if (es.backlogSince !== undefined) {
    problems.push(
      `Elasticsearch lacks documents received since ${es.backlogSince}: they are sent from the JSONL output once the spool is replayed`,
    );
  }
  if (es.deadLetterFull) problems.push('Elasticsearch dead-letter file full');
  return problems;
}

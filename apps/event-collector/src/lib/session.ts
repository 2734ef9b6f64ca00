import type { Logger } from 'pino';
import type { CollectorConfig } from '../config';
import { Backfiller } from './backfill';
import { ChannelManager } from './channel-manager';
import { type Checkpoint, CheckpointFile } from './checkpoint';
import { CheckpointClaims, checkpointGuard } from './checkpoint-claims';
import { Checkpointer } from './checkpointer';
import { ElasticSink } from './elastic/bulk-sink';
import { outputBacklog } from './elastic/output-backlog';
import { describeError } from './errors';
import type { GenesysApi } from './genesys/api-client';
import type { TokenProvider } from './genesys/token-provider';
import { JsonlWriter } from './jsonl-writer';
import type { Metrics } from './metrics';
import { readOutputTail } from './output-tail';
import { EventPipeline } from './pipeline';
import type { RecentEvents } from './recent-events';
import { definitionIdsOf, type ResolvedTopics } from './topics';

/**
 * Slack when reading the output tail back at start: lines are appended in the order they were
 * received, but another instance's clock may differ a little from ours.
 */
const TAIL_SLACK_MS = 10 * 60_000;

export interface SessionOptions {
  config: CollectorConfig;
  logger: Logger;
  metrics: Metrics;
  api: GenesysApi;
  tokens: TokenProvider;
  recent: RecentEvents;
  /** The current topic list (refreshed while the session runs). */
  topics: () => ResolvedTopics | undefined;
  /** Fencing token of the lease held for this session; null without a lease. */
  token: number | null;
  /** A checkpoint shared through the lease, if any (the newer of it and the file's is used). */
  sharedCheckpoint?: Checkpoint | undefined;
  /**
   * Whether writing is still allowed (lease held); checked right before every change to the
   * output folder (JSONL write chunk, rotation and repair step, checkpoint, and every change to
   * the Elasticsearch spool, replay, offset and dead-letter files).
   */
  mayWrite?: () => boolean;
  /** Called when the checkpoint shows a newer lease holder (a higher fencing token). */
  onFenced?: (reason: string) => void;
  /** Called after each checkpoint written. */
  onCheckpoint?: (cp: Checkpoint) => void;
  /** Genesys rejected every topic: true when `topics` now gives a fallback list to subscribe to. */
  onAllTopicsRejected?: (rejected: readonly string[]) => boolean;
}

/** The session's JSONL writer, its events counted in the metrics. */
function outputWriter(o: SessionOptions): JsonlWriter {
  const { output } = o.config;
  const metrics = o.metrics;
  return new JsonlWriter({
    file: output.file,
    maxFileSize: output.maxFileSize,
    backupCount: output.backupCount,
    queueMax: output.queueMax,
    logger: o.logger.child({ component: 'output' }),
    onRotate: () => metrics.inc('file_rotations'),
    onWriteError: () => metrics.inc('write_errors'),
    onTorn: () => metrics.inc('torn_lines'),
    onRotationRepaired: () => metrics.inc('rotation_repairs'),
    ...(o.mayWrite ? { mayWrite: o.mayWrite } : {}),
  });
}

/**
 * Everything that collects: output file, Elasticsearch, pipeline, channel, backfill and
 * checkpoint, for as long as this process is the one collecting (always, without a lease).
 * Starting it picks up where the checkpoint left off: it re-reads the output tail (for
 * de-duplication, and to re-send to Elasticsearch what it may not have stored), and the first
 * connection backfills everything published since the checkpoint.
 */
export class CollectingSession {
  readonly writer: JsonlWriter;
  readonly elastic: ElasticSink | undefined;
  readonly pipeline: EventPipeline;
  readonly backfill: Backfiller;
  readonly manager: ChannelManager;
  readonly checkpointer: Checkpointer;
  readonly #o: SessionOptions;
  #stopped: Promise<void> | undefined;

  private constructor(o: SessionOptions, initial: Checkpoint | undefined) {
    const c = o.config;
    this.#o = o;
    const metrics = o.metrics;
    this.writer = outputWriter(o);
    const elasticLog = o.logger.child({ component: 'elastic' });
    this.elastic = c.elastic
      ? new ElasticSink(
          c.elastic,
          elasticLog,
          metrics,
          // What Elasticsearch lacks is read again from the output (see ElasticSink.resumeFrom).
          outputBacklog({
            file: c.output.file,
            backupCount: c.output.backupCount,
            slackMs: TAIL_SLACK_MS,
            batchSize: c.elastic.bulkSize,
            settled: () => this.writer.whenWritten(this.writer.accepted),
            logger: elasticLog,
          }),
          o.mayWrite ? { mayWrite: o.mayWrite } : {},
        )
      : undefined;
    this.pipeline = new EventPipeline({
      events: c.events,
      writer: this.writer,
      elastic: this.elastic,
      recent: o.recent,
      metrics,
      logger: o.logger.child({ component: 'events' }),
      logEvents: c.log.consoleEvents,
    });
    this.backfill = new Backfiller({
      api: o.api,
      logger: o.logger.child({ component: 'backfill' }),
      metrics,
      marginMs: c.backfill.marginMs,
      maxAgeMs: c.backfill.maxAgeMs,
      definitionIds: () => definitionIdsOf(o.topics()?.topics ?? []),
      definitions: () => o.topics()?.definitions ?? new Map(),
      onEvent: (topic, body) => this.pipeline.acceptBackfill(topic, body),
      whenWritable: () => this.pipeline.whenWritable(),
    });
    this.manager = new ChannelManager({
      api: o.api,
      tokens: o.tokens,
      genesys: c.genesys,
      logger: o.logger.child({ component: 'channel' }),
      metrics,
      topics: () => o.topics()?.topics ?? [],
      onEvent: (envelope, ctx) => this.pipeline.acceptLive(envelope, ctx),
      whenWritable: () => this.pipeline.whenWritable(),
      onGap: (gap) => {
        if (c.backfill.enabled) this.backfill.fill(gap);
      },
      ...(c.backfill.enabled && initial ? { initialGapStart: initial.safeUntil } : {}),
      maxLagMs: c.backfill.maxLagMs,
      onLive: () => {
        if (!this.checkpointer.last) void this.checkpointer.tick();
      },
      ...(o.onAllTopicsRejected ? { onAllRejected: o.onAllTopicsRejected } : {}),
    });
    const claims = new CheckpointClaims(new CheckpointFile(c.output.checkpointFile));
    const guard = checkpointGuard({
      claims,
      token: o.token,
      mayWrite: o.mayWrite,
      onFenced: o.onFenced,
      logger: o.logger.child({ component: 'checkpoint' }),
    });
    this.checkpointer = new Checkpointer(
      {
        file: claims.file,
        writer: this.writer,
        coverage: () => this.manager.coverage(),
        pendingGapStart: () => this.backfill.pendingStart(),
        elasticPending: this.elastic ? () => this.elastic?.oldestPending() : undefined,
        lastEventTime: () => this.pipeline.lastEventTime,
        token: o.token,
        intervalMs: c.output.checkpointIntervalMs,
        logger: o.logger.child({ component: 'checkpoint' }),
        metrics,
        mayWrite: () => guard.mayWrite(),
        confirm: () => guard.confirm(),
        recordClaim: (cp) => guard.claim(cp),
        ...(o.onCheckpoint ? { onWritten: o.onCheckpoint } : {}),
      },
      initial,
    );
  }

  /** Reads the checkpoint, opens the output and starts receiving (and backfilling). */
  static async start(o: SessionOptions): Promise<CollectingSession> {
    const initial = await readInitialCheckpoint(o);
    const s = new CollectingSession(o, initial);
    try {
      await s.writer.open();
      if (initial) await s.#resumeFromTail(initial);
      await s.checkpointer.claim();
      await s.elastic?.start();
    } catch (err) {
      await s.abandon();
      throw err;
    }
    s.checkpointer.start();
    s.manager.start();
    return s;
  }

  /**
   * Stops receiving, writes every accepted event, flushes (or spools) Elasticsearch, and writes
   * a last checkpoint. Idempotent.
   */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      await this.manager.stop();
      await this.backfill.stop();
      this.pipeline.flushLogs();
      await this.writer.flush();
      await this.elastic?.stop(this.#o.config.shutdownTimeoutMs);
      await this.checkpointer.stop();
      await this.writer.close();
    })();
    return this.#stopped;
  }

  /**
   * Stops at once without writing anything more: this instance was fenced out of the lease. What
   * it had not written yet is after the checkpoint, so the next holder backfills it. Everything
   * that writes to the shared folder (JSONL writer, Elasticsearch spool and replay, checkpoint)
   * is stopped before the first wait: a writer stuck in a stalled write must not keep the spool
   * going meanwhile.
   */
  abandon(): Promise<void> {
    this.pipeline.close();
    this.#stopped ??= (async () => {
      const quiet = [this.writer.abandon(), this.elastic?.abandon(), this.checkpointer.stop(false)];
      await this.manager.stop();
      await this.backfill.stop();
      await Promise.all(quiet);
    })();
    return this.#stopped;
  }

  /**
   * Seeds de-duplication from the output tail, and has Elasticsearch sent again, from the output,
   * what it may lack: the records received since the checkpoint's `elastic_safe_until`.
   */
  async #resumeFromTail(cp: Checkpoint): Promise<void> {
    const c = this.#o.config;
    const dedupeFrom = cp.safeUntil - c.backfill.marginMs - TAIL_SLACK_MS;
    const tail = await readOutputTail(c.output.file, c.output.backupCount, dedupeFrom);
    const seeded = this.pipeline.seedKeys(tail.map((r) => ({ key: r.key, at: r.receivedAt })));
    const elasticFrom = this.elastic ? cp.elasticSafeUntil : null;
    if (elasticFrom !== null) this.elastic?.resumeFrom(elasticFrom);
    const iso = (t: number | null): string | null =>
      t === null ? null : new Date(t).toISOString();
    this.#o.logger.info(
      {
        checkpoint: iso(cp.safeUntil),
        lastEventTime: iso(cp.lastEventTime),
        tailRecords: tail.length,
        dedupeKeys: seeded,
        elasticResendFrom: iso(elasticFrom),
      },
      'resuming from the checkpoint',
    );
  }
}

/** The checkpoint to resume from: the newer of the file's and the one shared by the lease. */
async function readInitialCheckpoint(o: SessionOptions): Promise<Checkpoint | undefined> {
  let fromFile: Checkpoint | undefined;
  try {
    // The newer of the file and the last holder's claim (the file may have been put back since).
    fromFile = await new CheckpointClaims(
      new CheckpointFile(o.config.output.checkpointFile),
    ).read();
  } catch (err) {
    o.metrics.inc('errors');
    o.logger.error(
      { err: describeError(err) },
      'the checkpoint cannot be used; starting without it (events published while the collector was down are not backfilled)',
    );
  }
  const shared = o.sharedCheckpoint;
  if (!fromFile) return shared;
  if (!shared) return fromFile;
  return shared.safeUntil > fromFile.safeUntil ? shared : fromFile;
}

import type { Logger } from 'pino';
import type { CollectorConfig } from '../config';
import { DedupeWindow } from './dedupe';
import type { ElasticDoc, ElasticSink } from './elastic/bulk-sink';
import { clip } from './genesys/frames';
import type { Envelope } from './genesys/schemas';
import type { JsonlWriter } from './jsonl-writer';
import { LogLimiter } from './log-limiter';
import type { Metrics } from './metrics';
import type { RecentEvents } from './recent-events';
import {
  buildRecord,
  type EventRecord,
  exceedsDepth,
  MAX_BODY_DEPTH,
  type RecordContext,
} from './records';

export interface PipelineOptions {
  events: CollectorConfig['events'];
  writer: JsonlWriter;
  elastic: ElasticSink | undefined;
  recent: RecentEvents;
  metrics: Metrics;
  logger: Logger;
  /** Log one line per written event (`CONSOLE_OUTPUT`). */
  logEvents: boolean;
}

/**
 * The Elasticsearch document of a record: its `dedupe_key` as `_id`, and `@timestamp` from the
 * event time (else the receive time), which data streams require.
 */
export function elasticDoc(record: EventRecord | Record<string, unknown>): ElasticDoc {
  const r = record as Record<string, unknown>;
  const ts = typeof r['event_time'] === 'string' ? r['event_time'] : r['received_at'];
  return { id: String(r['dedupe_key']), source: { '@timestamp': ts, ...r } };
}

/**
 * From notification to sinks: build the record, filter non-AudioHook events (unless
 * `WRITE_ALL_EVENTS`), drop duplicates, then hand the record to the JSONL writer, Elasticsearch
 * and `/events`. Synchronous, so the socket reader never waits on a sink; the return value tells
 * the reader to pause when the file queue is full.
 */
export class EventPipeline {
  readonly #o: PipelineOptions;
  readonly #dedupe: DedupeWindow;
  /** Per-event warnings (too deep, unexpected shape) are rate-limited per kind. */
  readonly #limit: LogLimiter<'event_too_deep' | 'event_unknown_shape'>;
  #lastEventAt: number | undefined;
  #lastEventTime: number | undefined;
  #closed = false;

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#dedupe = new DedupeWindow({
      windowMs: options.events.dedupeWindowMs,
      maxKeys: options.events.dedupeMaxKeys,
    });
    this.#limit = new LogLimiter({ logger: options.logger, metrics: options.metrics });
  }

  get lastEventAt(): number | undefined {
    return this.#lastEventAt;
  }

  /** The newest event time (`eventBody.timestamp`) among the events written. */
  get lastEventTime(): number | undefined {
    return this.#lastEventTime;
  }

  /**
   * Remembers keys already in the output (from the file tail at start), so a backfill or a
   * re-delivery of those events is dropped as a duplicate. Oldest first.
   */
  seedKeys(keys: Iterable<{ key: string; at: number }>): number {
    let n = 0;
    for (const k of keys) if (this.#dedupe.checkAndAdd(k.key, k.at)) n += 1;
    return n;
  }

  /** A live notification. Returns false when the reader should pause. */
  acceptLive(
    envelope: Envelope & { eventBody: Record<string, unknown> },
    ctx: { channelRef: string; receivedAt: number },
  ): boolean {
    return this.#accept(
      envelope.topicName,
      envelope.eventBody,
      {
        correlationId: envelope.metadata?.CorrelationId ?? null,
        envelopeVersion: envelope.version ?? null,
      },
      { channelRef: ctx.channelRef, receivedAt: ctx.receivedAt, source: 'live' },
    ).keepReading;
  }

  /** An event recovered by the history query; true when it was new and written. */
  acceptBackfill(topic: string, body: Record<string, unknown>): boolean {
    return this.#accept(
      topic,
      body,
      { correlationId: null, envelopeVersion: null },
      { channelRef: null, receivedAt: Date.now(), source: 'backfill' },
    ).written;
  }

  /**
   * Accepts nothing more (the session was fenced out of the lease and is being abandoned): later
   * events are neither written nor counted; the next lease holder backfills them.
   */
  close(): void {
    this.#closed = true;
    this.flushLogs();
  }

  /** Writes the summary of the warnings not logged (rate limit), and stops its timer. */
  flushLogs(): void {
    this.#limit.close();
  }

  whenWritable(): Promise<void> {
    return this.#o.writer.whenWritable();
  }

  #accept(
    topic: string,
    body: Record<string, unknown>,
    meta: { correlationId: string | null; envelopeVersion: string | null },
    ctx: Pick<RecordContext, 'channelRef' | 'receivedAt' | 'source'>,
  ): { written: boolean; keepReading: boolean } {
    const m = this.#o.metrics;
    m.inc('events_received');
    if (this.#closed) return { written: false, keepReading: true };
    if (exceedsDepth(body, MAX_BODY_DEPTH)) {
      m.inc('malformed_messages');
      if (!this.#limit.allow('event_too_deep')) return { written: false, keepReading: true };
      this.#o.logger.warn(
        {
          topic: clip(topic),
          source: ctx.source,
          maxDepth: MAX_BODY_DEPTH,
        },
        'skipped an event whose body nests too deep to be written as JSON',
      );
      return { written: false, keepReading: true };
    }
    const record: EventRecord = buildRecord(topic, body, meta, {
      ...ctx,
      timestampSource: this.#o.events.timestampSource,
      matchers: this.#o.events.match,
    });
    if (record.event_type !== 'audiohook_operational' && !this.#o.events.writeAll) {
      m.inc('events_filtered');
      return { written: false, keepReading: true };
    }
    if (!this.#dedupe.checkAndAdd(record.dedupe_key, ctx.receivedAt)) {
      m.inc('events_duplicate');
      return { written: false, keepReading: true };
    }
    if (!record.schema_valid) {
      m.inc('events_unknown_shape');
      if (this.#limit.allow('event_unknown_shape')) {
        this.#o.logger.warn(
          {
            topic: clip(topic),
            issues: record.schema_issues?.slice(0, 5),
            dedupeKey: record.dedupe_key,
          },
          'event body does not match the documented schema; kept with schema_valid=false',
        );
      }
    }
    const line = JSON.stringify(record);
    const keepReading = this.#o.writer.enqueue(line);
    // The line's length is the document's size but for `@timestamp`: no second stringify.
    this.#o.elastic?.add({ ...elasticDoc(record), at: ctx.receivedAt, chars: line.length });
    this.#o.recent.push(record);
    this.#lastEventAt = ctx.receivedAt;
    const t = typeof body['timestamp'] === 'number' ? body['timestamp'] : undefined;
    if (t !== undefined && Number.isFinite(t) && t > (this.#lastEventTime ?? -Infinity)) {
      this.#lastEventTime = t;
    }
    m.inc('events_written');
    if (record.event_type === 'audiohook_operational') {
      m.inc('audiohook_events');
      m.lastAudioHookEventAt = ctx.receivedAt;
    }
    if (this.#o.logEvents) {
      this.#o.logger.info(
        {
          eventId: record.event_id,
          eventName: record.event_name,
          conversationId: record.conversation_id,
          source: record.source,
          channel: record.channel,
        },
        record.event_type === 'audiohook_operational' ? 'AudioHook event' : 'event',
      );
    }
    return { written: true, keepReading };
  }
}

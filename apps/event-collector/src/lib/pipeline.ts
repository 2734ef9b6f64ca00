import type { Logger } from 'pino';
import type { CollectorConfig } from '../config';
import { DedupeWindow } from './dedupe';
import type { ElasticSink } from './elastic/bulk-sink';
import type { Envelope } from './genesys/schemas';
import type { JsonlWriter } from './jsonl-writer';
import type { Metrics } from './metrics';
import type { RecentEvents } from './recent-events';
import { buildRecord, type EventRecord, type RecordContext } from './records';

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
 * From notification to sinks: build the record, filter non-AudioHook events (unless
 * `WRITE_ALL_EVENTS`), drop duplicates, then hand the record to the JSONL writer, Elasticsearch
 * and `/events`. Synchronous, so the socket reader never waits on a sink; the return value tells
 * the reader to pause when the file queue is full.
 */
export class EventPipeline {
  readonly #o: PipelineOptions;
  readonly #dedupe: DedupeWindow;
  #lastEventAt: number | undefined;

  constructor(options: PipelineOptions) {
    this.#o = options;
    this.#dedupe = new DedupeWindow({
      windowMs: options.events.dedupeWindowMs,
      maxKeys: options.events.dedupeMaxKeys,
    });
  }

  get lastEventAt(): number | undefined {
    return this.#lastEventAt;
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
    );
  }

  /** An event recovered by the history query. */
  acceptBackfill(topic: string, body: Record<string, unknown>): void {
    this.#accept(
      topic,
      body,
      { correlationId: null, envelopeVersion: null },
      { channelRef: null, receivedAt: Date.now(), source: 'backfill' },
    );
  }

  whenWritable(): Promise<void> {
    return this.#o.writer.whenWritable();
  }

  #accept(
    topic: string,
    body: Record<string, unknown>,
    meta: { correlationId: string | null; envelopeVersion: string | null },
    ctx: Pick<RecordContext, 'channelRef' | 'receivedAt' | 'source'>,
  ): boolean {
    const m = this.#o.metrics;
    m.inc('events_received');
    const record: EventRecord = buildRecord(topic, body, meta, {
      ...ctx,
      timestampSource: this.#o.events.timestampSource,
      matchers: this.#o.events.match,
    });
    if (record.event_type !== 'audiohook_operational' && !this.#o.events.writeAll) {
      m.inc('events_filtered');
      return true;
    }
    if (!this.#dedupe.checkAndAdd(record.dedupe_key, ctx.receivedAt)) {
      m.inc('events_duplicate');
      return true;
    }
    if (!record.schema_valid) {
      m.inc('events_unknown_shape');
      this.#o.logger.warn(
        { topic, issues: record.schema_issues, dedupeKey: record.dedupe_key },
        'event body does not match the documented schema; kept with schema_valid=false',
      );
    }
    const keepReading = this.#o.writer.enqueue(JSON.stringify(record));
    this.#o.elastic?.add({
      id: record.dedupe_key,
      source: { '@timestamp': record.event_time ?? record.received_at, ...record },
    });
    this.#o.recent.push(record);
    this.#lastEventAt = ctx.receivedAt;
    m.inc('events_written');
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
    return keepReading;
  }
}

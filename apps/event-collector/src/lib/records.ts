import { createHash } from 'node:crypto';
import type { AudioHookMatcher } from '../config';
import {
  type OperationalEvent,
  operationalEventBodySchema,
  operationalEventSchema,
} from './genesys/schemas';

/** Prefix of every operational-event topic. */
export const OPERATIONS_TOPIC_PREFIX = 'v2.operations.events.';

/**
 * One line of the JSONL output (and one Elasticsearch document). The first thirteen keys are
 * the Python collector's record, in its order; the rest are additions derived from the real
 * event body and envelope.
 */
export interface EventRecord {
  timestamp: string;
  event_type: 'audiohook_operational' | 'operational' | 'notification';
  event_id: string | null;
  event_name: string | null;
  description: string | null;
  conversation_id: string | null;
  entity_type: string | null;
  entity_id: string | null;
  entity_name: string | null;
  version: string | null;
  topic: string;
  /** A stable, non-secret reference to the channel (the channel id itself is a credential). */
  channel: string | null;
  raw_event: Record<string, unknown>;
  event_time: string | null;
  error_code: string | null;
  previous_value: string | null;
  current_value: string | null;
  parent_entity: string | null;
  correlation_id: string | null;
  envelope_version: string | null;
  received_at: string;
  dedupe_key: string;
  source: 'live' | 'backfill';
  /** False when the body did not match the documented schema; the event is kept anyway. */
  schema_valid: boolean;
  schema_issues?: string[];
}

/** Context a record is built in. */
export interface RecordContext {
  channelRef: string | null;
  receivedAt: number;
  timestampSource: 'received' | 'event';
  matchers: readonly AudioHookMatcher[];
  source: 'live' | 'backfill';
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const obj = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;

/**
 * How deep an event body may nest. Genesys bodies nest a few levels; JSON.stringify (and the
 * raw de-duplication key) would overflow the stack on a body thousands of levels deep, so such a
 * body is skipped as malformed instead of crashing the collector.
 */
export const MAX_BODY_DEPTH = 64;

/**
 * True when `value` nests objects or arrays deeper than `limit` levels. Iterative, so any input,
 * however deep, is measured without recursion.
 *
 * @example
 * ```ts
 * exceedsDepth({ a: { b: 1 } }, 1); // true
 * exceedsDepth({ a: { b: 1 } }, 2); // false
 * ```
 */
export function exceedsDepth(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit < 1) return true;
  // Recursion at most `limit` deep, and no allocation: this runs on every event.
  if (Array.isArray(value)) {
    for (const child of value) if (exceedsDepth(child, limit - 1)) return true;
    return false;
  }
  const o = value as Record<string, unknown>;
  for (const key in o) {
    if (Object.hasOwn(o, key) && exceedsDepth(o[key], limit - 1)) return true;
  }
  return false;
}

/** JSON with object keys sorted, so equal values always hash equally. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const o = obj(value);
  if (o) {
    const keys = Object.keys(o).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The de-duplication key (and Elasticsearch `_id`): a hash of definition id, entity id,
 * conversation id and event time in ms. The correlation id is left out on purpose: history-query
 * results have none, and the key must match a live event to its backfilled copy.
 *
 * @example
 * ```ts
 * dedupeKey('AUDIOHOOK-0001', 'e1', 'c1', 1705314645123); // 32 hex chars
 * ```
 */
export function dedupeKey(
  definitionId: string,
  entityId: string | null,
  conversationId: string | null,
  timestampMs: number,
): string {
  return createHash('sha256')
    .update(`${definitionId}\n${entityId ?? ''}\n${conversationId ?? ''}\n${timestampMs}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * Applies the configured "is AudioHook" tests in order (the Python collector's order by default,
 * plus the topic the event arrived on).
 */
export function isAudioHookEvent(
  body: Record<string, unknown>,
  topic: string,
  matchers: readonly AudioHookMatcher[],
): boolean {
  const entity = obj(body['eventEntity']);
  for (const m of matchers) {
    if (m === 'id-prefix' && str(entity?.['id'])?.startsWith('AUDIOHOOK-')) return true;
    if (m === 'entity-type' && str(body['entityType'])?.toLowerCase().includes('audiohook'))
      return true;
    if (m === 'name' && str(entity?.['name'])?.toLowerCase().includes('audiohook')) return true;
    if (m === 'topic' && topic.toUpperCase().startsWith('V2.OPERATIONS.EVENTS.AUDIOHOOK-'))
      return true;
  }
  return false;
}

/**
 * Builds the output record of one notification. Never throws: a body that does not match the
 * documented schema is kept with `schema_valid: false` and the issues listed.
 */
export function buildRecord(
  topic: string,
  body: Record<string, unknown>,
  meta: { correlationId: string | null; envelopeVersion: string | null },
  ctx: RecordContext,
): EventRecord {
  const parsed = operationalEventBodySchema.safeParse(body);
  const entity = obj(body['eventEntity']);
  const eventTimeMs =
    typeof body['timestamp'] === 'number' && Number.isFinite(body['timestamp'])
      ? body['timestamp']
      : null;
  const eventTime = eventTimeMs === null ? null : safeIso(eventTimeMs);
  const receivedAt = new Date(ctx.receivedAt).toISOString();
  const eventId = str(entity?.['id']);

  const key = parsed.success
    ? dedupeKey(
        parsed.data.eventEntity.id,
        parsed.data.entityId ?? null,
        parsed.data.conversationId ?? null,
        parsed.data.timestamp,
      )
    : createHash('sha256')
        .update(`raw\n${topic}\n${stableStringify(body)}`)
        .digest('hex')
        .slice(0, 32);

  const operational = topic.startsWith(OPERATIONS_TOPIC_PREFIX) || eventId !== null;
  const record: EventRecord = {
    timestamp: ctx.timestampSource === 'event' && eventTime !== null ? eventTime : receivedAt,
    event_type: isAudioHookEvent(body, topic, ctx.matchers)
      ? 'audiohook_operational'
      : operational
        ? 'operational'
        : 'notification',
    event_id: eventId,
    event_name: str(entity?.['name']),
    description: str(entity?.['description']),
    conversation_id: str(body['conversationId']),
    entity_type: str(body['entityType']),
    entity_id: str(body['entityId']),
    entity_name: str(body['entityName']),
    version: str(body['version']),
    topic,
    channel: ctx.channelRef,
    raw_event: body,
    event_time: eventTime,
    error_code: str(body['errorCode']),
    previous_value: str(body['previousValue']),
    current_value: str(body['currentValue']),
    parent_entity: str(body['parentEntity']),
    correlation_id: meta.correlationId,
    envelope_version: meta.envelopeVersion,
    received_at: receivedAt,
    dedupe_key: key,
    source: ctx.source,
    schema_valid: parsed.success,
  };
  if (!parsed.success) {
    record.schema_issues = parsed.error.issues.map(
      (i) => `${i.path.join('.') || '(body)'}: ${i.message}`,
    );
  }
  return record;
}

function safeIso(ms: number): string | null {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/**
 * Maps one history-query `OperationalEvent` to the notification body shape, so backfilled events
 * produce the same record (and the same dedupe key) as live ones. `undefined` when the result is
 * unusable (no definition id or no parsable `dateCreated`).
 */
export function queryResultToBody(
  raw: unknown,
  definitions: ReadonlyMap<string, { name?: string | undefined; description?: string | undefined }>,
): { topic: string; body: Record<string, unknown> } | undefined {
  const parsed = operationalEventSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const e: OperationalEvent = parsed.data;
  const ts = Date.parse(e.dateCreated);
  if (!Number.isFinite(ts)) return undefined;
  const def = definitions.get(e.eventDefinition.id);
  const body: Record<string, unknown> = {
    eventEntity: {
      id: e.eventDefinition.id,
      name: def?.name ?? e.eventDefinition.name ?? null,
      description: def?.description ?? null,
    },
    timestamp: ts,
  };
  const put = (k: string, v: string | undefined): void => {
    if (v !== undefined) body[k] = v;
  };
  put('entityId', e.entityId);
  put('entityName', e.entityName);
  put('conversationId', e.conversation?.id);
  put('errorCode', e.errorCode);
  put('previousValue', e.previousValue);
  put('currentValue', e.currentValue);
  put('parentEntity', e.parentEntityId);
  put('entityToken', e.entityToken);
  put('version', e.entityVersion);
  return { topic: `${OPERATIONS_TOPIC_PREFIX}${e.eventDefinition.id}`, body };
}

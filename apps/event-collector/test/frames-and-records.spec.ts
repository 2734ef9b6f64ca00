import { parseFrame } from '../src/lib/genesys/frames';
import { DedupeWindow } from '../src/lib/dedupe';
import { Backoff, retryAfterMs } from '../src/lib/backoff';
import {
  buildRecord,
  dedupeKey,
  exceedsDepth,
  isAudioHookEvent,
  queryResultToBody,
  stableStringify,
} from '../src/lib/records';
import { fixture } from './helpers';

const ctx = {
  channelRef: 'ch_000000000000',
  receivedAt: Date.parse('2024-01-15T10:30:46.000Z'),
  timestampSource: 'received' as const,
  matchers: ['id-prefix', 'entity-type', 'name', 'topic'] as const,
  source: 'live' as const,
};

describe('parseFrame', () => {
  it('recognises heartbeats, pongs, socket_closing, system messages and result frames', () => {
    expect(
      parseFrame('{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}'),
    ).toEqual({ kind: 'heartbeat' });
    expect(parseFrame('{"topicName":"channel.metadata","eventBody":{"message":"pong"}}')).toEqual({
      kind: 'pong',
    });
    expect(parseFrame('{"topicName":"v2.system.socket_closing","eventBody":{}}')).toEqual({
      kind: 'socket_closing',
    });
    expect(
      parseFrame(
        '{"topicName":"v2.system.no_longer_subscribed","eventBody":{"systemTopicType":"no_longer_subscribed","reason":"another_channel_subscribed"}}',
      ),
    ).toEqual({
      kind: 'system',
      topic: 'v2.system.no_longer_subscribed',
      systemTopicType: 'no_longer_subscribed',
      reason: 'another_channel_subscribed',
    });
    expect(parseFrame('{"result":"404"}')).toEqual({
      kind: 'result',
      result: '404',
      status: undefined,
    });
  });

  it('turns every garbage frame into "malformed" instead of throwing', () => {
    for (const text of [
      'nope',
      '[]',
      '"s"',
      '42',
      'null',
      '{"topicName":5}',
      '{"topicName":"x","eventBody":[1]}',
    ]) {
      expect(parseFrame(text).kind).toBe('malformed');
    }
  });
});

describe('buildRecord', () => {
  const body = fixture<Record<string, unknown>>('operational-event-body.json');

  it('derives the documented fields from the real event body and envelope', () => {
    const r = buildRecord(
      'v2.operations.events.AUDIOHOOK-0001',
      body,
      { correlationId: 'corr-1', envelopeVersion: '2' },
      ctx,
    );
    expect(r).toMatchObject({
      timestamp: '2024-01-15T10:30:46.000Z',
      event_type: 'audiohook_operational',
      event_time: '2024-01-15T10:30:45.123Z',
      correlation_id: 'corr-1',
      envelope_version: '2',
      dedupe_key: dedupeKey(
        'AUDIOHOOK-0001',
        '0f8f91f9-a27d-4ddf-9026-7e1e3a8d73a6',
        '34c18827-77a6-4970-ad66-6f2966c85bad',
        1705314645123,
      ),
      schema_valid: true,
    });
    expect(r.schema_issues).toBeUndefined();
  });

  it('fills timestamp from the event time when TIMESTAMP_SOURCE=event', () => {
    const r = buildRecord(
      't',
      body,
      { correlationId: null, envelopeVersion: null },
      { ...ctx, timestampSource: 'event' },
    );
    expect(r.timestamp).toBe('2024-01-15T10:30:45.123Z');
  });

  it('keeps an unknown shape with a flag and a content-based dedupe key', () => {
    const odd = { eventEntity: null, entityType: 'AudioHook', timestamp: 'later' };
    const r = buildRecord(
      'v2.operations.events.X',
      odd,
      { correlationId: null, envelopeVersion: null },
      ctx,
    );
    expect(r.schema_valid).toBe(false);
    expect(r.event_type).toBe('audiohook_operational'); // entityType matcher
    expect(r.event_id).toBeNull();
    expect(r.dedupe_key).toHaveLength(32);
    const again = buildRecord(
      'v2.operations.events.X',
      { timestamp: 'later', entityType: 'AudioHook', eventEntity: null },
      { correlationId: null, envelopeVersion: null },
      ctx,
    );
    expect(again.dedupe_key).toBe(r.dedupe_key);
  });

  it('applies the AudioHook matchers in the configured order only', () => {
    const byName = { eventEntity: { id: 'X-1', name: 'audiohook thing' } };
    expect(isAudioHookEvent(byName, 'v2.operations.events.X-1', ['id-prefix'])).toBe(false);
    expect(isAudioHookEvent(byName, 'v2.operations.events.X-1', ['name'])).toBe(true);
    expect(isAudioHookEvent({}, 'v2.operations.events.AUDIOHOOK-0009', ['topic'])).toBe(true);
    expect(
      isAudioHookEvent(
        { eventEntity: { id: 'TRANSCRIPTION-1' } },
        'v2.operations.events.TRANSCRIPTION-1',
        ['id-prefix', 'entity-type', 'name', 'topic'],
      ),
    ).toBe(false);
  });

  it('maps a history-query result to the same record and dedupe key as the live event', () => {
    const mapped = queryResultToBody(
      fixture('query-result.json'),
      new Map([
        [
          'AUDIOHOOK-0001',
          {
            name: 'AudioHook connection failure',
            description: 'The AudioHook client could not open a WebSocket to the server.',
          },
        ],
      ]),
    );
    if (!mapped) throw new Error('the fixture must map');
    expect(mapped.topic).toBe('v2.operations.events.AUDIOHOOK-0001');
    const fromQuery = buildRecord(
      mapped.topic,
      mapped.body,
      { correlationId: null, envelopeVersion: null },
      { ...ctx, source: 'backfill' },
    );
    const live = buildRecord(
      'v2.operations.events.AUDIOHOOK-0001',
      body,
      { correlationId: 'c', envelopeVersion: '2' },
      ctx,
    );
    expect(fromQuery.dedupe_key).toBe(live.dedupe_key);
    expect(fromQuery).toMatchObject({
      event_id: live.event_id,
      event_name: live.event_name,
      description: live.description,
      conversation_id: live.conversation_id,
      entity_id: live.entity_id,
      error_code: 'CONNECT_FAILED',
      parent_entity: live.parent_entity,
      version: '3',
      event_time: live.event_time,
      source: 'backfill',
    });
    expect(
      queryResultToBody({ eventDefinition: { id: 'A' }, dateCreated: 'not a date' }, new Map()),
    ).toBeUndefined();
  });

  it('stringifies objects with sorted keys', () => {
    expect(stableStringify({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });
});

describe('exceedsDepth', () => {
  it('measures nesting of objects and arrays against the limit', () => {
    expect(exceedsDepth({ a: { b: 1 } }, 2)).toBe(false);
    expect(exceedsDepth({ a: { b: 1 } }, 1)).toBe(true);
    expect(exceedsDepth({ a: [1, [2]] }, 2)).toBe(true);
    expect(exceedsDepth('text', 0)).toBe(false);
  });

  it('measures a body 100,000 levels deep without overflowing the stack', () => {
    const deep: unknown = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(exceedsDepth(deep, 64)).toBe(true);
  });
});

describe('DedupeWindow', () => {
  it('forgets keys outside the time window and beyond the size cap', () => {
    const w = new DedupeWindow({ windowMs: 1000, maxKeys: 3 });
    expect(w.checkAndAdd('a', 0)).toBe(true);
    expect(w.checkAndAdd('a', 500)).toBe(false);
    expect(w.checkAndAdd('a', 1501)).toBe(true);
    w.checkAndAdd('b', 1502);
    w.checkAndAdd('c', 1503);
    w.checkAndAdd('d', 1504);
    expect(w.size).toBe(3);
    expect(w.checkAndAdd('b', 1505)).toBe(false);
  });
});

describe('Backoff and Retry-After', () => {
  it('grows exponentially with jitter up to the cap, and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 1 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1000]);
    b.reset();
    const low = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    expect(low.next()).toBe(50);
  });

  it('reads Retry-After seconds or date, else inin-ratelimit-reset plus one second', () => {
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4000)).toBe(
      6000,
    );
    expect(retryAfterMs(new Headers({ 'inin-ratelimit-reset': '61' }))).toBe(62_000);
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
});

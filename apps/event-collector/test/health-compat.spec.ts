// The Python collector's `/health` fields (`topics`, `stats.*`) that monitors read, computed from
// the collector's real state, on a leader and on a standby, over real HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDynamo, TEST_AWS_ENV } from './dynamo';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { startCollector, type TestCollector, topicOf, waitFor } from './helpers';

interface Health {
  status: string;
  role: string;
  started_at: string;
  topics: string[];
  stats: {
    events_total: number;
    audiohook_events: number;
    errors: number;
    last_event: string | null;
    started_at: string;
    reconnects: number;
  };
  subscriptions: { permitted: string[] };
  counters: Record<'messages' | 'heartbeats' | 'events_written' | 'errors', number>;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const TRANSCRIPTION = 'v2.operations.events.TRANSCRIPTION-0001';

async function health(c: TestCollector): Promise<{ status: number; body: Health }> {
  const h = await c.http('/health');
  return { status: h.status, body: h.json as Health };
}

describe('/health keeps the Python collector fields: topics and stats', () => {
  let genesys: FakeGenesys;
  let c: TestCollector | undefined;

  beforeEach(async () => {
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 200 }).start();
  });
  afterEach(async () => {
    await c?.stop();
    c = undefined;
    await genesys.stop();
  });

  it('counts frames, AudioHook events, errors and reconnects (also to a new channel) from the real counters', async () => {
    c = await startCollector(genesys, {
      env: { TOPICS: `${topicOf()},${TRANSCRIPTION}`, WRITE_ALL_EVENTS: 'true' },
    });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const first = await health(c);
    expect(first.status).toBe(200);
    expect(first.body.topics).toEqual([topicOf(), TRANSCRIPTION]);
    expect(first.body.topics).toEqual(first.body.subscriptions.permitted);
    expect(first.body.stats).toMatchObject({
      audiohook_events: 0,
      errors: 0,
      last_event: null,
      reconnects: 0,
    });
    expect(first.body.stats.started_at).toMatch(ISO);
    expect(first.body.stats.started_at).toBe(first.body.started_at);

    const before = Date.now();
    genesys.publish(topicOf(), audioHookBody(1));
    genesys.publish(
      TRANSCRIPTION,
      audioHookBody(2, {
        eventEntity: { id: 'TRANSCRIPTION-0001', name: 'Transcription error', description: 'x' },
        entityType: 'transcription',
      }),
    );
    genesys.publish(topicOf(), audioHookBody(3));
    genesys.duplicateLast();
    await waitFor('three records', () => c?.records().length === 3);
    await waitFor('the duplicate', () => c?.collector.metrics.get('events_duplicate') === 1);
    const after = await health(c);
    // WRITE_ALL_EVENTS writes the transcription event too, but it is not an AudioHook event;
    // the duplicate is neither written nor counted.
    expect(after.body.counters.events_written).toBe(3);
    expect(after.body.stats.audiohook_events).toBe(2);
    // Every frame counts, heartbeats included, as in the Python collector.
    expect(after.body.stats.events_total).toBe(after.body.counters.messages);
    expect(after.body.stats.events_total).toBeGreaterThanOrEqual(
      4 + after.body.counters.heartbeats,
    );
    const last = after.body.stats.last_event;
    expect(last).toMatch(ISO);
    expect(Date.parse(last ?? '')).toBeGreaterThanOrEqual(before);
    expect(Date.parse(last ?? '')).toBeLessThanOrEqual(Date.now());

    // Genesys drops the channel (no_longer_subscribed): one failed create, then a new channel.
    // Both attempts after the drop are reconnects, and the failure is an error, as in Python.
    genesys.failNext('createChannel', { status: 500 });
    genesys.systemMessage('no_longer_subscribed');
    await waitFor(
      'a new channel',
      () => genesys.created.length === 2 && genesys.connectedChannels().length === 1,
    );
    const moved = await waitFor('receiving again', async () => {
      const h = await health(c as TestCollector);
      return h.status === 200 && h.body.topics.length === 2 && h;
    });
    expect(moved.body.stats.reconnects).toBe(2);
    expect(moved.body.stats.errors).toBe(1);
    expect(moved.body.stats.errors).toBe(moved.body.counters.errors);
    expect(moved.body.stats.audiohook_events).toBe(2);
    expect(moved.body.stats.last_event).toBe(last);
  });

  it('lists only the topics Genesys permitted, not the rejected ones', async () => {
    await genesys.stop();
    genesys = await new FakeGenesys({
      heartbeatIntervalMs: 200,
      rejectedTopics: {
        [topicOf('AUDIOHOOK-0099')]: { reason: 'Missing permissions', missingPermissions: [] },
      },
    }).start();
    c = await startCollector(genesys, { env: { TOPICS: 'AUDIOHOOK-0001,AUDIOHOOK-0099' } });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const h = await waitFor('receiving', async () => {
      const r = await health(c as TestCollector);
      return r.status === 200 && r;
    });
    expect(h.body.status).toBe('degraded');
    expect(h.body.topics).toEqual([topicOf()]);
  });
});

describe('/health stats on a standby (DynamoDB lease, dynalite)', () => {
  const TABLE = 'event-collector-lease';
  const saved = { ...process.env };
  let dynamo: LocalDynamo;
  let genesys: FakeGenesys;
  let dir: string;

  beforeAll(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    dynamo = await LocalDynamo.start();
    await dynamo.createTable(TABLE);
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 200 }).start();
    dir = mkdtempSync(join(tmpdir(), 'health-compat-'));
  });
  afterAll(async () => {
    await genesys.stop();
    await dynamo.stop();
    rmSync(dir, { recursive: true, force: true });
    process.env = saved;
  });

  it('the standby reports no topics and no events of its own; the leader counts what it wrote', async () => {
    const env = {
      ...TEST_AWS_ENV,
      LEASE_TABLE: TABLE,
      LEASE_NAME: 'health-compat',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      LEASE_DURATION_S: '3',
      LEASE_RENEW_S: '0.5',
      LEASE_POLL_S: '0.25',
    };
    const a = await startCollector(genesys, { dir, env });
    const b = await startCollector(genesys, { dir, env });
    try {
      await waitFor('a leads', () => a.collector.health().body.receiving, 20_000);
      genesys.publish(topicOf(), audioHookBody(1));
      genesys.publish(topicOf(), audioHookBody(2));
      await waitFor('two records', () => a.records().length === 2);

      const leader = await health(a);
      expect(leader.status).toBe(200);
      expect(leader.body.role).toBe('leader');
      expect(leader.body.topics).toEqual([topicOf('AUDIOHOOK-0001'), topicOf('AUDIOHOOK-0002')]);
      expect(leader.body.stats.audiohook_events).toBe(2);
      expect(leader.body.stats.events_total).toBeGreaterThanOrEqual(2);
      expect(leader.body.stats.last_event).toMatch(ISO);

      // 200 while it can read the lease (a DynamoDB hiccup shows as 503 until the next poll).
      const standby = await waitFor('b stands by', async () => {
        const h = await health(b);
        return h.status === 200 && h;
      });
      expect(standby.body.status).toBe('standby');
      expect(standby.body.topics).toEqual([]);
      expect(standby.body.stats).toEqual({
        events_total: 0,
        audiohook_events: 0,
        errors: 0,
        last_event: null,
        started_at: standby.body.started_at,
        reconnects: 0,
      });
    } finally {
      await b.stop();
      await a.stop();
    }
  }, 60_000);
});

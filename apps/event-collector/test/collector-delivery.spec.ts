import { FakeElastic } from './fakes/fake-elastic';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { fixture, startCollector, type TestCollector, topicOf, waitFor } from './helpers';

describe('collector: delivery against the fake Genesys', () => {
  let genesys: FakeGenesys;
  let elastic: FakeElastic;
  let c: TestCollector | undefined;

  beforeEach(async () => {
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 200 }).start();
    elastic = await new FakeElastic().start();
  });
  afterEach(async () => {
    await c?.stop();
    c = undefined;
    await genesys.stop();
    await elastic.stop();
  });

  it('logs in, creates a channel, subscribes with the array body and ignoreErrors, and writes one JSONL line and one ES doc per event', async () => {
    c = await startCollector(genesys, { elastic });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);

    const login = genesys.requestsTo('/oauth/token')[0];
    expect(login?.auth).toBe(`Basic ${Buffer.from('client-id:client-secret').toString('base64')}`);
    expect(login?.body).toBe('grant_type=client_credentials');
    const put = genesys.requestsTo(/\/subscriptions$/, 'PUT')[0];
    expect(put?.query).toBe('?ignoreErrors=true');
    // Discovery found the two AudioHook definitions (not the transcription one).
    expect(JSON.parse(put?.body ?? '')).toEqual([
      { id: topicOf('AUDIOHOOK-0001') },
      { id: topicOf('AUDIOHOOK-0002') },
    ]);

    const body = fixture<Record<string, unknown>>('operational-event-body.json');
    genesys.publish(topicOf(), body);
    const [record] = await waitFor('one record', () => {
      const r = c?.records() ?? [];
      return r.length === 1 && r;
    });
    expect(record).toMatchObject({
      event_type: 'audiohook_operational',
      event_id: 'AUDIOHOOK-0001',
      event_name: 'AudioHook connection failure',
      description: 'The AudioHook client could not open a WebSocket to the server.',
      conversation_id: '34c18827-77a6-4970-ad66-6f2966c85bad',
      entity_type: 'integration',
      entity_id: '0f8f91f9-a27d-4ddf-9026-7e1e3a8d73a6',
      entity_name: 'My AudioHook Monitor',
      version: '3',
      topic: topicOf(),
      raw_event: body,
      event_time: '2024-01-15T10:30:45.123Z',
      error_code: 'CONNECT_FAILED',
      previous_value: 'ok',
      current_value: 'error',
      parent_entity: '8a6c6f1e-2b1f-4c4e-9a57-1f0d8b1c2d3e',
      source: 'live',
      schema_valid: true,
    });
    expect(record?.['timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(record?.['correlation_id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(record?.['channel']).toMatch(/^ch_[0-9a-f]{12}$/);
    expect(Object.keys(record ?? {}).slice(0, 13)).toEqual([
      'timestamp',
      'event_type',
      'event_id',
      'event_name',
      'description',
      'conversation_id',
      'entity_type',
      'entity_id',
      'entity_name',
      'version',
      'topic',
      'channel',
      'raw_event',
    ]);

    const docs = await waitFor('one ES doc', () => {
      const d = elastic.index('genesys-audiohook');
      return d.size === 1 && d;
    });
    expect(docs.get(String(record?.['dedupe_key']))).toMatchObject({
      '@timestamp': '2024-01-15T10:30:45.123Z',
      event_id: 'AUDIOHOOK-0001',
    });
    expect(elastic.calls[0]?.actions).toEqual(['create']);
    expect(elastic.calls[0]?.body.endsWith('\n')).toBe(true);

    const health = await c.http('/health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({
      status: 'ok',
      receiving: true,
      subscriptions: {
        source: 'discovered',
        permitted: [topicOf('AUDIOHOOK-0001'), topicOf('AUDIOHOOK-0002')],
        rejected: [],
        websocketTransport: 'yes',
      },
      counters: { events_written: 1 },
    });
    const events = await c.http('/events');
    expect((events.json as { recent_events: unknown[] }).recent_events).toHaveLength(1);
    const metrics = await c.http('/metrics');
    expect(metrics.text).toContain('event_collector_events_written_total 1');
    expect(metrics.text).toContain('event_collector_connected 1');
  });

  it('counts heartbeats, non-AudioHook events and garbage frames without writing them or dropping the socket', async () => {
    c = await startCollector(genesys, {
      env: { TOPICS: `${topicOf()},v2.operations.events.TRANSCRIPTION-0001` },
    });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const channel = genesys.connectedChannels()[0];
    await waitFor('a heartbeat', () => (c?.collector.metrics.get('heartbeats') ?? 0) > 0);

    genesys.publish(
      'v2.operations.events.TRANSCRIPTION-0001',
      audioHookBody(1, {
        eventEntity: { id: 'TRANSCRIPTION-0001', name: 'Transcription error', description: 'x' },
        entityType: 'transcription',
      }),
    );
    for (const frame of fixture<string[]>('garbage-frames.json')) genesys.sendRaw(frame);
    genesys.sendRaw(Buffer.from([1, 2, 3]));
    genesys.publish(topicOf(), audioHookBody(2));

    await waitFor('the AudioHook events', () => (c?.records().length ?? 0) === 2);
    const m = c.collector.metrics;
    await waitFor('counted', () => m.get('malformed_messages') === 6);
    expect(m.get('events_filtered')).toBe(1);
    // An envelope whose body breaks the schema but whose topic is AudioHook is kept, flagged.
    expect(m.get('events_unknown_shape')).toBe(1);
    const records = c.records();
    expect(records.map((r) => r['schema_valid'])).toEqual([false, true]);
    expect(records[0]?.['schema_issues']).toEqual(
      expect.arrayContaining([expect.stringMatching(/^eventEntity/)]),
    );
    expect(genesys.connectedChannels()).toEqual([channel]);
    expect(m.get('reconnects')).toBe(0);
    expect(c.logs.has('skipped a malformed frame')).toBe(true);
  });

  it('skips an event body nested thousands of levels deep as malformed and keeps collecting', async () => {
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    // 5,000 levels (15 KB): deeper than JSON.stringify can write; it used to crash the process.
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    genesys.sendRaw(`{"topicName":"${topicOf()}","version":"2","eventBody":${deep}}`);
    genesys.publish(topicOf(), audioHookBody(1));

    await waitFor('the next event', () => (c?.records().length ?? 0) === 1);
    const m = c.collector.metrics;
    await waitFor('counted', () => m.get('malformed_messages') === 1);
    expect(m.get('events_written')).toBe(1);
    expect(m.get('reconnects')).toBe(0);
    expect(c.logs.has('skipped an event whose body nests too deep to be written as JSON')).toBe(
      true,
    );
  });

  it('reports a rejected topic on /health and in the logs while the others stay subscribed', async () => {
    await genesys.stop();
    genesys = await new FakeGenesys({
      heartbeatIntervalMs: 200,
      rejectedTopics: {
        [topicOf('AUDIOHOOK-0002')]: {
          reason: 'Missing permissions',
          missingPermissions: ['operations:events:view'],
        },
      },
    }).start();
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const health = await waitFor('health', async () => {
      const h = await c?.http('/health');
      return h?.status === 200 && h;
    });
    expect(health.json).toMatchObject({
      status: 'degraded',
      subscriptions: {
        permitted: [topicOf('AUDIOHOOK-0001')],
        rejected: [
          {
            id: topicOf('AUDIOHOOK-0002'),
            state: 'Rejected',
            reason: 'Missing permissions',
            missingPermissions: ['operations:events:view'],
          },
        ],
      },
    });
    expect(
      c.logs.lines.some(
        (l) =>
          l['msg'] === 'topic subscription rejected' && l['topic'] === topicOf('AUDIOHOOK-0002'),
      ),
    ).toBe(true);
    genesys.publish(topicOf(), audioHookBody(1));
    await waitFor('delivery on the permitted topic', () => (c?.records().length ?? 0) === 1);
  });

  it('answers 503 on /health when every topic is rejected (TOPICS is an override: no fallback)', async () => {
    await genesys.stop();
    genesys = await new FakeGenesys({
      heartbeatIntervalMs: 200,
      rejectedTopics: {
        [topicOf('AUDIOHOOK-0099')]: { reason: 'Missing permissions', missingPermissions: [] },
      },
    }).start();
    c = await startCollector(genesys, { env: { TOPICS: 'AUDIOHOOK-0099' } });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const h = await c.http('/health');
    expect(h.status).toBe(503);
    expect(h.json).toMatchObject({
      status: 'unhealthy',
      receiving: false,
      problems: expect.arrayContaining(['not subscribed to any topic']),
    });
  });

  it('pauses the socket when the write queue is full and still writes every event once', async () => {
    c = await startCollector(genesys, {
      env: { WRITE_QUEUE_MAX: '5', MAX_FILE_SIZE: '65536', BACKUP_COUNT: '100' },
    });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const bodies = Array.from({ length: 3000 }, (_, i) => audioHookBody(i));
    await genesys.publishMany(topicOf(), bodies, { chunk: 100 });
    await waitFor('all written', () => c?.collector.health().body.output.written === 3000, 20_000);
    expect(c.collector.metrics.get('events_duplicate')).toBe(0);
    expect(c.collector.metrics.get('reconnects')).toBe(0);
    expect(c.collector.metrics.get('file_rotations')).toBeGreaterThan(0);
    // /events is not fooled by rotation: the last 50 records, newest last.
    const events = (await c.http('/events')).json as {
      recent_events: { conversation_id: string }[];
    };
    expect(events.recent_events).toHaveLength(50);
    expect(events.recent_events.at(-1)?.conversation_id).toBe(
      audioHookBody(2999)['conversationId'],
    );
  });

  it('answers 404 for unknown paths and 405 for other methods on the status server', async () => {
    c = await startCollector(genesys);
    expect((await c.http('/nope')).status).toBe(404);
    const res = await fetch(`http://127.0.0.1:${c.collector.httpPort}/health`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
    await res.body?.cancel();
  });

  it('keeps working when its channel creation evicts one of 20 existing channels', async () => {
    const login = await fetch(`${genesys.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('client-id:client-secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const { access_token: token } = (await login.json()) as { access_token: string };
    for (let i = 0; i < 20; i += 1) {
      const r = await fetch(`${genesys.baseUrl}/api/v2/notifications/channels`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
      await r.body?.cancel();
    }
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    expect(genesys.channels.size).toBe(20);
    expect(genesys.channels.has(genesys.created[0] ?? '')).toBe(false);
    genesys.publish(topicOf(), audioHookBody(1));
    await waitFor('delivery', () => c?.records().length === 1);
  });

  it('never logs the client secret, the token or the channel connectUri', async () => {
    c = await startCollector(genesys, { env: { GENESYS_CLIENT_SECRET: 'client-secret' } });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.publish(topicOf(), audioHookBody(1));
    await waitFor('record', () => (c?.records().length ?? 0) === 1);
    // Error paths too: a failing HEAD on reconnect is logged and shown on /health.
    genesys.failNext('head', { status: 500 });
    genesys.dropConnections();
    await waitFor(
      'reconnected',
      () =>
        genesys.connectedChannels().length === 1 && (c?.collector.metrics.get('errors') ?? 0) > 0,
    );
    const health = (await c.http('/health')).text;
    const all = c.logs.raw.join('') + health;
    expect(all).toContain('/channels/{channelId}');
    expect(all).not.toContain('client-secret');
    for (const t of genesys.tokens.keys()) expect(all).not.toContain(t);
    for (const id of genesys.created) expect(all).not.toContain(id);
  });
});

import { audioHookBody, FakeGenesys, type FakeGenesysOptions } from './fakes/fake-genesys';
import {
  delay,
  publisher,
  startCollector,
  stopPublishers,
  type TestCollector,
  topicOf,
  waitFor,
} from './helpers';

/** Asserts that the file holds exactly the given conversation ids, each once. */
function expectExactlyOnce(c: TestCollector, ids: string[]): void {
  const got = c.records().map((r) => String(r['conversation_id']));
  expect(got.length).toBe(new Set(got).size);
  expect(new Set(got)).toEqual(new Set(ids));
}

describe('collector: reconnects, renewals and failures against the fake Genesys', () => {
  let genesys: FakeGenesys;
  let c: TestCollector | undefined;
  const start = async (o: FakeGenesysOptions = {}): Promise<void> => {
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 200, ...o }).start();
  };

  afterEach(async () => {
    stopPublishers();
    await c?.stop();
    c = undefined;
    await genesys.stop();
  });

  it('reconnects to the same channel after heartbeat silence, and /health is 503 meanwhile', async () => {
    await start();
    c = await startCollector(genesys, {
      env: {
        PING_INTERVAL_MS: '0',
        HEARTBEAT_TIMEOUT_MS: '800',
        RECONNECT_DELAY: '1',
        MAX_RECONNECT_DELAY: '2',
      },
    });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.stall();
    await waitFor(
      'health 503 during the stall',
      async () => (await c?.http('/health'))?.status === 503,
    );
    await waitFor(
      'reconnected',
      () =>
        (c?.collector.metrics.get('reconnects') ?? 0) >= 1 &&
        genesys.connectedChannels().length === 1,
    );
    expect(c.logs.has('no heartbeat or message within HEARTBEAT_TIMEOUT_MS')).toBe(true);
    expect(genesys.created).toHaveLength(1);
    genesys.publish(topicOf(), audioHookBody(1));
    await waitFor('delivery after reconnect', () => c?.records().length === 1);
    await waitFor('health 200 again', async () => (await c?.http('/health'))?.status === 200);
  });

  it('ends a silent socket whose ping got no pong before the heartbeat timeout', async () => {
    await start({ heartbeatIntervalMs: 60_000 });
    c = await startCollector(genesys, {
      env: { PING_INTERVAL_MS: '200', PONG_TIMEOUT_MS: '300', HEARTBEAT_TIMEOUT_MS: '20000' },
    });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    await waitFor('a pong', () => (c?.collector.metrics.get('pongs') ?? 0) >= 1);
    expect(genesys.clientFrames).toContain('{"message":"ping"}');
    genesys.respondToPing = false;
    await waitFor('pong timeout', () => c?.logs.has('ping got no pong'));
    genesys.respondToPing = true;
    await waitFor(
      'reconnected',
      () => genesys.connectedChannels().length === 1 && c?.collector.health().body.receiving,
    );
  });

  it('recovers events published during an abrupt drop (1006) through the backfill, without duplicates', async () => {
    await start();
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const ids: string[] = [];
    const pub = (n: number): void => {
      const body = audioHookBody(n);
      ids.push(String(body['conversationId']));
      genesys.publish(topicOf(), body);
    };
    for (let i = 0; i < 20; i += 1) pub(i);
    await waitFor('first 20', () => c?.records().length === 20);
    genesys.dropConnections();
    for (let i = 20; i < 40; i += 1) pub(i); // nobody is connected: only the history has these
    await waitFor('reconnected', () => genesys.connectedChannels().length === 1);
    for (let i = 40; i < 60; i += 1) pub(i);
    await waitFor('all 60', () => c?.records().length === 60);
    await delay(300);
    expectExactlyOnce(c, ids);
    expect(genesys.created).toHaveLength(1); // same channel, no new one
    expect(genesys.requestsTo(/^\/api\/v2\/notifications\/channels\/[^/]+$/, 'HEAD')).toHaveLength(
      1,
    );
    const backfilled = c.records().filter((r) => r['source'] === 'backfill');
    expect(backfilled.length).toBeGreaterThanOrEqual(20);
    // The margin around the gap re-reads events already received live: those are dropped.
    expect(c.collector.metrics.get('events_duplicate')).toBeGreaterThan(0);
  });

  it('drops a re-delivered event as a duplicate', async () => {
    await start();
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.publish(topicOf(), audioHookBody(7));
    genesys.duplicateLast();
    await waitFor('duplicate counted', () => c?.collector.metrics.get('events_duplicate') === 1);
    expect(c.records()).toHaveLength(1);
  });

  it('rolls over to an overlapping new channel on socket_closing and loses nothing published during the switch', async () => {
    await start({ closingGraceMs: 1500 });
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const first = genesys.connectedChannels()[0];
    const p = publisher(genesys, 5);
    await delay(200);
    genesys.socketClosing();
    await waitFor(
      'moved to a new channel',
      () => genesys.connectedChannels().length === 1 && genesys.connectedChannels()[0] !== first,
    );
    await delay(300);
    p.stop();
    await waitFor('all published events', () => c?.records().length === p.sent.length);
    await delay(200);
    expectExactlyOnce(c, p.sent);
    expect(genesys.created).toHaveLength(2);
    expect(c.collector.metrics.get('rollovers')).toBe(1);
    expect(JSON.parse(genesys.requestsTo(/\/subscriptions$/, 'PUT')[1]?.body ?? '[]')).toEqual([
      { id: topicOf('AUDIOHOOK-0001') },
      { id: topicOf('AUDIOHOOK-0002') },
    ]);
  });

  it('re-PUTs the subscriptions before the channel expires, keeping one channel', async () => {
    await start({ channelTtlMs: 2500 });
    c = await startCollector(genesys, { env: { CHANNEL_REFRESH_AGE_H: '0.0002' } }); // 0.72 s
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const p = publisher(genesys, 20);
    await waitFor(
      'three refreshes',
      () => (c?.collector.metrics.get('subscription_refreshes') ?? 0) >= 3,
      15_000,
    );
    p.stop();
    await waitFor('all published events', () => c?.records().length === p.sent.length);
    expectExactlyOnce(c, p.sent);
    expect(genesys.created).toHaveLength(1);
    expect(c.collector.metrics.get('reconnects')).toBe(0);
  });

  it('rolls over to a new channel when the subscription refresh fails', async () => {
    await start({ channelTtlMs: 60_000 });
    c = await startCollector(genesys, { env: { CHANNEL_REFRESH_AGE_H: '0.0002' } });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.failNext('subscribe', { status: 500 }, 1);
    const p = publisher(genesys, 10);
    await waitFor('rolled over', () => c?.collector.metrics.get('rollovers') === 1, 10_000);
    await delay(100);
    p.stop();
    await waitFor('all published events', () => c?.records().length === p.sent.length);
    expectExactlyOnce(c, p.sent);
    expect(c.logs.has('subscription refresh failed; rolling over to a new channel')).toBe(true);
  });

  it('switches the backfill off with a /health flag when the history query answers 403', async () => {
    await start({ queryForbidden: true });
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.dropConnections();
    await waitFor(
      'backfill disabled',
      () => c?.collector.health().body.backfill?.enabled === false,
    );
    expect(c.collector.health().body.backfill?.disabledReason).toContain('403');
    expect(c.logs.has('backfill switched off')).toBe(true);
  });

  it('creates a new channel with the subscriptions restored when the channel expired (HEAD 404)', async () => {
    await start();
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.expireChannels(1000);
    await waitFor(
      'a second channel',
      () => genesys.created.length === 2 && genesys.connectedChannels().length === 1,
    );
    const heads = genesys.requestsTo(/^\/api\/v2\/notifications\/channels\/[^/]+$/, 'HEAD');
    expect(heads.map((h) => h.status)).toEqual([404]);
    genesys.publish(topicOf(), audioHookBody(1));
    await waitFor('delivery on the new channel', () => c?.records().length === 1);
  });

  it('treats {"result":"404"}, no_longer_subscribed and token_revoked as "channel gone" and moves to a new channel', async () => {
    await start();
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.sendRaw('{"result":"404"}');
    await waitFor(
      'second channel',
      () => genesys.created.length === 2 && genesys.connectedChannels().length === 1,
    );
    genesys.systemMessage('no_longer_subscribed');
    await waitFor(
      'third channel',
      () => genesys.created.length === 3 && genesys.connectedChannels().length === 1,
    );
    const issued = genesys.tokensIssued;
    genesys.systemMessage('token_revoked', 'user_tokens_revoked');
    await waitFor(
      'fourth channel, with a new token',
      () => genesys.created.length === 4 && genesys.connectedChannels().length === 1,
    );
    expect(genesys.tokensIssued).toBe(issued + 1);
    genesys.publish(topicOf(), audioHookBody(1));
    await waitFor('delivery', () => c?.records().length === 1);
  });

  it('re-reads the definitions periodically and resubscribes when the AudioHook list changed', async () => {
    await start();
    c = await startCollector(genesys, { env: { DEFINITIONS_REFRESH_HOURS: '0.0002' } }); // 0.72 s
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.o.definitions.push({
      id: 'AUDIOHOOK-0003',
      name: 'AudioHook new event',
      description: 'd',
    });
    await waitFor('resubscribed with three topics', () => {
      const puts = genesys.requestsTo(/\/subscriptions$/, 'PUT');
      return (JSON.parse(puts.at(-1)?.body ?? '[]') as unknown[]).length === 3;
    });
    genesys.publish(
      topicOf('AUDIOHOOK-0003'),
      audioHookBody(1, { eventEntity: { id: 'AUDIOHOOK-0003', name: 'AudioHook new event' } }),
    );
    await waitFor('delivery on the new topic', () => c?.records().length === 1);
    expect(genesys.created).toHaveLength(1);
  });

  it('rolls over before the token that created the channel expires, losing nothing', async () => {
    await start({ tokenTtlS: 2 });
    c = await startCollector(genesys, { env: { TOKEN_REFRESH_MARGIN_S: '1' } });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const p = publisher(genesys, 10);
    await waitFor('two rollovers', () => (c?.collector.metrics.get('rollovers') ?? 0) >= 2, 15_000);
    p.stop();
    await waitFor('all published events', () => c?.records().length === p.sent.length);
    expectExactlyOnce(c, p.sent);
    expect(genesys.tokensIssued).toBeGreaterThanOrEqual(3);
  });

  it('refreshes the token once on a 401 and carries on', async () => {
    await start();
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const issued = genesys.tokensIssued;
    genesys.revokeTokens();
    genesys.expireChannels(1000); // forces REST calls with the revoked token
    await waitFor(
      'new channel',
      () => genesys.created.length === 2 && genesys.connectedChannels().length === 1,
    );
    expect(genesys.tokensIssued).toBe(issued + 1);
    expect(c.collector.metrics.get('auth_failures')).toBe(1);
    expect(c.logs.has('token rejected (401); refreshing')).toBe(true);
  });

  it('backs off after repeated login failures and reports them on /health', async () => {
    await start();
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.revokeTokens();
    genesys.failNext('login', { status: 401, body: { error: 'invalid_client' } }, 2);
    genesys.expireChannels(1000);
    await waitFor('auth failure on /health', async () => {
      const h = (await c?.http('/health'))?.json as
        { auth?: { ok: boolean }; problems?: string[] } | undefined;
      return (
        h?.auth?.ok === false && h.problems?.some((p) => p.startsWith('authentication failing'))
      );
    });
    await waitFor(
      'recovered',
      () => genesys.connectedChannels().length === 1 && c?.collector.health().body.auth.ok,
      15_000,
    );
    const logins = genesys.requestsTo('/oauth/token');
    // Two rejected logins, then one that worked: no tight loop against the login service.
    expect(logins.map((l) => l.status)).toEqual([200, 401, 401, 200]);
    const [, first, second, third] = logins.map((l) => l.at);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(900);
    expect((third ?? 0) - (second ?? 0)).toBeGreaterThanOrEqual(1800);
  });

  it('on socket_closing right after creating a channel, reconnects at once to the same channel and backfills the switch', async () => {
    await start({ closingGraceMs: 5000 });
    c = await startCollector(genesys, {
      env: { MIN_CHANNEL_CREATE_INTERVAL_S: '60', RECONNECT_DELAY: '2', MAX_RECONNECT_DELAY: '4' },
    });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const p = publisher(genesys, 5);
    await delay(100);
    genesys.socketClosing();
    await waitFor(
      'reconnected',
      () =>
        (c?.collector.metrics.get('reconnects') ?? 0) >= 1 &&
        genesys.connectedChannels().length === 1,
    );
    // Not the reconnect backoff: a planned switch goes at once.
    expect(c.logs.has('reconnecting after delay')).toBe(false);
    await delay(200);
    p.stop();
    await waitFor('all published events', () => c?.records().length === p.sent.length);
    expectExactlyOnce(c, p.sent);
    expect(genesys.created).toHaveLength(1);
  });

  it('waits for Retry-After on a 429 from channel creation instead of creating a channel storm', async () => {
    await start();
    genesys.failNext('createChannel', { status: 429, headers: { 'Retry-After': '1' } }, 2);
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1, 15_000);
    const creates = genesys.requestsTo('/api/v2/notifications/channels', 'POST');
    expect(creates.map((r) => r.status)).toEqual([429, 429, 200]);
    expect((creates[1]?.at ?? 0) - (creates[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect((creates[2]?.at ?? 0) - (creates[1]?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(genesys.created).toHaveLength(1);
    expect(c.collector.metrics.get('rate_limited')).toBe(2);
  });

  it('refuses a channel whose connectUri carries credentials or is not wss://, without logging it, and creates another', async () => {
    await start();
    for (const connectUri of [
      'wss://svc:hunter2@streaming.usw2.pure.cloud/channels/streaming-0-abc',
      'ws://streaming.usw2.pure.cloud/channels/streaming-0-abc',
    ]) {
      genesys.failNext('createChannel', {
        status: 200,
        body: {
          id: 'streaming-0-abc',
          connectUri,
          expires: new Date(Date.now() + 3_600_000).toISOString(),
        },
      });
    }
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1, 15_000);
    const creates = genesys.requestsTo('/api/v2/notifications/channels', 'POST');
    expect(creates).toHaveLength(3);
    const refusals = c.logs.lines.filter((l) =>
      JSON.stringify(l).includes('connectUri is not a wss:// URL without credentials'),
    );
    expect(refusals).toHaveLength(2);
    expect(c.logs.raw.join('')).not.toContain('hunter2');
    expect(c.logs.raw.join('')).not.toContain('streaming-0-abc');
  });

  it('re-subscribes the channel it already created when the first subscribe fails, instead of creating another', async () => {
    await start();
    genesys.failNext('subscribe', { status: 503 });
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    expect(genesys.created).toHaveLength(1);
    expect(genesys.requestsTo(/\/subscriptions$/, 'PUT').map((r) => r.status)).toEqual([503, 200]);
    genesys.publish(topicOf(), audioHookBody(1));
    await waitFor('delivery', () => c?.records().length === 1);
  });

  it('never creates channels faster than MIN_CHANNEL_CREATE_INTERVAL_S while a channel keeps vanishing', async () => {
    await start();
    c = await startCollector(genesys, { env: { MIN_CHANNEL_CREATE_INTERVAL_S: '1' } });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const t0 = Date.now();
    for (let i = 0; i < 3; i += 1) {
      genesys.expireChannels(1000);
      await waitFor('reconnected', () => genesys.connectedChannels().length === 1, 15_000);
    }
    expect(genesys.created).toHaveLength(4);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2900);
  });
});

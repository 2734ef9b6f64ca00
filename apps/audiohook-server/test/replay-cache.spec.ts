// Issue 14: the replay cache shared by every instance (REPLAY_CACHE_TABLE on DynamoDB, here
// dynalite), and a store outage failing closed.

import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { createAudioHookHeaders, nonceKey } from '@org/audiohook-protocol';
import { DynamoNonceStore } from '../src/lib/replay-store';
import { startLocalDynamo, type LocalDynamo } from './helpers/dynamo';
import { RawClient } from './helpers/raw-client';
import { SIGNED_KEY, SIGNED_SECRET, startTestServer, type TestServer } from './helpers/server';
import { until } from './helpers/wait';

// The SDK's default credential chain reads the environment (the app never handles credentials).
const savedEnv = { ...process.env };
beforeAll(() => {
  process.env['AWS_ACCESS_KEY_ID'] = 'test';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'test';
  delete process.env['AWS_PROFILE'];
});
afterAll(() => {
  process.env = savedEnv;
});

/** What a load balancer in front of every instance passes on as `Host`. */
const AUTHORITY = 'audiohook.example.com';

/** The upgrade headers of one signed request (to send once, or to replay). */
function signedRequest(): {
  sessionId: string;
  organizationId: string;
  headers: Record<string, string>;
} {
  const sessionId = randomUUID();
  const organizationId = randomUUID();
  const headers = createAudioHookHeaders({
    organizationId,
    sessionId,
    correlationId: randomUUID(),
    apiKey: SIGNED_KEY,
    clientSecret: SIGNED_SECRET,
    requestTarget: '/api/v1/audiohook/ws',
    authority: AUTHORITY,
  });
  return { sessionId, organizationId, headers: { ...headers, Host: AUTHORITY } };
}

/** Sends the request to `server`, opens, and returns `opened` or the `disconnect` info. */
async function tryOpen(
  server: TestServer,
  request: ReturnType<typeof signedRequest>,
): Promise<string> {
  const client = new RawClient({
    url: server.url(),
    sessionId: request.sessionId,
    organizationId: request.organizationId,
    headers: request.headers,
  });
  await client.opened;
  client.open();
  const message = await until(
    () => client.received.find((m) => m.type === 'opened' || m.type === 'disconnect'),
    'opened or disconnect',
    20_000,
  );
  await client.finish(message.type === 'opened' ? 'end' : 'disconnect');
  return message.type === 'opened' ? 'opened' : String(message.parameters['info']);
}

describe('DynamoNonceStore', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    await dynamo.createReplayTable('replay-unit');
  });
  afterAll(async () => {
    await dynamo.close();
  });

  it('lets exactly one of 20 concurrent claims of a key through, on any number of stores', async () => {
    const stores = [1, 2, 3].map(
      () => new DynamoNonceStore({ client: dynamo.client, table: 'replay-unit' }),
    );
    const key = nonceKey('api-key', randomUUID());
    const now = Date.now();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stores[i % 3]?.claim(key, now + 10_000, now)),
    );
    expect(results.filter((r) => r === true)).toHaveLength(1);
    const item = (await dynamo.items('replay-unit')).find((i) => i['pk']?.['S'] === `nonce#${key}`);
    expect(item?.['expiresAt']?.['N']).toBe(String(Math.ceil((now + 10_000) / 1000)));
  });

  it('lets a key be claimed again once its expiry has passed, before TTL deletes the item', async () => {
    const store = new DynamoNonceStore({ client: dynamo.client, table: 'replay-unit' });
    const key = nonceKey('api-key', randomUUID());
    const now = 1_800_000_000_000;
    expect(await store.claim(key, now + 5000, now)).toBe(true);
    expect(await store.claim(key, now + 5000, now + 4000)).toBe(false);
    expect(await store.claim(key, now + 5000, now + 5999)).toBe(false);
    expect(await store.claim(key, now + 20_000, now + 7000)).toBe(true);
  });

  it('throws (so the verifier fails closed) when the table does not exist', async () => {
    const store = new DynamoNonceStore({ client: dynamo.client, table: 'no-such-table' });
    await expect(store.claim('k', Date.now() + 1000, Date.now())).rejects.toMatchObject({
      code: 'AHS_ERR_REPLAY_STORE',
    });
  });
});

describe('three servers sharing one replay table', () => {
  let dynamo: LocalDynamo;
  let servers: TestServer[] = [];
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    await dynamo.createReplayTable('replay');
  });
  afterAll(async () => {
    await dynamo.close();
  });
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
  });

  const start = async (env: Record<string, string> = {}) => {
    const server = await startTestServer({
      REPLAY_CACHE_TABLE: 'replay',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      AUTH_FAILURE_DELAY_MS: '0',
      ...env,
    });
    servers.push(server);
    return server;
  };

  it('rejects on B and C a signed request that A accepted', async () => {
    const [a, b, c] = [await start(), await start(), await start()] as const;
    const request = signedRequest();
    expect(await tryOpen(a, request)).toBe('opened');
    expect(await tryOpen(b, request)).toBe('PRECONDITION: "nonce" was already used');
    expect(await tryOpen(c, request)).toBe('PRECONDITION: "nonce" was already used');
    expect(await tryOpen(a, request)).toBe('PRECONDITION: "nonce" was already used');
    // A fresh signature is accepted anywhere.
    expect(await tryOpen(c, signedRequest())).toBe('opened');
    const keys = (await dynamo.items('replay')).map((i) => i['pk']?.['S']);
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key).toMatch(/^nonce#[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(keys)).not.toContain(SIGNED_KEY);
  });

  it('records 300 signed sessions spread across the three, all into one shared folder', async () => {
    const shared = await mkdtemp(join(tmpdir(), 'ahs-shared-'));
    try {
      const env = { LOG_ROOT_DIR: shared, RECORDING_FLUSH_BYTES: '4096' };
      const trio = [await start(env), await start(env), await start(env)];
      const sent = new Map<string, Buffer>();
      const one = async (i: number) => {
        const server = trio[i % 3] as TestServer;
        const request = signedRequest();
        const client = new RawClient({
          url: server.url(),
          sessionId: request.sessionId,
          organizationId: request.organizationId,
          headers: request.headers,
        });
        await client.opened;
        client.open();
        await client.waitFor('opened', 20_000);
        const frames = Array.from({ length: 3 }, (_, k) =>
          new Uint8Array(1600).fill((i * 3 + k) & 0xff),
        );
        for (const frame of frames) client.sendRaw(frame);
        sent.set(request.sessionId, Buffer.concat(frames));
        await client.finish();
      };
      for (let i = 0; i < 300; i += 30) {
        await Promise.all(Array.from({ length: 30 }, (_, j) => one(i + j)));
      }
      await Promise.all(trio.map((server) => server.app.stop()));
      const names = await readdir(shared);
      const wavs = names.filter((n) => n.endsWith('.wav'));
      expect(wavs).toHaveLength(300);
      expect(names).toHaveLength(600); // and nothing else: every work folder removed
      const wrong: string[] = [];
      for (const name of wavs) {
        const sidecar = JSON.parse(
          await readFile(join(shared, name.replace('.wav', '.json')), 'utf8'),
        ) as { body: { type: string; data: { message?: { id?: string } } }[] };
        const sessionId = sidecar.body.find((e) => e.type === 'audiohook')?.data.message?.id ?? '';
        const data = parseWav(new Uint8Array(await readFile(join(shared, name)))).data;
        if (!Buffer.from(data).equals(sent.get(sessionId) ?? Buffer.alloc(0))) wrong.push(name);
      }
      expect(wrong).toEqual([]);
    } finally {
      await rm(shared, { recursive: true, force: true });
    }
  }, 180_000);

  it('fails closed when the table cannot be reached: the session is refused, logged and counted', async () => {
    const server = await start({
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
      REPLAY_CACHE_TIMEOUT_MS: '500',
    });
    expect(await tryOpen(server, signedRequest())).toBe(
      'UNAVAILABLE: the replay check could not be made',
    );
    const metrics = await server.app.metrics.registry.metrics();
    expect(metrics).toMatch(/audiohook_replay_store_errors_total 1\n/);
    expect(metrics).toMatch(/audiohook_auth_results_total\{code="UNAVAILABLE"\} 1\n/);
    expect(metrics).toMatch(
      /audiohook_disconnects_total\{reason="unauthorized",cause="auth_unavailable"\} 1\n/,
    );
    const line = server.log
      .lines()
      .find((l) => l['msg'] === 'replay cache unavailable: session refused (fail closed)');
    expect(line).toMatchObject({
      level: 'error',
      err: expect.stringContaining('replay cache table'),
    });
  });

  it('fails closed when the table does not exist', async () => {
    const server = await start({ REPLAY_CACHE_TABLE: 'missing-table' });
    expect(await tryOpen(server, signedRequest())).toBe(
      'UNAVAILABLE: the replay check could not be made',
    );
  });
});

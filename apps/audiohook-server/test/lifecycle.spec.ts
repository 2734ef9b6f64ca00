import { request } from 'node:http';
import { readdir, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { RawClient } from './helpers/raw-client';
import { startLocalS3, type LocalS3 } from './helpers/s3';
import { startSecretsManagerFake, type SecretsManagerFake } from './helpers/secrets-manager-fake';
import { startTestServer, UNSIGNED_KEY, type TestServer } from './helpers/server';

// The SDK's default credential chain reads the environment (the app never handles credentials).
const savedEnv = { ...process.env };
beforeAll(() => {
  process.env['AWS_ACCESS_KEY_ID'] = 'S3RVER';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'S3RVER';
  delete process.env['AWS_PROFILE'];
});
afterAll(() => {
  process.env = savedEnv;
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** An upgrade request with valid AudioHook headers that the WebSocket layer itself refuses. */
function badHandshake(port: number, header: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/api/v1/audiohook/ws',
      agent: false,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Audiohook-Organization-Id': randomUUID(),
        'Audiohook-Session-Id': randomUUID(),
        'Audiohook-Correlation-Id': randomUUID(),
        'X-API-KEY': UNSIGNED_KEY,
        ...header,
      },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('upgrade', () => reject(new Error('the bad handshake was upgraded')));
    req.on('error', reject);
    req.end();
  });
}

async function session(server: TestServer, apiKey = UNSIGNED_KEY): Promise<RawClient> {
  const client = new RawClient({ url: server.url(), apiKey });
  await client.opened;
  client.open();
  await client.waitFor('opened');
  return client;
}

describe('health and metrics', () => {
  let server: TestServer;
  afterEach(async () => {
    await server.stop();
  });

  it('reports healthy and counts sessions, audio and auth results', async () => {
    server = await startTestServer({ DRAIN_TIMEOUT_MS: '5000' });
    expect(await get(server.port, '/health/check')).toEqual({
      status: 200,
      body: '{"Http-Status":200,"Healthy":true}',
    });
    const client = await session(server);
    client.sendRaw(new Uint8Array(3200));
    client.send('ping');
    await client.waitFor('pong');
    const metrics = (await get(server.port, '/metrics')).body;
    expect(metrics).toMatch(/audiohook_sessions_active\{endpoint="audiohook"\} 1/);
    expect(metrics).toMatch(/audiohook_audio_bytes_total\{endpoint="audiohook"\} 3200/);
    expect(metrics).toMatch(/audiohook_auth_results_total\{code="UNSIGNED_KEY"\} 1/);
    expect(metrics).toMatch(/audiohook_open_latency_seconds_count\{endpoint="audiohook"\} 1/);
    expect(JSON.parse((await get(server.port, '/health')).body)).toMatchObject({
      status: 'running',
      sessions: 1,
    });

    const stopping = server.app.stop();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The open session keeps working while the server drains.
    client.send('ping');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.received.filter((m) => m.type === 'pong')).toHaveLength(2);
    expect(server.app.gateway.draining).toBe(true);
    await client.finish();
    await stopping;
    expect(
      await server.app.metrics.registry.getSingleMetricAsString('audiohook_sessions_total'),
    ).toMatch(/endpoint="audiohook",outcome="closed"\} 1/);
  });

  it('serves /health/check with 503 and refuses new sessions with 503 while draining', async () => {
    server = await startTestServer({ DRAIN_TIMEOUT_MS: '5000' });
    const client = await session(server);
    const stopping = server.app.stop();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await get(server.port, '/health/check')).toEqual({
      status: 503,
      body: '{"Http-Status":503,"Healthy":false}',
    });
    expect(JSON.parse((await get(server.port, '/health')).body)).toMatchObject({
      status: 'draining',
      sessions: 1,
    });
    const late = new RawClient({ url: server.url(), apiKey: UNSIGNED_KEY });
    await expect(late.opened).rejects.toThrow(/HTTP 503/);
    await client.finish();
    await stopping;
  });

  it('gives back the admission slot of a handshake the WebSocket layer refuses', async () => {
    server = await startTestServer({ MAX_SESSIONS: '3', DRAIN_TIMEOUT_MS: '5000' });
    for (let i = 0; i < 6; i++) {
      const bad =
        i % 2 === 0 ? { 'Sec-WebSocket-Version': '99' } : { 'Sec-WebSocket-Key': 'short' };
      expect(await badHandshake(server.port, bad)).toBe(400);
    }
    const client = await session(server);
    await client.finish();
  });

  it('disconnects sessions that outlive the drain deadline, properly', async () => {
    server = await startTestServer({ DRAIN_TIMEOUT_MS: '100' }, { disconnectGraceMs: 2000 });
    const client = await session(server);
    const stopping = server.app.stop();
    const disconnect = await client.waitFor('disconnect');
    expect(disconnect.parameters).toEqual({ reason: 'completed', info: 'Server shutting down' });
    await client.finish('disconnect');
    await stopping;
    expect(client.received.map((m) => m.type)).toEqual(['opened', 'disconnect', 'closed']);
  });
});

describe('authentication without signatures', () => {
  let server: TestServer;
  afterEach(async () => {
    await server.stop();
  });

  it('session strategy: an unknown key gets disconnect unauthorized after the uniform delay', async () => {
    server = await startTestServer({ AUTH_FAILURE_DELAY_MS: '300' });
    const client = new RawClient({ url: server.url(), apiKey: 'who-is-this' });
    await client.opened;
    const started = Date.now();
    client.open();
    const disconnect = await client.waitFor('disconnect');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(disconnect.parameters['reason']).toBe('unauthorized');
    expect(String(disconnect.parameters['info'])).toMatch(/^UNSIGNED: /);
    expect(client.received.some((m) => m.type === 'opened')).toBe(false);
    await client.finish('disconnect');
    expect(
      await server.app.metrics.registry.getSingleMetricAsString('audiohook_auth_results_total'),
    ).toMatch(/code="UNKNOWN_KEY"\} 1/);
  });

  it('request strategy: an unknown or missing key gets HTTP 401 and no upgrade', async () => {
    server = await startTestServer({ SESSION_AUTH_STRATEGY: 'request' });
    const unknown = new RawClient({ url: server.url(), apiKey: 'who-is-this' });
    await expect(unknown.opened).rejects.toThrow(/HTTP 401/);
    const missing = new RawClient({ url: server.url() });
    await expect(missing.opened).rejects.toThrow(/HTTP 401/);
    const ok = await session(server);
    await ok.finish();
  });

  it('checks the organization id header against open.organizationId', async () => {
    server = await startTestServer();
    const client = new RawClient({ url: server.url(), apiKey: UNSIGNED_KEY });
    await client.opened;
    client.open({ organizationId: '11111111-1111-4111-8111-111111111111' });
    const disconnect = await client.waitFor('disconnect');
    expect(disconnect.parameters['reason']).toBe('unauthorized');
    expect(String(disconnect.parameters['info'])).toMatch(/organizationId/);
    await client.finish('disconnect');
  });
});

describe('API keys from Secrets Manager', () => {
  let fake: SecretsManagerFake;
  let server: TestServer;
  beforeEach(async () => {
    fake = await startSecretsManagerFake();
  });
  afterEach(async () => {
    await server.stop();
    await fake.close();
  });

  it('accepts a key that exists only in the secret, read through the SDK endpoint override', async () => {
    fake.secrets.set('audiohook/keys', JSON.stringify({ 'from-secret': null }));
    server = await startTestServer({
      SECRET_NAME_OR_ARN: 'audiohook/keys',
      SECRETS_MANAGER_ENDPOINT: fake.endpoint,
    });
    const client = await session(server, 'from-secret');
    await client.finish();
    expect(fake.calls).toBe(1);
  });
});

describe('S3 upload', () => {
  let s3: LocalS3;
  let server: TestServer;
  beforeAll(async () => {
    s3 = await startLocalS3();
  });
  afterAll(async () => {
    await s3.close();
  });
  afterEach(async () => {
    await server.stop();
  });

  const s3Env = (endpoint: string) => ({
    RECORDING_S3_BUCKET: s3.bucket,
    RECORDING_S3_PREFIX: 'e2e/',
    S3_ENDPOINT: endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    UPLOAD_ATTEMPTS: '2',
    UPLOAD_RETRY_BASE_MS: '10',
  });

  it('moves both files to YYYY-MM-DD/<uuid>.{wav,json} at session end and deletes them locally', async () => {
    server = await startTestServer(s3Env(s3.endpoint));
    const client = await session(server);
    client.sendRaw(new Uint8Array(3200).fill(7));
    await client.finish();
    await server.app.stop();
    expect(await readdir(server.directory)).toEqual([]);
    const keys = (await s3.keys()).filter((k) => k.startsWith('e2e/'));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^e2e\/\d{4}-\d{2}-\d{2}\/[0-9a-f-]{36}\.json$/);
    const wav = await s3.get(keys[1] as string);
    expect(wav.length).toBe(44 + 3200);
  });

  it('keeps the files when the upload fails and uploads them at the next start', async () => {
    server = await startTestServer(s3Env('http://127.0.0.1:9'));
    const client = await session(server);
    client.sendRaw(new Uint8Array(3200).fill(7));
    await client.finish();
    await server.app.stop();
    const kept = await readdir(server.directory);
    expect(kept).toHaveLength(2);
    // A crash-truncated sidecar from an even earlier run is repaired and uploaded too.
    await writeFile(
      join(server.directory, '99999999-9999-4999-8999-999999999999.json'),
      '{"header":{"timestamp":"2026-01-02T03:04:05.000Z","id":"x"},"body":[\n{"timestamp":"PT0S","type":"httpInfo","data":{}}',
    );
    const next = await startTestServer({ ...s3Env(s3.endpoint), LOG_ROOT_DIR: server.directory });
    const result = await next.app.sweep;
    expect(result).toMatchObject({ found: 2, stored: 2, failed: 0 });
    await next.app.stop();
    expect(await readdir(server.directory)).toEqual([]);
    const keys = (await s3.keys()).filter((k) => k.startsWith('e2e/'));
    expect(keys).toEqual(
      expect.arrayContaining([
        'e2e/2026-01-02/99999999-9999-4999-8999-999999999999.json',
        ...kept.map((name) => expect.stringContaining(name)),
      ]),
    );
    await next.stop();
  });
});

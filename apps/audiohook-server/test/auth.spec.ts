import { randomUUID } from 'node:crypto';
import { createAudioHookHeaders } from '@org/audiohook-protocol';
import { RawClient } from './helpers/raw-client';
import {
  SIGNED_KEY,
  SIGNED_SECRET,
  startTestServer,
  UNSIGNED_KEY,
  type TestServer,
} from './helpers/server';
import { until } from './helpers/wait';

let server: TestServer;
afterEach(async () => {
  await server.stop();
});

function signedClient(
  apiKey: string,
  secret: string | null,
  extra: { created?: number; headers?: Record<string, string> } = {},
): RawClient {
  const sessionId = randomUUID();
  const organizationId = randomUUID();
  const correlationId = randomUUID();
  const headers = createAudioHookHeaders({
    organizationId,
    sessionId,
    correlationId,
    apiKey,
    clientSecret: secret,
    requestTarget: '/api/v1/audiohook/ws',
    authority: `127.0.0.1:${server.port}`,
    ...(extra.created === undefined ? {} : { created: extra.created }),
  });
  return new RawClient({
    url: server.url(),
    sessionId,
    organizationId,
    correlationId,
    headers: { ...headers, ...extra.headers },
  });
}

async function outcome(client: RawClient): Promise<{ type: string; info?: string }> {
  await client.opened;
  client.open();
  const message = await until(
    () => client.received.find((m) => m.type === 'opened' || m.type === 'disconnect'),
    'opened or disconnect',
    20_000,
  );
  await client.finish(message.type === 'opened' ? 'end' : 'disconnect');
  const info = message.parameters['info'];
  return typeof info === 'string' ? { type: message.type, info } : { type: message.type };
}

describe('session strategy', () => {
  beforeEach(async () => {
    server = await startTestServer();
  });

  it('opens a correctly signed session', async () => {
    expect(await outcome(signedClient(SIGNED_KEY, SIGNED_SECRET))).toEqual({ type: 'opened' });
  });

  it('refuses a wrong secret with disconnect unauthorized FAILED', async () => {
    const wrong = Buffer.from('another secret of thirty-two b!!').toString('base64');
    expect(await outcome(signedClient(SIGNED_KEY, wrong))).toEqual({
      type: 'disconnect',
      info: 'FAILED: Signatures do not match',
    });
  });

  it('refuses an unknown key, signed or not', async () => {
    expect((await outcome(signedClient('nobody', SIGNED_SECRET))).type).toBe('disconnect');
    expect((await outcome(signedClient('nobody', null))).type).toBe('disconnect');
  });

  it('accepts an unsigned key with an empty secret, and refuses an unsigned request for a signed key', async () => {
    expect(await outcome(signedClient(UNSIGNED_KEY, null))).toEqual({ type: 'opened' });
    const unsigned = await outcome(signedClient(SIGNED_KEY, null));
    expect(unsigned.type).toBe('disconnect');
    expect(unsigned.info).toMatch(/^UNSIGNED: /);
  });

  it('refuses an expired signature', async () => {
    const old = await outcome(
      signedClient(SIGNED_KEY, SIGNED_SECRET, { created: Math.floor(Date.now() / 1000) - 3600 }),
    );
    expect(old.info).toMatch(/^EXPIRED: /);
  });

  it('accepts a signature a few seconds old (the reference would not)', async () => {
    const created = Math.floor(Date.now() / 1000) - 8;
    expect(await outcome(signedClient(SIGNED_KEY, SIGNED_SECRET, { created }))).toEqual({
      type: 'opened',
    });
  });
});

describe('request strategy', () => {
  beforeEach(async () => {
    server = await startTestServer({ SESSION_AUTH_STRATEGY: 'request' });
  });

  it('upgrades a signed request and answers a bad one with HTTP 401', async () => {
    expect(await outcome(signedClient(SIGNED_KEY, SIGNED_SECRET))).toEqual({ type: 'opened' });
    const wrong = signedClient(SIGNED_KEY, Buffer.from('x'.repeat(32)).toString('base64'));
    await expect(wrong.opened).rejects.toThrow(/HTTP 401/);
  });

  it('refuses an exact replay of a captured upgrade request', async () => {
    const sessionId = randomUUID();
    const organizationId = randomUUID();
    const correlationId = randomUUID();
    const headers = createAudioHookHeaders({
      organizationId,
      sessionId,
      correlationId,
      apiKey: SIGNED_KEY,
      clientSecret: SIGNED_SECRET,
      requestTarget: '/api/v1/audiohook/ws',
      authority: `127.0.0.1:${server.port}`,
    });
    const make = () =>
      new RawClient({ url: server.url(), sessionId, organizationId, correlationId, headers });
    expect(await outcome(make())).toEqual({ type: 'opened' });
    await expect(make().opened).rejects.toThrow(/HTTP 401/);
  });
});

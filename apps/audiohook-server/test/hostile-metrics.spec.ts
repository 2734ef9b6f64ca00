// Issue 15 item 1: unauthenticated clients must not be able to grow /metrics, nor make the
// server echo their text back at length.

import { randomBytes, randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { RawClient } from './helpers/raw-client';
import { SIGNED_KEY, startTestServer, UNSIGNED_KEY, type TestServer } from './helpers/server';
import { until } from './helpers/wait';

let server: TestServer;
afterEach(async () => {
  await server.stop();
});

function getText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Series (sample lines) on /metrics and the body size. */
async function scrape(port: number): Promise<{ series: number; bytes: number; body: string }> {
  const body = await getText(port, '/metrics');
  const series = body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
  return { series, bytes: Buffer.byteLength(body), body };
}

/** Scrapes once every session has ended (its recording finished and counted). */
function settled(port: number): ReturnType<typeof scrape> {
  return until(async () => {
    const scraped = await scrape(port);
    return scraped.body.includes('audiohook_sessions_active{endpoint="audiohook"} 0') && scraped;
  }, 'every session to end');
}

/** A signature input naming a header the request does not have: a made-up component. */
function madeUpSignatureInput(component: string): string {
  const created = Math.floor(Date.now() / 1000);
  return (
    `sig1=("@request-target" "@authority" "audiohook-organization-id" "audiohook-session-id" ` +
    `"audiohook-correlation-id" "x-api-key" "${component}");keyid="${SIGNED_KEY}";` +
    `nonce="${randomBytes(16).toString('base64url')}";alg="hmac-sha256";created=${created};expires=${created + 5}`
  );
}

/** Connects with a made-up signature, sends open, and returns the `disconnect` it gets. */
async function attack(component: string): Promise<Record<string, unknown>> {
  const client = new RawClient({
    url: server.url(),
    apiKey: SIGNED_KEY,
    headers: {
      'Signature-Input': madeUpSignatureInput(component),
      Signature: `sig1=:${randomBytes(32).toString('base64')}:`,
    },
  });
  await client.opened;
  client.open();
  const disconnect = await client.waitFor('disconnect', 10_000);
  await client.finish('disconnect');
  return disconnect.parameters;
}

describe('hostile signature inputs', () => {
  it('keep the /metrics series count and size fixed over 2,000 made-up Signature-Input values', async () => {
    server = await startTestServer({ AUTH_FAILURE_DELAY_MS: '0' });
    const batch = async (from: number, to: number, width = 25) => {
      for (let i = from; i < to; i += width) {
        await Promise.all(
          Array.from({ length: Math.min(width, to - i) }, (_, j) =>
            attack(`x-made-up-${i + j}-${randomUUID()}`),
          ),
        );
      }
    };
    // Warm up: every series this attack can create exists after the first few sessions.
    await batch(0, 50);
    const before = await scrape(server.port);
    await batch(50, 2000);
    const after = await scrape(server.port);
    expect(after.series).toBe(before.series);
    // Only counter values change (a few more digits), never the label sets.
    expect(after.bytes - before.bytes).toBeLessThan(64);
    expect(after.body).toMatch(
      /audiohook_disconnects_total\{reason="unauthorized",cause="auth_precondition"\} 2000/,
    );
    expect(after.body).not.toContain('x-made-up');
  }, 300_000);

  it('keep the series count fixed over made-up message types, paths and bad frames of accepted sessions', async () => {
    server = await startTestServer({ AUTH_FAILURE_DELAY_MS: '0' });
    const misbehave = async (i: number) => {
      const client = new RawClient({ url: server.url(), apiKey: UNSIGNED_KEY });
      await client.opened;
      client.open();
      await client.waitFor('opened');
      if (i % 3 === 0) client.send(`made-up-type-${randomUUID()}`);
      else if (i % 3 === 1) client.sendRaw(`{"not": "an audiohook message ${randomUUID()}"`);
      else client.sendRaw(new Uint8Array(3 + 2 * (i % 4))); // not whole stereo frames
      await client.waitFor('disconnect');
      await client.finish('disconnect');
    };
    const run = async (from: number, to: number) => {
      for (let i = from; i < to; i += 10) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => misbehave(i + j)));
      }
    };
    await run(0, 30);
    const before = await settled(server.port);
    await run(30, 300);
    // Unknown paths are refused before any session exists; they must not count either.
    for (let i = 0; i < 20; i++) {
      const stray = new RawClient({ url: server.url(`/made/up/${randomUUID()}`) });
      await expect(stray.opened).rejects.toThrow(/HTTP 404/);
    }
    const after = await settled(server.port);
    expect(after.series).toBe(before.series);
    expect(after.body).not.toMatch(/made-up|made\/up|not an audiohook/);
  }, 120_000);

  it('answers an 8 KB made-up component with a short, printable disconnect info', async () => {
    server = await startTestServer({ AUTH_FAILURE_DELAY_MS: '0' });
    const huge = `x-${'a'.repeat(8 * 1024)}`;
    const parameters = await attack(huge);
    expect(parameters['reason']).toBe('unauthorized');
    const info = String(parameters['info']);
    expect(info).toMatch(/^PRECONDITION: Cannot resolve reference "x-a+/);
    expect(info.length).toBeLessThanOrEqual(160);
    expect(info).toMatch(/^[\x20-\x7e…]*$/);
    // The server's own log does not carry it either.
    expect(server.log.text()).not.toContain('a'.repeat(200));
  });
});

// Issue 15 items 3 and 4: a client cannot grow a recording's JSON sidecar without bound, and the
// sidecar never holds the API key (not even as the keyid of the signature input).

import { randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
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

interface Sidecar {
  header: { id: string };
  body: { type: string; data: Record<string, unknown> }[];
}

let server: TestServer;
afterEach(async () => {
  await server.stop();
});

async function onlySidecar(): Promise<{ path: string; text: string; json: Sidecar }> {
  const name = (await readdir(server.directory)).find((f) => f.endsWith('.json'));
  if (name === undefined) throw new Error('no sidecar');
  const path = join(server.directory, name);
  const text = await readFile(path, 'utf8');
  return { path, text, json: JSON.parse(text) as Sidecar };
}

const messageType = (e: Sidecar['body'][number]) =>
  (e.data['message'] as { type?: string } | undefined)?.type;

describe('the sidecar', () => {
  it('stays bounded under 20,000 pings: the first 1,000 in full, the rest summarised in end', async () => {
    server = await startTestServer();
    const client = new RawClient({ url: server.url(), apiKey: UNSIGNED_KEY });
    await client.opened;
    client.open();
    await client.waitFor('opened');
    const PINGS = 20_000;
    for (let i = 0; i < PINGS; i++) {
      client.send('ping', { rtt: `PT0.0${(i % 9) + 1}S` }, 'PT0S');
      // Let the server answer now and then instead of queueing everything at once.
      if (i % 500 === 499) {
        const seq = client.seq;
        await until(
          () => client.received.some((m) => m.type === 'pong' && m.clientseq === seq),
          `pong ${seq}`,
        );
        client.received.length = 0;
      }
    }
    await client.finish();
    await server.app.stop();
    const { path, json } = await onlySidecar();
    const size = (await stat(path)).size;
    // 20,000 pings wrote an 8.3 MB sidecar before; 1,000 exchanges take about 400 KB.
    expect(size).toBeLessThan(600_000);
    const pings = json.body.filter((e) => e.type === 'audiohook' && messageType(e) === 'ping');
    const pongs = json.body.filter((e) => e.type === 'audiohook' && messageType(e) === 'pong');
    const stats = json.body.filter((e) => e.type === 'statistics');
    expect([pings.length, pongs.length, stats.length]).toEqual([1000, 1000, 1000]);
    const end = json.body.at(-1);
    expect(end?.type).toBe('end');
    expect(end?.data).toEqual({
      pingsOmitted: 19_000,
      rtt: {
        count: 20_000,
        min: 'PT0.01S',
        max: 'PT0.09S',
        mean: expect.stringMatching(/^PT0\.0\d+S$/),
      },
    });
  }, 120_000);

  it('never holds the API key: x-api-key and the keyid of Signature-Input are redacted', async () => {
    server = await startTestServer();
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
    const client = new RawClient({
      url: server.url(),
      sessionId,
      organizationId,
      correlationId,
      headers,
    });
    await client.opened;
    client.open();
    await client.waitFor('opened');
    await client.finish();
    await server.app.stop();
    const { text, json } = await onlySidecar();
    expect(text).not.toContain(SIGNED_KEY);
    const http = json.body.find((e) => e.type === 'httpInfo')?.data as {
      headers: Record<string, string>;
    };
    expect(http.headers['x-api-key']).toBe('[redacted]');
    expect(http.headers['signature-input']).toMatch(/;keyid="\[redacted\]";/);
    expect(http.headers['signature-input']).toMatch(/^sig1=\("@request-target" /);
    // And the server's own log does not carry it either.
    expect(server.log.text()).not.toContain(SIGNED_KEY);
  });
});

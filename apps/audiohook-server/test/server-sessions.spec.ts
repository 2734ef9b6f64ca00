import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { RawClient, MONO_PCMU, STEREO_PCMU } from './helpers/raw-client';
import { startTestServer, UNSIGNED_KEY, type TestServer } from './helpers/server';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer({ DRAIN_TIMEOUT_MS: '1000' }, { disconnectGraceMs: 500 });
});
afterEach(async () => {
  await server.stop();
});

async function connect(options: { apiKey?: string; path?: string } = {}): Promise<RawClient> {
  const client = new RawClient({
    url: server.url(options.path),
    apiKey: options.apiKey ?? UNSIGNED_KEY,
  });
  await client.opened;
  return client;
}

async function recordings(): Promise<string[]> {
  await server.app.stop();
  return (await readdir(server.directory)).sort();
}

function frames(count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) =>
    Uint8Array.from({ length: size }, (_, j) => (i * 31 + j * 7) & 0xff),
  );
}

describe('the audiohook endpoint', () => {
  it('opens with the first offered media echoed exactly and answers ping with pong', async () => {
    const client = await connect();
    const openSeq = client.open();
    const opened = await client.waitFor('opened');
    expect(opened.clientseq).toBe(openSeq);
    expect(opened.parameters['media']).toEqual([STEREO_PCMU]);
    const pingSeq = client.send('ping', { rtt: 'PT0.012S' }, 'PT0.2S');
    const pong = await client.waitFor('pong');
    expect(pong.clientseq).toBe(pingSeq);
    await client.finish();
  });

  it('records the audio exactly as sent, with a sidecar of every message', async () => {
    const client = await connect();
    client.open();
    await client.waitFor('opened');
    const sent = frames(5, 3200);
    for (const frame of sent) client.sendRaw(frame);
    client.send('ping', { rtt: 'PT0.02S' }, 'PT1S');
    await client.waitFor('pong');
    await client.finish();
    const files = await recordings();
    expect(files).toHaveLength(2);
    const wavName = files.find((f) => f.endsWith('.wav')) as string;
    const wav = parseWav(new Uint8Array(await readFile(join(server.directory, wavName))));
    expect(wav.format).toEqual({ encoding: 'ulaw', sampleRate: 8000, channels: 2 });
    expect(Buffer.from(wav.data).equals(Buffer.concat(sent))).toBe(true);
    const json = JSON.parse(
      await readFile(join(server.directory, wavName.replace('.wav', '.json')), 'utf8'),
    ) as { header: { id: string }; body: { type: string; data: Record<string, unknown> }[] };
    expect(json.header.id).toBe(wavName.replace('.wav', ''));
    const types = json.body.map((e) => e.type);
    expect(types[0]).toBe('httpInfo');
    expect(types.at(-1)).toBe('end');
    expect(types).toContain('statistics');
    expect(types).toContain('logger');
    const messages = json.body
      .filter((e) => e.type === 'audiohook')
      .map(
        (e) => `${String(e.data['dir'])}:${String((e.data['message'] as { type: string }).type)}`,
      );
    expect(messages).toEqual(
      expect.arrayContaining([
        'in:open',
        'out:opened',
        'in:ping',
        'out:pong',
        'in:close',
        'out:closed',
      ]),
    );
    const httpInfo = json.body[0]?.data as { headers: Record<string, string> };
    expect(httpInfo.headers['x-api-key']).toBe('[redacted]');
  });

  it('does not record a connection probe', async () => {
    const client = await connect();
    client.open({
      conversationId: '00000000-0000-0000-0000-000000000000',
      participant: { id: '00000000-0000-0000-0000-000000000000', ani: '', aniName: '', dnis: '' },
    });
    expect((await client.waitFor('opened')).parameters['media']).toEqual([STEREO_PCMU]);
    await client.finish();
    expect(await recordings()).toEqual([]);
  });

  it('keeps recording across pause and resume without filling the gap', async () => {
    const client = await connect();
    client.open({ media: [MONO_PCMU] });
    await client.waitFor('opened');
    client.sendRaw(new Uint8Array(1600).fill(1));
    client.send('paused', {}, 'PT0.2S');
    client.send('paused', {}, 'PT0.2S'); // the reference client sends it twice
    client.send('resumed', { start: 'PT0.2S', discarded: 'PT1S' }, 'PT1.2S');
    client.sendRaw(new Uint8Array(1600).fill(2));
    client.send('ping', {}, 'PT1.4S');
    await client.waitFor('pong');
    await client.finish();
    const wavName = (await recordings()).find((f) => f.endsWith('.wav')) as string;
    const wav = parseWav(new Uint8Array(await readFile(join(server.directory, wavName))));
    expect(wav.frames).toBe(3200);
    expect(wav.data[0]).toBe(1);
    expect(wav.data[3199]).toBe(2);
  });

  it('leaves a finalized WAV and sidecar when the client vanishes mid-stream', async () => {
    const client = await connect();
    client.open();
    await client.waitFor('opened');
    for (const frame of frames(3, 3200)) client.sendRaw(frame);
    client.send('ping', {}, 'PT0.6S');
    await client.waitFor('pong');
    client.socket.terminate();
    await client.closed;
    const files = await recordings();
    const wavName = files.find((f) => f.endsWith('.wav')) as string;
    const wav = parseWav(new Uint8Array(await readFile(join(server.directory, wavName))));
    expect(wav.frames).toBe(4800);
    expect(wav.recovered).toBe(false);
    const json = JSON.parse(
      await readFile(join(server.directory, wavName.replace('.wav', '.json')), 'utf8'),
    ) as { body: { type: string }[] };
    expect(json.body.at(-1)?.type).toBe('end');
  });
});

describe('recording failures', () => {
  it('keeps the session going when the recording cannot be written', async () => {
    const { rm, writeFile } = await import('node:fs/promises');
    await rm(server.directory, { recursive: true, force: true });
    await writeFile(server.directory, 'not a directory');
    const client = await connect();
    client.open();
    await client.waitFor('opened');
    client.sendRaw(new Uint8Array(3200));
    client.send('ping', {}, 'PT0.2S');
    await client.waitFor('pong');
    await client.finish();
    await server.app.stop();
    const metrics = await server.app.metrics.registry.getSingleMetricAsString(
      'audiohook_recording_errors_total',
    );
    expect(metrics).toMatch(/stage="start"\} 1/);
    await rm(server.directory, { force: true });
  });
});

describe('protocol errors', () => {
  async function expectDisconnect(client: RawClient, info: RegExp): Promise<void> {
    const disconnect = await client.waitFor('disconnect');
    expect(disconnect.parameters['reason']).toBe('error');
    expect(String(disconnect.parameters['info'])).toMatch(info);
  }

  it.each([
    ['invalid JSON', (c: RawClient) => c.sendRaw('{not json'), /not valid JSON/i],
    [
      'a wrong seq',
      (c: RawClient) =>
        c.sendRaw(
          JSON.stringify({
            version: '2',
            id: c.sessionId,
            type: 'ping',
            seq: 7,
            serverseq: 1,
            position: 'PT0S',
            parameters: {},
          }),
        ),
      /seq/i,
    ],
    [
      'an unknown type',
      (c: RawClient) => c.send('teleport', {}),
      /not a supported client message/i,
    ],
    [
      'a text frame above 64K',
      (c: RawClient) => c.sendRaw(`"${'x'.repeat(70_000)}"`),
      /too large/i,
    ],
    ['a partial audio frame', (c: RawClient) => c.sendRaw(new Uint8Array(3)), /audio frame/i],
  ])(
    'answers %s with disconnect error, and other sessions keep streaming',
    async (_name, act, info) => {
      const healthy = await connect();
      healthy.open();
      await healthy.waitFor('opened');
      const broken = await connect();
      broken.open();
      await broken.waitFor('opened');
      act(broken);
      await expectDisconnect(broken, info);
      await broken.finish('disconnect');
      for (const frame of frames(2, 3200)) healthy.sendRaw(frame);
      healthy.send('ping', {}, 'PT0.4S');
      await healthy.waitFor('pong');
      await healthy.finish();
    },
  );

  it('answers audio before open with disconnect error', async () => {
    const client = await connect();
    client.sendRaw(new Uint8Array(3200));
    await expectDisconnect(client, /Received audio in state PREPARING/);
    await client.finish('disconnect');
  });

  it('closes a frame above MAX_PAYLOAD_BYTES with 1009 and keeps serving', async () => {
    const client = await connect();
    client.open();
    await client.waitFor('opened');
    client.sendRaw(new Uint8Array(2 * 1024 * 1024));
    expect(await client.closed).toBe(1009);
    const next = await connect();
    next.open();
    await next.waitFor('opened');
    await next.finish();
  });
});

describe('upgrade validation', () => {
  it('refuses a missing or malformed session id with HTTP 400 and accepts UUID v7', async () => {
    const bad = new RawClient({ url: server.url(), apiKey: UNSIGNED_KEY, sessionId: 'not-a-uuid' });
    await expect(bad.opened).rejects.toThrow(/HTTP 400/);
    const v7 = new RawClient({
      url: server.url(),
      apiKey: UNSIGNED_KEY,
      sessionId: '01890a5d-ac96-774b-bcce-b302099a8057',
    });
    await v7.opened;
    v7.open();
    await v7.waitFor('opened');
    await v7.finish();
  });

  it('answers 404 for unknown paths and for the load-test endpoint unless enabled', async () => {
    const unknown = new RawClient({ url: server.url('/nope'), apiKey: UNSIGNED_KEY });
    await expect(unknown.opened).rejects.toThrow(/HTTP 404/);
    const loadtest = new RawClient({ url: server.url('/api/v1/loadtest/ws') });
    await expect(loadtest.opened).rejects.toThrow(/HTTP 404/);
  });
});

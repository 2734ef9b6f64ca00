import { encodeUlaw, interleave, tone, ulawSilence } from '@org/audio';
import { openWavFile } from '@org/audio/node';
import { RawClient, MONO_PCMU, STEREO_PCMU } from './helpers/raw-client';
import { startTestServer, UNSIGNED_KEY, type TestServer } from './helpers/server';
import { until } from './helpers/wait';

let server: TestServer;
afterEach(async () => {
  await server.stop();
});

const VT = '/api/v1/voicetranscription/ws';

/** 200 ms stereo PCMU frames: speech on the internal channel only, between silences. */
function conversation(): Uint8Array[] {
  const speech = encodeUlaw(
    tone({ frequency: 300, sampleRate: 8000, amplitude: 12000, samples: 8000 }),
  );
  const external = new Uint8Array([
    ...ulawSilence(4000),
    ...ulawSilence(8000),
    ...ulawSilence(8000),
  ]);
  const internal = new Uint8Array([...ulawSilence(4000), ...speech, ...ulawSilence(8000)]);
  const stereo = interleave([external, internal]);
  const out: Uint8Array[] = [];
  for (let i = 0; i < stereo.length; i += 3200) out.push(stereo.subarray(i, i + 3200));
  return out;
}

async function connect(
  path: string,
  apiKey: string | undefined = UNSIGNED_KEY,
): Promise<RawClient> {
  const client = new RawClient({
    url: server.url(path),
    ...(apiKey === undefined ? {} : { apiKey }),
  });
  await client.opened;
  return client;
}

describe('the voice transcription simulator', () => {
  beforeEach(async () => {
    server = await startTestServer({ DRAIN_TIMEOUT_MS: '1000' });
  });

  it('lists supported languages and sends one final transcript per utterance before closed', async () => {
    const client = await connect(VT);
    client.open({ language: 'en-US', supportedLanguages: true });
    const opened = await client.waitFor('opened');
    expect(opened.parameters['supportedLanguages']).toEqual(
      expect.arrayContaining(['en-US', 'fr-FR']),
    );
    expect(opened.parameters['startPaused']).toBe(false);
    for (const frame of conversation()) client.sendRaw(frame);
    await client.finish();
    const events = client.received.filter((m) => m.type === 'event');
    expect(events).toHaveLength(1);
    const closedIndex = client.received.findIndex((m) => m.type === 'closed');
    expect(client.received.indexOf(events[0] as never)).toBeLessThan(closedIndex);
    const entity = (
      events[0]?.parameters['entities'] as { type: string; data: Record<string, unknown> }[]
    )[0];
    expect(entity?.type).toBe('transcript');
    expect(entity?.data).toMatchObject({
      channelId: 1,
      isFinal: true,
      offset: 'PT0.5S',
      duration: 'PT1S',
    });
  });

  it('starts paused for an unsupported language, then pauses and resumes on update', async () => {
    const client = await connect(VT);
    client.open({ language: 'xx-XX' });
    expect((await client.waitFor('opened')).parameters['startPaused']).toBe(true);
    client.send('paused');
    client.send('update', { language: 'fr-FR' });
    await client.waitFor('resume');
    client.send('resumed', { start: 'PT0S', discarded: 'PT0S' });
    client.send('update', { language: 'zz-ZZ' });
    await client.waitFor('pause');
    await client.finish();
  });

  it('refuses mono-only offers with the reference disconnect', async () => {
    const client = await connect(VT);
    client.open({ media: [MONO_PCMU] });
    const disconnect = await client.waitFor('disconnect');
    expect(disconnect.parameters['info']).toBe(
      'No matching media format offered. Voice transcription needs two channels!',
    );
    await client.finish('disconnect');
  });
});

describe('the load-test endpoint', () => {
  it('needs no API key when enabled and records nothing', async () => {
    server = await startTestServer({ LOADTEST_ENABLED: 'true', DRAIN_TIMEOUT_MS: '1000' });
    const client = await connect('/api/v1/loadtest/ws', undefined);
    client.open();
    await client.waitFor('opened');
    client.sendRaw(new Uint8Array(3200));
    await client.finish();
    await server.app.stop();
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(server.directory)).toEqual([]);
  });
});

describe('agent assist', () => {
  it('starts once opened is out, even when open handlers outlast the first delay', async () => {
    server = await startTestServer(
      { DRAIN_TIMEOUT_MS: '1000' },
      {
        agentAssist: { firstDelayMs: 10, intervalMs: 20 },
        // The recording's WAV takes 200 ms to create: opened goes out after the first delay.
        openWav: async (path, format, options) => {
          await new Promise((resolve) => setTimeout(resolve, 200));
          return openWavFile(path, format, options);
        },
      },
    );
    const client = await connect('/api/v1/audiohook/ws');
    client.open({ customConfig: { agentassist: true } });
    await client.waitFor('opened');
    await client.waitFor('event', 10_000);
    await client.finish();
  });

  it('requires stereo and sends agentassist utterances and suggestions', async () => {
    server = await startTestServer(
      { DRAIN_TIMEOUT_MS: '1000' },
      { agentAssist: { firstDelayMs: 10, intervalMs: 20 } },
    );
    const client = await connect('/api/v1/audiohook/ws');
    client.open({ customConfig: { agentassist: true }, media: [MONO_PCMU, STEREO_PCMU] });
    expect((await client.waitFor('opened')).parameters['media']).toEqual([STEREO_PCMU]);
    // Wait for the events themselves, not for a fixed time: a loaded machine may be slow.
    await until(
      () => client.received.filter((m) => m.type === 'event').length >= 3,
      'three agent-assist events',
    );
    await client.finish();
    const entities = client.received
      .filter((m) => m.type === 'event')
      .map(
        (m) => (m.parameters['entities'] as { type: string; data: Record<string, unknown> }[])[0],
      );
    expect(entities.length).toBeGreaterThanOrEqual(3);
    expect(entities.every((e) => e?.type === 'agentassist')).toBe(true);
    expect(entities[0]?.data['utterances']).toBeDefined();
    const kinds = entities.flatMap((e) =>
      ((e?.data['suggestions'] as { type: string }[] | undefined) ?? []).map((s) => s.type),
    );
    expect(kinds).toEqual(expect.arrayContaining(['article', 'faq']));
  });
});

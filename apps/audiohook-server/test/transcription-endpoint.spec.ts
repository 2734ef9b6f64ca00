// The voice-transcription endpoint and the agent-assist demo on Amazon Transcribe: the real server
// with TRANSCRIPTION_ENGINE=transcribe, a real AudioHook client, and the SDK talking HTTP/2 to the
// local fake of the streaming endpoint.

import { TranscribeStreamingClient } from '@aws-sdk/client-transcribe-streaming';
import { RawClient } from './helpers/raw-client';
import { FakeTranscribe, fakeResult, type FakeTranscribeOptions } from './helpers/fake-transcribe';
import { startTestServer, UNSIGNED_KEY, type TestServer } from './helpers/server';
import { until } from './helpers/wait';
import {
  STREAM_STARTS_BURST,
  TOO_MANY_STREAM_STARTS_INFO,
} from '../src/lib/transcription/start-budget';

const VT = '/api/v1/voicetranscription/ws';
const STEREO_FRAME_BYTES = 3200; // 200 ms of 8 kHz PCMU, two channels
const PCM_FRAME_BYTES = 6400; // the same as 16-bit PCM

let server: TestServer;
let fake: FakeTranscribe;

afterEach(async () => {
  await server?.stop();
  await fake?.stop();
});

async function start(env: Record<string, string> = {}, options: FakeTranscribeOptions = {}) {
  fake = await FakeTranscribe.start(options);
  server = await startTestServer(
    {
      TRANSCRIPTION_ENGINE: 'transcribe',
      TRANSCRIPTION_RETRY_BASE_MS: '5',
      TRANSCRIPTION_RETRY_MAX_MS: '10',
      DRAIN_TIMEOUT_MS: '1000',
      ...env,
    },
    {
      transcribeClient: new TranscribeStreamingClient({
        region: 'us-east-1',
        endpoint: fake.url,
        credentials: { accessKeyId: 'AKIDFAKETRANSCRIBE', secretAccessKey: 'fake-secret-key' },
        maxAttempts: 1,
        // The SDK warns on the console about every stream aborted (the storms below abort many).
        logger: {
          debug: () => undefined,
          info: () => undefined,
          warn: () => undefined,
          error: () => undefined,
        },
      }),
    },
  );
}

async function connect(path = VT): Promise<RawClient> {
  const client = new RawClient({ url: server.url(path), apiKey: UNSIGNED_KEY });
  await client.opened;
  return client;
}

/** `count` 200 ms stereo PCMU frames of a quiet hum (u-law 0xF0 ≈ small positive samples). */
function sendFrames(client: RawClient, count: number): void {
  for (let i = 0; i < count; i++) client.sendRaw(new Uint8Array(STEREO_FRAME_BYTES).fill(0xf0));
}

type Entity = { type: string; data: Record<string, unknown> };
const entities = (client: RawClient): Entity[] =>
  client.received
    .filter((m) => m.type === 'event')
    .flatMap((m) => m.parameters['entities'] as Entity[]);

describe('voice transcription on Amazon Transcribe', () => {
  it('answers opened before the service answers, buffers, and sends transcripts on the timeline', async () => {
    let answer!: () => void;
    await start({}, { answerAfter: new Promise<void>((resolve) => (answer = resolve)) });
    const client = await connect();
    client.open({ language: 'en-US', supportedLanguages: true });
    const opened = await client.waitFor('opened');
    expect(fake.requests).toBeLessThanOrEqual(1); // the stream is not answered yet
    expect(fake.calls).toHaveLength(0);
    expect(opened.parameters['supportedLanguages']).toEqual(expect.arrayContaining(['en-US']));
    sendFrames(client, 5);
    answer();
    const call = await fake.call(1);
    await call.until((c) => c.audioBytes >= 5 * PCM_FRAME_BYTES);
    expect(call.header('x-amzn-transcribe-enable-channel-identification')).toBe('true');
    call.send(fakeResult('u1', 'hello agent', 0.4, 0.8, { channel: 0 }));
    await until(() => entities(client).length > 0, 'the transcript');
    await client.finish();
    expect(entities(client)).toEqual([
      {
        type: 'transcript',
        data: expect.objectContaining({
          channelId: 0,
          isFinal: true,
          offset: 'PT0.4S',
          duration: 'PT0.4S',
        }),
      },
    ]);
  });

  it('keeps offsets right across pause and resume with discarded audio', async () => {
    await start();
    const client = await connect();
    client.open({ language: 'en-US' });
    await client.waitFor('opened');
    sendFrames(client, 5);
    const first = await fake.call(1);
    await first.until((c) => c.audioBytes >= 5 * PCM_FRAME_BYTES);
    client.send('paused', {}, 'PT1S');
    await first.until((c) => c.audioEnded);
    client.send('resumed', { start: 'PT1S', discarded: 'PT3S' }, 'PT4S');
    sendFrames(client, 5);
    const second = await fake.call(2);
    await second.until((c) => c.audioBytes >= 5 * PCM_FRAME_BYTES);
    second.send(fakeResult('u2', 'after the pause', 0.2, 0.6, { channel: 1 }));
    await until(() => entities(client).length > 0, 'the transcript');
    await client.finish();
    expect(entities(client)[0]?.data).toMatchObject({ channelId: 1, offset: 'PT4.2S' });
  });

  it('disconnects with the documented reason once throttling outlasts the retry budget', async () => {
    await start(
      { TRANSCRIPTION_RETRY_ATTEMPTS: '2' },
      { admit: () => ({ status: 429, errorType: 'LimitExceededException' }) },
    );
    const client = await connect();
    client.open({ language: 'en-US' });
    await client.waitFor('opened');
    sendFrames(client, 2);
    const disconnect = await client.waitFor('disconnect');
    expect(disconnect.parameters).toMatchObject({
      reason: 'error',
      info: 'Transcription failed (SPEECH_ERR_THROTTLED)',
    });
    expect(fake.requests).toBe(3);
    await client.finish('disconnect');
  });
});

describe('a pause/resume storm', () => {
  /** Sends `pairs` paused/resumed pairs as fast as the socket takes them. */
  function storm(client: RawClient, pairs: number): void {
    for (let i = 0; i < pairs; i++) {
      client.send('paused', {}, 'PT1S');
      client.send('resumed', { start: 'PT1S', discarded: 'PT0S' }, 'PT1S');
    }
  }

  it('cannot open a Transcribe stream per resume: past the budget the session gets disconnect error', async () => {
    // The fake never ends a stream on its own: each ended one stays open until it is aborted.
    await start({}, { endWithAudio: false });
    const client = await connect();
    client.open({ language: 'en-US' });
    await client.waitFor('opened');
    storm(client, 200);
    const disconnect = await client.waitFor('disconnect');
    expect(disconnect.parameters).toEqual({ reason: 'error', info: TOO_MANY_STREAM_STARTS_INFO });
    await client.finish('disconnect');
    // The first start and the resumes the budget allowed, not one request per resume.
    expect(fake.requests).toBeLessThanOrEqual(STREAM_STARTS_BURST + 1);
    await until(() => fake.calls.every((c) => c.closed), 'every stream to be closed', 10_000);
  });

  it('keeps the running stream when an update names the language it already transcribes', async () => {
    await start();
    const client = await connect();
    client.open({ language: 'en-US' });
    await client.waitFor('opened');
    // One at a time (the library runs only the latest of updates waiting), more than the burst.
    for (let i = 0; i < STREAM_STARTS_BURST + 5; i++) {
      client.send('update', { language: 'en-US' });
      client.send('ping', {});
      const pongs = i + 1;
      await until(
        () => client.received.filter((m) => m.type === 'pong').length === pongs,
        `pong ${pongs}`,
        5000,
      );
    }
    expect(client.received.map((m) => m.type)).not.toContain('disconnect');
    expect(fake.requests).toBe(1);
    await client.finish();
  });

  it('ends only the agent-assist utterances past the budget; the call goes on', async () => {
    await start({ AGENT_ASSIST_UTTERANCES: 'transcripts' }, { endWithAudio: false });
    const client = await connect('/api/v1/audiohook/ws');
    client.open({ language: 'en-US', customConfig: { agentassist: true } });
    await client.waitFor('opened');
    storm(client, 200);
    client.send('ping');
    await client.waitFor('pong');
    await until(
      () =>
        server.log
          .lines()
          .find(
            (l) =>
              l['msg'] === 'agent assist: transcription restarted too often; no more utterances',
          ),
      'the budget to be spent',
      10_000,
    );
    await client.finish();
    expect(client.received.map((m) => m.type)).not.toContain('disconnect');
    expect(fake.requests).toBeLessThanOrEqual(STREAM_STARTS_BURST + 1);
  });
});

describe('the agent-assist demo on real transcripts', () => {
  it('sends each final transcript as an agentassist utterance of its channel', async () => {
    await start({ AGENT_ASSIST_UTTERANCES: 'transcripts' });
    const client = await connect('/api/v1/audiohook/ws');
    client.open({ language: 'en-US', customConfig: { agentassist: true } });
    await client.waitFor('opened');
    sendFrames(client, 5);
    const call = await fake.call(1);
    await call.until((c) => c.audioBytes >= 5 * PCM_FRAME_BYTES);
    call.send(fakeResult('a1', 'I want to change my address.', 0.2, 0.9, { channel: 0 }));
    await until(() => entities(client).length > 0, 'the utterance');
    await client.finish();
    expect(entities(client)[0]).toEqual({
      type: 'agentassist',
      data: {
        id: expect.any(String),
        utterances: [
          expect.objectContaining({
            position: 'PT0.2S',
            duration: 'PT0.7S',
            text: 'I want to change my address.',
            language: 'en-US',
            channel: 'external',
            isFinal: true,
          }),
        ],
      },
    });
  });
});

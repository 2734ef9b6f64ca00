import { TranscribeStreamingClient } from '@aws-sdk/client-transcribe-streaming';
import {
  StreamingTranscriber,
  type SpeechError,
  type TimedTranscript,
  type TranscriberOptions,
} from '@org/speech';
import { createLogger } from '@org/service-kit';
import { captureLogs } from '@org/service-kit/testing';
import { loadConfig } from '../src/config';
import { createSpeechEngine } from '../src/lib/transcription/engines';
import { TranscribeEngine } from '../src/lib/transcription/transcribe-engine';
import { until } from './helpers/wait';
import {
  type FakeCall,
  FakeTranscribe,
  fakeResult,
  type FakeTranscribeOptions,
} from './helpers/fake-transcribe';

const ms = (n: number) => n * 1_000_000;
const FRAME = ms(200);

let fake: FakeTranscribe;
let engine: TranscribeEngine;

async function setup(
  fakeOptions: FakeTranscribeOptions = {},
  engineOptions: { channelIdentification?: boolean; startTimeoutMs?: number } = {},
) {
  fake = await FakeTranscribe.start(fakeOptions);
  engine = new TranscribeEngine({
    client: clientFor(fake),
    ...engineOptions,
  });
}

afterEach(async () => {
  await engine?.close();
  await fake?.stop();
});

/** 200 ms of stereo 8 kHz PCM: channel 0 carries the frame number, channel 1 `other`. */
function frame(n: number, other = n): Int16Array {
  const pcm = new Int16Array(1600 * 2);
  for (let i = 0; i < pcm.length; i += 2) {
    pcm[i] = n;
    pcm[i + 1] = other;
  }
  return pcm;
}

function clientFor(server: FakeTranscribe): TranscribeStreamingClient {
  return new TranscribeStreamingClient({
    region: 'us-east-1',
    endpoint: server.url,
    credentials: { accessKeyId: 'AKIDFAKETRANSCRIBE', secretAccessKey: 'fake-secret-key' },
    maxAttempts: 1,
  });
}

function transcriberOn(options: Partial<TranscriberOptions> = {}) {
  const transcriber = new StreamingTranscriber({
    engine,
    channels: 2,
    retry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 },
    ...options,
  });
  const out: TimedTranscript[] = [];
  const failures: SpeechError[] = [];
  const retries: string[] = [];
  transcriber.on('transcript', (t) => out.push(t));
  transcriber.on('failed', (e) => failures.push(e));
  transcriber.on('retry', (e) => retries.push(e.code));
  return { transcriber, out, failures, retries };
}

/** Starts `transcriber` in English, writes 1 s of audio, and returns the engine's first call once it has all of it. */
async function firstSecond(transcriber: StreamingTranscriber) {
  transcriber.start('en-US');
  for (let i = 0; i < 5; i++) transcriber.write(frame(i), i * FRAME, FRAME);
  const call = await fake.call(1);
  await call.until((c) => c.audioBytes >= 5 * 6400);
  return call;
}

/** [channel, final, offset ms, duration ms, transcript] of each transcript. */
const summary = (out: readonly TimedTranscript[]) =>
  out.map((t) => [
    t.channelId,
    t.isFinal,
    t.offsetNs / 1e6,
    t.durationNs / 1e6,
    t.alternatives[0]?.transcript,
  ]);

describe('TranscribeEngine against the fake', () => {
  it('streams signed audio and maps partial and final results of two channels', async () => {
    await setup();
    const transcriber = new StreamingTranscriber({
      engine,
      channels: 2,
      partialResults: true,
      partialIntervalMs: 0,
    });
    const out: TimedTranscript[] = [];
    transcriber.on('transcript', (t) => out.push(t));
    const call = await firstSecond(transcriber);
    expect(call.header('x-amzn-transcribe-language-code')).toBe('en-US');
    expect(call.header('x-amzn-transcribe-sample-rate')).toBe('8000');
    expect(call.header('x-amzn-transcribe-enable-channel-identification')).toBe('true');
    expect(call.header('x-amzn-transcribe-number-of-channels')).toBe('2');
    expect(call.signedEnvelopes).toBe(call.envelopes);
    call.send(fakeResult('r1', 'hello', 0.2, 0.6, { partial: true, channel: 1 }));
    await until(() => out.length === 1, 'the partial');
    call.send(fakeResult('r1', 'hello there.', 0.2, 0.9, { channel: 1 }));
    call.send(fakeResult('r2', 'hi', 0.3, 0.5, { channel: 0 }));
    await transcriber.close();
    expect(call.audioEnded).toBe(true);
    expect(
      out.map((t) => [
        t.channelId,
        t.isFinal,
        t.offsetNs / 1e6,
        t.durationNs / 1e6,
        t.alternatives[0]?.transcript,
      ]),
    ).toEqual([
      [1, false, 200, 400, 'hello'],
      [1, true, 200, 700, 'hello there.'],
      [0, true, 300, 200, 'hi'],
    ]);
    expect(out[0]?.id).toBe(out[1]?.id);
    expect(
      out[1]?.alternatives[0]?.words.map((w) => [w.text, w.offsetNs / 1e6, w.confidence]),
    ).toEqual([
      ['hello', 200, 0.9],
      ['there.', 550, 0.9],
    ]);
  });

  it('runs one mono stream per channel without channel identification', async () => {
    await setup({}, { channelIdentification: false });
    const { transcriber, out } = transcriberOn();
    transcriber.start('en-US');
    for (let i = 0; i < 3; i++) transcriber.write(frame(i, 7), i * FRAME, FRAME);
    const [a, b] = [await fake.call(1), await fake.call(2)];
    await a.until((c) => c.audioBytes >= 3 * 3200);
    await b.until((c) => c.audioBytes >= 3 * 3200);
    for (const call of [a, b]) {
      expect(call.header('x-amzn-transcribe-enable-channel-identification')).toBeUndefined();
    }
    // Each stream got one channel: channel 0 carries the frame number, channel 1 carries 7.
    const firsts = [a.samples()[0], b.samples()[0]].sort();
    expect(firsts).toEqual([0, 7]);
    const internal = a.samples()[0] === 7 ? a : b;
    internal.send(fakeResult('x', 'internal speaking', 0.1, 0.5));
    await transcriber.close();
    expect(summary(out)).toEqual([[1, true, 100, 400, 'internal speaking']]);
  });

  it('maps the language, and passes vocabulary and redaction settings', async () => {
    await setup();
    engine = new TranscribeEngine({
      client: clientFor(fake),
      piiEntityTypes: ['NAME', 'SSN'],
    });
    const { transcriber } = transcriberOn({
      vocabularies: { 'cmn-cn': 'products-zh', '*': 'products' },
      redaction: 'redact',
    });
    transcriber.start('cmn-CN');
    transcriber.write(frame(0), 0, FRAME);
    const call = await fake.call(1);
    expect(call.header('x-amzn-transcribe-language-code')).toBe('zh-CN');
    expect(call.header('x-amzn-transcribe-vocabulary-name')).toBe('products-zh');
    expect(call.header('x-amzn-transcribe-content-redaction-type')).toBe('PII');
    expect(call.header('x-amzn-transcribe-pii-entity-types')).toBe('NAME,SSN');
    await transcriber.close();
  });

  it('switches language: the old stream ends, the new one takes what follows', async () => {
    await setup();
    const { transcriber, out } = transcriberOn();
    const first = await firstSecond(transcriber);
    first.send(fakeResult('e1', 'good morning', 0.2, 0.8, { channel: 0 }));
    await until(() => out.length === 1, 'the English final');
    transcriber.start('fr-FR');
    await first.until((c) => c.audioEnded);
    for (let i = 5; i < 10; i++) transcriber.write(frame(i), i * FRAME, FRAME);
    const second = await fake.call(2);
    expect(second.header('x-amzn-transcribe-language-code')).toBe('fr-FR');
    await second.until((c) => c.audioBytes >= 5 * 6400);
    expect(second.samples()[0]).toBe(5); // starts with the first frame after the switch
    second.send(fakeResult('f1', 'bonjour', 0.4, 0.8, { channel: 1 }));
    await transcriber.close();
    expect(summary(out)).toEqual([
      [0, true, 200, 600, 'good morning'],
      [1, true, 1400, 400, 'bonjour'],
    ]);
    expect(out.map((t) => t.language)).toEqual(['en-US', 'fr-FR']);
  });

  it('retries a throttled start within the budget and replays the audio', async () => {
    await setup({
      admit: (n) =>
        n <= 2 ? { status: 429, errorType: 'LimitExceededException' } : { accept: true },
    });
    const { transcriber, out, retries } = transcriberOn();
    const call = await firstSecond(transcriber);
    expect(fake.requests).toBe(3);
    expect(retries).toEqual(['SPEECH_ERR_THROTTLED', 'SPEECH_ERR_THROTTLED']);
    expect(call.samples()[0]).toBe(0); // nothing lost while throttled
    call.send(fakeResult('r', 'still here', 0.6, 1.0, { channel: 0 }));
    await transcriber.close();
    expect(summary(out)).toEqual([[0, true, 600, 400, 'still here']]);
  });

  it('gives up once the throttling outlasts the budget, with a throttled error', async () => {
    await setup({ admit: () => ({ status: 429, errorType: 'LimitExceededException' }) });
    const { transcriber, failures } = transcriberOn();
    transcriber.start('en-US');
    transcriber.write(frame(0), 0, FRAME);
    await until(() => failures.length > 0, 'the failure');
    expect(fake.requests).toBe(3); // the first attempt and 2 retries
    expect(failures.map((e) => [e.code, e.engineCode])).toEqual([
      ['SPEECH_ERR_THROTTLED', 'LimitExceededException'],
    ]);
    expect(transcriber.state).toBe('failed');
  });

  it('gives up on a service that does not answer within the start timeout, and retries', async () => {
    let answer = (): void => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    await setup({ answerAfter: answered }, { startTimeoutMs: 150 });
    const { transcriber, failures, retries } = transcriberOn();
    transcriber.start('en-US');
    transcriber.write(frame(0), 0, FRAME);
    await until(() => failures.length > 0, 'the failure');
    answer();
    expect(fake.requests).toBe(3); // the first attempt and 2 retries, each timed out
    expect(retries).toEqual(['SPEECH_ERR_ENGINE_UNAVAILABLE', 'SPEECH_ERR_ENGINE_UNAVAILABLE']);
    expect(failures.map((e) => [e.code, e.message])).toEqual([
      [
        'SPEECH_ERR_ENGINE_UNAVAILABLE',
        'Transcribe did not answer the stream request within 150 ms',
      ],
    ]);
  });

  it('refuses a start timeout that is not a positive whole number of milliseconds', () => {
    const client = new TranscribeStreamingClient({ region: 'us-east-1' });
    expect(() => new TranscribeEngine({ client, startTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => new TranscribeEngine({ client, startTimeoutMs: 1.5 })).toThrow(RangeError);
    client.destroy();
  });

  it("writes the SDK's own warnings of the configured client as log lines, not to the console", async () => {
    await setup({ admit: () => ({ status: 400, errorType: 'BadRequestException' }) });
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, key: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDFAKETRANSCRIBE';
    process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret-key';
    const consoleWarn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const logs = captureLogs();
    const logger = createLogger({ service: 'test', level: 'info', destination: logs.destination });
    const configured = createSpeechEngine(
      loadConfig({ TRANSCRIPTION_ENGINE: 'transcribe', TRANSCRIBE_ENDPOINT: fake.url })
        .transcription,
      undefined,
      logger,
    );
    try {
      const transcriber = new StreamingTranscriber({ engine: configured, channels: 2 });
      const failures: SpeechError[] = [];
      transcriber.on('failed', (e) => failures.push(e));
      transcriber.start('en-US');
      await until(() => failures.length > 0, 'the failure');
      expect(failures[0]?.code).toBe('SPEECH_ERR_ENGINE_REJECTED');
      expect(logs.lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          sdk: 'An error was encountered in a non-retryable streaming request.',
          msg: 'Transcribe client warning',
        }),
      );
      expect(consoleWarn).not.toHaveBeenCalled();
    } finally {
      consoleWarn.mockRestore();
      await configured.close();
      if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
      else process.env.AWS_ACCESS_KEY_ID = saved.id;
      if (saved.key === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = saved.key;
    }
  });

  it('fails at once when the service rejects the request', async () => {
    await setup({ admit: () => ({ status: 400, errorType: 'BadRequestException' }) });
    const { transcriber, failures, retries } = transcriberOn();
    transcriber.start('en-US');
    await until(() => failures.length > 0, 'the failure');
    expect(failures[0]?.code).toBe('SPEECH_ERR_ENGINE_REJECTED');
    expect(retries).toEqual([]);
    expect(fake.requests).toBe(1);
  });

  it.each([
    ['an exception event', (c: FakeCall) => c.fail('InternalFailureException')],
    ['a reset HTTP/2 stream', (c: FakeCall) => c.reset()],
  ])(
    'recovers from %s mid-call: what was not final is replayed, offsets stay true',
    async (_, cut) => {
      await setup();
      const { transcriber, out, retries } = transcriberOn();
      transcriber.start('en-US');
      for (let i = 0; i < 10; i++) transcriber.write(frame(i), i * FRAME, FRAME);
      const first = await fake.call(1);
      await first.until((c) => c.audioBytes >= 10 * 6400);
      first.send(
        fakeResult('a', 'first words', 0.1, 0.6, { channel: 0 }),
        fakeResult('b', 'other side', 0.2, 0.7, { channel: 1 }),
      );
      await until(() => out.length === 2, 'the first finals');
      cut(first);
      const second = await fake.call(2);
      await second.until((c) => c.audioBytes >= 7 * 6400);
      // Frames from 0.6 s (the earliest channel's last final, frame 3) on are replayed.
      expect(second.samples()[0]).toBe(3);
      second.send(fakeResult('c', 'after the cut', 0.5, 1.1, { channel: 0 }));
      await transcriber.close();
      expect(retries).toHaveLength(1);
      expect(summary(out)).toEqual([
        [0, true, 100, 500, 'first words'],
        [1, true, 200, 500, 'other side'],
        [0, true, 1100, 600, 'after the cut'],
      ]);
    },
  );

  it('keeps offsets on the session timeline across pause and resume', async () => {
    await setup();
    const { transcriber, out } = transcriberOn();
    const first = await firstSecond(transcriber);
    first.send(fakeResult('p', 'before the pause', 0.1, 0.9, { channel: 1 }));
    await transcriber.stop(); // paused: the final still arrives
    expect(summary(out)).toEqual([[1, true, 100, 800, 'before the pause']]);
    // Resumed at 4 s: 1 s of audio, then 3 s paused (reported as discarded).
    transcriber.start('en-US');
    for (let i = 0; i < 5; i++) transcriber.write(frame(20 + i), ms(4000) + i * FRAME, FRAME);
    const second = await fake.call(2);
    await second.until((c) => c.audioBytes >= 5 * 6400);
    expect(second.samples()[0]).toBe(20);
    second.send(fakeResult('q', 'after it', 0.3, 0.7, { channel: 0 }));
    await transcriber.close();
    expect(summary(out)[1]).toEqual([0, true, 4300, 400, 'after it']);
  });
});

// Failures: retries with back-off within the budget, replay of the audio that was not final yet,
// the buffer bound, and giving up once.

import { ManualClock } from './helpers/manual-clock';
import {
  SpeechErrorCode,
  StreamingTranscriber,
  type SpeechError,
  type TimedTranscript,
  type TranscriberOptions,
} from '../src';
import { ms, ScriptedEngine, stereoFrame } from './helpers/scripted-engine';

const FRAME = ms(200);

function setup(options: Partial<TranscriberOptions> = {}) {
  const engine = new ScriptedEngine();
  const clock = new ManualClock();
  const transcriber = new StreamingTranscriber({
    engine,
    channels: 2,
    clock,
    random: () => 0.5, // no jitter: delays are exactly base × 2^n
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 1000, stableMs: 10_000 },
    ...options,
  });
  const transcripts: TimedTranscript[] = [];
  const failures: SpeechError[] = [];
  const retries: [string, number, number][] = [];
  const dropped: number[] = [];
  transcriber.on('transcript', (t) => transcripts.push(t));
  transcriber.on('failed', (e) => failures.push(e));
  transcriber.on('retry', (e, attempt, delay) => retries.push([e.code, attempt, delay]));
  transcriber.on('dropped', (ns) => dropped.push(ns));
  return { engine, clock, transcriber, transcripts, failures, retries, dropped };
}

function feed(transcriber: StreamingTranscriber, fromNs: number, count: number): number {
  for (let i = 0; i < count; i++) {
    const n = Math.round((fromNs + i * FRAME) / FRAME);
    transcriber.write(stereoFrame(n, n), fromNs + i * FRAME, FRAME);
  }
  return fromNs + count * FRAME;
}

/** The frame numbers a stream received (each frame's samples carry its number). */
const framesOf = (values: number[]) => [...new Set(values)];

describe('StreamingTranscriber: retries', () => {
  it('replays what was not final yet into the next stream and keeps offsets right', async () => {
    const { engine, clock, transcriber, transcripts, retries } = setup();
    transcriber.start('en-US');
    feed(transcriber, 0, 10); // frames 0..9, 0..2 s
    const first = engine.last();
    first.accept();
    first.say('one', { channel: 0, startMs: 100, endMs: 700 }); // ch 0 final to 0.7 s
    first.say('two', { channel: 1, startMs: 300, endMs: 1100 }); // ch 1 final to 1.1 s
    first.fail(SpeechErrorCode.EngineUnavailable);
    expect(retries).toEqual([[SpeechErrorCode.EngineUnavailable, 1, 100]]);
    feed(transcriber, ms(2000), 2); // frames 10, 11 arrive during the back-off
    await clock.advance(99);
    expect(engine.streams).toHaveLength(1);
    await clock.advance(1);
    const second = engine.last();
    // Everything after the earliest channel's last final (0.7 s: frame 3 on) is replayed.
    expect(framesOf(second.values())).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // Its times start at frame 3 (0.6 s): "two" again is a duplicate, "three" is new.
    second.say('two', { channel: 1, startMs: 0, endMs: 500 });
    second.say('three', { channel: 1, startMs: 600, endMs: 1200 });
    second.say('four', { channel: 0, startMs: 200, endMs: 900 });
    expect(
      transcripts.map((t) => [t.channelId, t.offsetNs / 1e6, t.alternatives[0]?.transcript]),
    ).toEqual([
      [0, 100, 'one'],
      [1, 300, 'two'],
      [1, 1200, 'three'],
      [0, 800, 'four'],
    ]);
  });

  it('backs off exponentially, then gives up once with the last error', async () => {
    const { engine, clock, transcriber, failures, retries } = setup();
    transcriber.start('en-US');
    for (let i = 0; i < 4; i++) {
      engine.last().fail(SpeechErrorCode.Throttled, 'LimitExceededException');
      await clock.advance(1000);
    }
    expect(retries.map(([, attempt, delay]) => [attempt, delay])).toEqual([
      [1, 100],
      [2, 200],
      [3, 400],
    ]);
    expect(engine.streams).toHaveLength(4);
    expect(failures.map((e) => e.code)).toEqual([SpeechErrorCode.Throttled]);
    expect(transcriber.state).toBe('failed');
    transcriber.start('en-US'); // ignored after a failure
    feed(transcriber, 0, 1);
    expect(engine.streams).toHaveLength(4);
  });

  it('gives up at once for an error that is not retryable', () => {
    const { engine, transcriber, failures, retries } = setup();
    transcriber.start('en-US');
    engine.last().fail(SpeechErrorCode.EngineRejected, 'BadRequestException');
    expect(retries).toEqual([]);
    expect(failures.map((e) => e.code)).toEqual([SpeechErrorCode.EngineRejected]);
  });

  it('counts again after a stream that stayed accepted long enough', async () => {
    const { engine, clock, transcriber, failures, retries } = setup();
    transcriber.start('en-US');
    for (let i = 0; i < 6; i++) {
      engine.last().accept();
      await clock.advance(10_000);
      engine.last().fail(SpeechErrorCode.EngineUnavailable);
      await clock.advance(1000);
    }
    expect(failures).toEqual([]);
    expect(retries.every(([, attempt]) => attempt === 1)).toBe(true);
  });

  it('treats a stream the engine ends on its own as a retryable failure', async () => {
    const { engine, clock, transcriber, retries } = setup();
    transcriber.start('en-US');
    engine.last().close();
    expect(retries).toEqual([[SpeechErrorCode.EngineUnavailable, 1, 100]]);
    await clock.advance(100);
    expect(engine.streams).toHaveLength(2);
  });

  it('drops the oldest audio past the buffer bound while no stream runs; offsets stay true', async () => {
    const { engine, clock, transcriber, transcripts, dropped } = setup({
      bufferMs: 1000,
      retry: { attempts: 3, baseDelayMs: 5000, maxDelayMs: 5000 },
    });
    transcriber.start('en-US');
    engine.last().fail(SpeechErrorCode.EngineUnavailable);
    feed(transcriber, 0, 10); // 2 s of audio into a 1 s buffer
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(ms(1000));
    await clock.advance(5000);
    const next = engine.last();
    expect(framesOf(next.values())).toEqual([5, 6, 7, 8, 9]);
    next.say('kept', { startMs: 0, endMs: 400 });
    expect(transcripts.map((t) => t.offsetNs / 1e6)).toEqual([1000]);
  });

  it('does not restart streams that failed while finishing', async () => {
    const { engine, clock, transcriber, retries } = setup();
    transcriber.start('en-US');
    const stopping = transcriber.stop();
    engine.last().fail(SpeechErrorCode.EngineUnavailable);
    await stopping;
    await clock.advance(5000);
    expect(retries).toEqual([]);
    expect(engine.streams).toHaveLength(1);
  });

  it('abort stops every stream and retry at once', async () => {
    const { engine, clock, transcriber } = setup();
    transcriber.start('en-US');
    engine.last().fail(SpeechErrorCode.EngineUnavailable);
    transcriber.abort();
    await clock.advance(5000);
    expect(engine.streams).toHaveLength(1);
    expect(transcriber.state).toBe('closed');
  });
});

describe('StreamingTranscriber: abort', () => {
  it('leaves no timer and no pending stop() behind, even when the engine never calls closed()', async () => {
    const { engine, clock, transcriber } = setup({ flushTimeoutMs: 5000 });
    transcriber.start('en-US');
    const stream = engine.last();
    stream.accept();
    stream.abort = () => undefined; // an engine whose abort does not call back (a dead socket)
    let stopped = false;
    void transcriber.stop().then(() => (stopped = true)); // the stream is ending: a flush timer
    expect(clock.pending).toBe(1);
    transcriber.abort();
    expect(clock.pending).toBe(0);
    await clock.advance(0);
    expect(stopped).toBe(true);
  });
});

describe('StreamingTranscriber: retry settings', () => {
  it.each([
    ['a NaN maxDelayMs (a 1 ms retry storm)', { maxDelayMs: Number.NaN }],
    ['a NaN baseDelayMs', { baseDelayMs: Number.NaN }],
    ['a negative baseDelayMs', { baseDelayMs: -1 }],
    ['infinite attempts (never gives up)', { attempts: Number.POSITIVE_INFINITY }],
    ['NaN attempts (never gives up)', { attempts: Number.NaN }],
    ['fractional attempts', { attempts: 1.5 }],
    ['a NaN stableMs', { stableMs: Number.NaN }],
  ])('refuses %s with SPEECH_ERR_INVALID_ARGUMENT', (_name, retry) => {
    expect(() => setup({ retry })).toThrow(
      expect.objectContaining({ code: SpeechErrorCode.InvalidArgument }),
    );
  });

  it('accepts no retries at all and zero delays', () => {
    expect(() => setup({ retry: { attempts: 0, baseDelayMs: 0, maxDelayMs: 0 } })).not.toThrow();
  });
});

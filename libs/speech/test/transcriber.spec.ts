// The transcriber against a scripted engine: channel layouts, the session timeline across
// restarts and gaps, language switches, pauses and partial-result throttling.

import { ManualClock } from './helpers/manual-clock';
import {
  StreamingTranscriber,
  SpeechErrorCode,
  type TimedTranscript,
  type TranscriberOptions,
} from '../src';
import { ms, ScriptedEngine, stereoFrame } from './helpers/scripted-engine';

const FRAME = ms(200);

function setup(
  engine = new ScriptedEngine(),
  options: Partial<TranscriberOptions> = {},
): {
  engine: ScriptedEngine;
  clock: ManualClock;
  transcriber: StreamingTranscriber;
  transcripts: TimedTranscript[];
} {
  const clock = new ManualClock();
  let id = 0;
  const transcriber = new StreamingTranscriber({
    engine,
    channels: 2,
    clock,
    newId: () => `id-${++id}`,
    ...options,
  });
  const transcripts: TimedTranscript[] = [];
  transcriber.on('transcript', (t) => transcripts.push(t));
  return { engine, clock, transcriber, transcripts };
}

/** Writes `count` frames starting at session position `fromNs`; returns the next position. */
function feed(transcriber: StreamingTranscriber, fromNs: number, count: number): number {
  for (let i = 0; i < count; i++) transcriber.write(stereoFrame(i, -i), fromNs + i * FRAME, FRAME);
  return fromNs + count * FRAME;
}

const summary = (t: TimedTranscript) => ({
  channel: t.channelId,
  final: t.isFinal,
  offsetMs: t.offsetNs / 1e6,
  durationMs: t.durationNs / 1e6,
  text: t.alternatives[0]?.transcript,
});

describe('StreamingTranscriber: streams and channels', () => {
  it('runs one stream for both channels when the engine identifies channels', () => {
    const { engine, transcriber, transcripts } = setup();
    transcriber.start('en-US');
    feed(transcriber, ms(2000), 5);
    expect(engine.streams).toHaveLength(1);
    const stream = engine.last();
    expect(stream.options).toMatchObject({ language: 'en-US', sampleRate: 8000, channels: 2 });
    expect(stream.samples()).toBe(5 * 1600);
    stream.say('hello there', { channel: 1, startMs: 300, endMs: 900 });
    expect(transcripts.map(summary)).toEqual([
      { channel: 1, final: true, offsetMs: 2300, durationMs: 600, text: 'hello there' },
    ]);
    expect(transcripts[0]?.alternatives[0]?.words.map((w) => w.offsetNs / 1e6)).toEqual([
      2300, 2600,
    ]);
    expect(transcriber.lanes).toBe(1);
  });

  it('runs one mono stream per channel otherwise, each fed its own channel', () => {
    const { engine, transcriber, transcripts } = setup(new ScriptedEngine(1));
    transcriber.start('en-US');
    transcriber.write(stereoFrame(11, 22), 0, FRAME);
    expect(engine.streams).toHaveLength(2);
    expect(engine.stream(0).options.channels).toBe(1);
    expect(new Set(engine.stream(0).values())).toEqual(new Set([11]));
    expect(new Set(engine.stream(1).values())).toEqual(new Set([22]));
    engine.stream(1).say('agent', { startMs: 0, endMs: 100 });
    engine.stream(0).say('caller', { startMs: 50, endMs: 150 });
    expect(transcripts.map((t) => [t.channelId, t.alternatives[0]?.transcript])).toEqual([
      [1, 'agent'],
      [0, 'caller'],
    ]);
    expect(transcriber.lanes).toBe(2);
  });

  it('passes vocabulary (by language, else *) and redaction to each stream', () => {
    const { engine, transcriber } = setup(undefined, {
      vocabularies: { 'EN-us': 'calls-en', '*': 'calls' },
      redaction: 'redact',
    });
    transcriber.start('en-US');
    expect(engine.last().options).toMatchObject({ vocabulary: 'calls-en', redaction: 'redact' });
    transcriber.start('fr-FR');
    expect(engine.last().options).toMatchObject({ vocabulary: 'calls', language: 'fr-FR' });
  });

  it('keeps the utterance id of partial updates for their final, and a new one after', () => {
    const { engine, transcriber, transcripts } = setup(undefined, { partialResults: true });
    transcriber.start('en-US');
    feed(transcriber, 0, 10);
    const stream = engine.last();
    stream.say('hel', { startMs: 0, endMs: 300, final: false, id: 'u1' });
    stream.say('hello', { startMs: 0, endMs: 500, final: true, id: 'u1' });
    stream.say('next', { startMs: 600, endMs: 900, final: true, id: 'u2' });
    expect(transcripts.map((t) => [t.id, t.isFinal])).toEqual([
      ['id-1', false],
      ['id-1', true],
      ['id-2', true],
    ]);
  });

  it('ignores a result that breaks the contract and goes on', () => {
    const { engine, transcriber, transcripts } = setup();
    transcriber.start('en-US');
    feed(transcriber, 0, 2);
    engine.last().say('bad channel', { channel: 5, startMs: 0, endMs: 100 });
    engine.last().say('reversed', { startMs: 100, endMs: 50 });
    engine.last().say('fine', { startMs: 0, endMs: 100 });
    expect(transcripts.map((t) => t.alternatives[0]?.transcript)).toEqual(['fine']);
  });

  it('refuses audio that is not whole frames, and start after close', async () => {
    const { engine, transcriber } = setup();
    transcriber.start('en-US');
    expect(() => transcriber.write(new Int16Array(3), 0, FRAME)).toThrow(
      expect.objectContaining({ code: SpeechErrorCode.InvalidArgument }),
    );
    const closing = transcriber.close();
    engine.last().close();
    await closing;
    expect(() => transcriber.start('en-US')).toThrow(
      expect.objectContaining({ code: SpeechErrorCode.InvalidState }),
    );
    expect(
      () => new StreamingTranscriber({ engine: new ScriptedEngine(), channels: 3 as 2 }),
    ).toThrow();
  });

  it('refuses a durationNs that is not the duration of the PCM, so it cannot hide audio from the buffer bound', () => {
    const { engine, transcriber } = setup();
    transcriber.start('en-US');
    for (const declared of [0, FRAME / 2, FRAME * 2, NaN]) {
      expect(() => transcriber.write(stereoFrame(1, 1), 0, declared)).toThrow(
        expect.objectContaining({ code: SpeechErrorCode.InvalidArgument }),
      );
    }
    expect(engine.last().samples()).toBe(0);
    // A nanosecond of rounding is not a mismatch.
    transcriber.write(stereoFrame(1, 1), 0, FRAME + 1);
    expect(engine.last().samples()).toBe(1600);
  });

  it('ignores an empty write of no duration: nothing reaches the engine or the timeline', () => {
    const { engine, transcriber, transcripts } = setup();
    transcriber.start('en-US');
    transcriber.write(new Int16Array(0), ms(5000), 0);
    feed(transcriber, ms(2000), 1);
    expect(engine.last().samples()).toBe(1600);
    engine.last().say('hi', { startMs: 0, endMs: 100 });
    expect(transcripts.map(summary)).toMatchObject([{ offsetMs: 2000 }]);
  });

  it.each<[string, Partial<TranscriberOptions>]>([
    ['bufferMs NaN', { bufferMs: NaN }],
    ['bufferMs 0', { bufferMs: 0 }],
    ['bufferMs above ten minutes', { bufferMs: 600_001 }],
    ['partialIntervalMs negative', { partialIntervalMs: -1 }],
    ['flushTimeoutMs Infinity', { flushTimeoutMs: Infinity }],
    ['sampleRate above 384 kHz', { sampleRate: 400_000 }],
  ])('rejects %s with SPEECH_ERR_INVALID_ARGUMENT', (_name, options) => {
    expect(() => setup(new ScriptedEngine(), options)).toThrow(
      expect.objectContaining({ code: SpeechErrorCode.InvalidArgument }),
    );
  });
});

describe('StreamingTranscriber: the AudioHook timeline', () => {
  it('maps results across discarded audio inside one stream', () => {
    const { engine, transcriber, transcripts } = setup();
    transcriber.start('en-US');
    let at = feed(transcriber, 0, 5); // 0..1 s
    at = feed(transcriber, at + ms(3000), 5); // 3 s discarded: 4..5 s
    expect(at).toBe(ms(5000));
    engine.last().say('across', { startMs: 800, endMs: 1200 });
    engine.last().say('after the gap', { startMs: 1200, endMs: 1800 });
    expect(transcripts.map(summary)).toEqual([
      { channel: 0, final: true, offsetMs: 800, durationMs: 3400, text: 'across' },
      { channel: 0, final: true, offsetMs: 4200, durationMs: 600, text: 'after the gap' },
    ]);
  });

  it('pauses: the ended stream still delivers its finals; the next stream starts at resume', async () => {
    const { engine, transcriber, transcripts } = setup();
    transcriber.start('en-US');
    feed(transcriber, 0, 10); // 0..2 s
    const first = engine.last();
    const stopped = transcriber.stop();
    expect(first.ended).toBe(true);
    transcriber.write(stereoFrame(9, 9), ms(2000), FRAME); // late audio while paused: ignored
    expect(first.samples()).toBe(10 * 1600);
    first.say('before the pause', { startMs: 1000, endMs: 1900 });
    first.close();
    await stopped;
    transcriber.start('en-US'); // resumed at 7 s (5 s paused, discarded)
    feed(transcriber, ms(7000), 5);
    engine.last().say('after the pause', { startMs: 100, endMs: 700 });
    expect(transcripts.map((t) => [t.offsetNs / 1e6, t.alternatives[0]?.transcript])).toEqual([
      [1000, 'before the pause'],
      [7100, 'after the pause'],
    ]);
    expect(engine.streams).toHaveLength(2);
  });

  it('switches language: the old stream finishes in its language, the new one takes what follows', () => {
    const { engine, transcriber, transcripts } = setup();
    transcriber.start('en-US');
    feed(transcriber, 0, 5);
    const english = engine.last();
    transcriber.start('fr-FR');
    const french = engine.last();
    expect(english.ended).toBe(true);
    expect(french.options.language).toBe('fr-FR');
    feed(transcriber, ms(1000), 5);
    expect(english.samples()).toBe(5 * 1600);
    expect(french.samples()).toBe(5 * 1600);
    french.say('bonjour', { startMs: 200, endMs: 700 });
    english.say('hello', { startMs: 100, endMs: 600 });
    english.close();
    expect(
      transcripts.map((t) => [t.offsetNs / 1e6, t.language, t.alternatives[0]?.transcript]),
    ).toEqual([
      [1200, 'fr-FR', 'bonjour'],
      [100, 'en-US', 'hello'],
    ]);
    expect(transcriber.language).toBe('fr-FR');
  });

  it('aborts an ended stream that does not finish within the flush timeout', async () => {
    const { engine, clock, transcriber } = setup(undefined, { flushTimeoutMs: 2000 });
    transcriber.start('en-US');
    feed(transcriber, 0, 2);
    let done = false;
    const closing = transcriber.close().then(() => (done = true));
    await clock.advance(1999);
    expect(done).toBe(false);
    await clock.advance(1);
    await closing;
    expect(engine.last().aborted).toBe(true);
    expect(transcriber.state).toBe('closed');
  });
});

describe('StreamingTranscriber: partial results', () => {
  it('drops partials unless asked for them', () => {
    const { engine, transcriber, transcripts } = setup();
    transcriber.start('en-US');
    engine.last().say('hel', { startMs: 0, endMs: 100, final: false });
    expect(transcripts).toEqual([]);
  });

  it('sends at most one partial per channel per interval, the latest, and never after its final', async () => {
    const { engine, clock, transcriber, transcripts } = setup(undefined, {
      partialResults: true,
      partialIntervalMs: 1000,
    });
    transcriber.start('en-US');
    feed(transcriber, 0, 10);
    const stream = engine.last();
    stream.say('a', { startMs: 0, endMs: 100, final: false, id: 'u' });
    stream.say('a b', { startMs: 0, endMs: 200, final: false, id: 'u' });
    stream.say('a b c', { startMs: 0, endMs: 300, final: false, id: 'u' });
    stream.say('other channel', { channel: 1, startMs: 0, endMs: 300, final: false, id: 'v' });
    await clock.advance(1000);
    stream.say('a b c d', { startMs: 0, endMs: 400, final: false, id: 'u' });
    await clock.advance(500);
    stream.say('a b c d e', { startMs: 0, endMs: 500, final: true, id: 'u' });
    await clock.advance(2000);
    expect(transcripts.map((t) => [t.channelId, t.isFinal, t.alternatives[0]?.transcript])).toEqual(
      [
        [0, false, 'a'],
        [1, false, 'other channel'],
        [0, false, 'a b c'],
        [0, true, 'a b c d e'],
      ],
    );
  });
});

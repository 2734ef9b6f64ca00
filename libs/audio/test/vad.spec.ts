import {
  AudioErrorCode,
  EnergyVad,
  ToneGenerator,
  VAD_DEFAULT_MAX_UTTERANCE_MS,
  decodeUlaw,
  encodeUlaw,
  tone,
  ulawSilence,
} from '../src';
import type { EnergyVadOptions, VadEvent } from '../src';
import { audioError } from './helpers';

const byova: EnergyVadOptions = {
  speech: { kind: 'rms', thresholdDbfs: -35 },
  startMs: 60,
  endSilenceMs: 500,
  maxUtteranceMs: 3000,
  preRollMs: 100,
};

/** The Transcription Connector simulator's settings: 100 ms blocks, 2 to start, 4 to end. */
const reference: EnergyVadOptions = {
  windowMs: 100,
  speech: { kind: 'ulaw-energy', minThreshold: 80, meanThreshold: 110 },
  startMs: 200,
  endSilenceMs: 400,
};

function sine(ms: number, rate = 8000): Int16Array {
  return new ToneGenerator({ frequency: 440, sampleRate: rate, amplitude: 9000 }).next(
    (rate * ms) / 1000,
  );
}
const silence = (ms: number, rate = 8000): Int16Array => new Int16Array((rate * ms) / 1000);

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function feed(vad: EnergyVad, signal: Int16Array, frame = 160): VadEvent[] {
  const events: VadEvent[] = [];
  for (let i = 0; i < signal.length; i += frame)
    events.push(...vad.push(signal.subarray(i, i + frame)));
  return events;
}

/** u-law speech as the AudioHook reference tests make it, decoded for the detector. */
const ulawSpeech = (ms: number): Int16Array =>
  decodeUlaw(
    encodeUlaw(tone({ frequency: 440, sampleRate: 8000, amplitude: 12000, samples: ms * 8 })),
  );
const ulawQuiet = (samples: number): Int16Array => decodeUlaw(ulawSilence(samples));

const segments = (events: VadEvent[]) =>
  events.flatMap((e) =>
    e.type === 'end' ? [{ startSample: e.speechStartSample, endSample: e.speechEndSample }] : [],
  );

describe('EnergyVad by RMS level', () => {
  it('reports the start after the debounce and the end after the trailing silence', () => {
    const vad = new EnergyVad(byova);
    const events = feed(vad, concat(silence(300), sine(1000), silence(600)));
    expect(events.map((e) => [e.type, e.atSample])).toEqual([
      ['start', 360 * 8],
      ['end', 1800 * 8],
    ]);
    expect(events[1]).toMatchObject({
      speechStartSample: 300 * 8,
      speechEndSample: 1300 * 8,
      reason: 'silence',
    });
    expect(vad.speaking).toBe(false);
  });

  it('hands over the utterance with the pre-roll counted back from the start decision', () => {
    const events = feed(new EnergyVad(byova), concat(silence(300), sine(1000), silence(600)));
    const end = events.find((e) => e.type === 'end');
    // START at 360 ms; 100 ms of pre-roll (260-360 ms) + speech to 1300 ms + 500 ms of silence.
    expect(end?.type === 'end' && end.audio?.length).toBe(1540 * 8);
  });

  it('hands over every window of the pre-roll and the utterance once, in order', () => {
    // Each 20 ms window carries its index: quiet ones as a tiny level, loud ones above 20000.
    const windows = [
      ...Array.from({ length: 12 }, (_, i) => i),
      ...Array.from({ length: 40 }, (_, i) => 20_012 + i),
      ...Array.from({ length: 30 }, (_, i) => 52 + i),
    ].map((v) => new Int16Array(160).fill(v));
    const vad = new EnergyVad(byova);
    const events = windows.flatMap((w) => vad.push(w));
    const end = events.find((e) => e.type === 'end');
    const audio = end?.type === 'end' ? end.audio : undefined;
    expect(audio).toBeDefined();
    const marks = Array.from({ length: (audio?.length ?? 0) / 160 }, (_, k) => {
      const v = audio?.[k * 160] ?? -1;
      return v >= 20_000 ? v - 20_000 : v;
    });
    // START decided on window 14 (the third loud one): pre-roll is windows 10-14, then on to
    // the end decision 25 quiet windows after the speech (500 ms): windows 10 to 76.
    expect(marks).toEqual(Array.from({ length: 67 }, (_, k) => 10 + k));
  });

  it('keeps no audio without preRollMs', () => {
    const { preRollMs: _unused, ...options } = byova;
    const events = feed(new EnergyVad(options), concat(sine(400), silence(600)));
    expect(events.at(-1)).toMatchObject({ type: 'end', audio: undefined });
  });

  it('does not split an utterance on a pause shorter than the end silence', () => {
    const events = feed(
      new EnergyVad(byova),
      concat(sine(400), silence(300), sine(400), silence(600)),
    );
    expect(events.map((e) => e.type)).toEqual(['start', 'end']);
  });

  it('ignores clicks shorter than the debounce', () => {
    expect(feed(new EnergyVad(byova), concat(silence(200), sine(40), silence(500)))).toEqual([]);
  });

  it('ends an utterance that reaches the maximum length', () => {
    const events = feed(new EnergyVad(byova), sine(4000));
    // START at 60 ms, END 3000 ms later; the tone goes on, so the next START follows.
    expect(events.map((e) => [e.type, e.atSample / 8])).toEqual([
      ['start', 60],
      ['end', 3060],
      ['start', 3120],
    ]);
    expect(events[1]).toMatchObject({ reason: 'max_length', speechEndSample: 3060 * 8 });
  });

  it('finds the next utterance after an end', () => {
    const events = feed(
      new EnergyVad(byova),
      concat(sine(300), silence(600), sine(300), silence(600)),
    );
    expect(events.map((e) => e.type)).toEqual(['start', 'end', 'start', 'end']);
  });

  it('gives the same boundaries whatever the frame size, at 16 kHz too', () => {
    const signal = concat(silence(200, 16000), sine(700, 16000), silence(700, 16000));
    const options = { ...byova, sampleRate: 16000 };
    const a = feed(new EnergyVad(options), signal, 320).map((e) => [e.type, e.atSample]);
    const b = feed(new EnergyVad(options), signal, 77).map((e) => [e.type, e.atSample]);
    expect(a).toEqual(b);
    expect(a.map(([t]) => t)).toEqual(['start', 'end']);
  });

  it('counts audio time in whole windows', () => {
    const vad = new EnergyVad(byova);
    vad.push(silence(50));
    expect(vad.position).toBe(320);
    expect(vad.elapsedMs).toBe(40);
  });

  it('rejects a non-positive rate, window or end silence', () => {
    expect(() => new EnergyVad({ sampleRate: 0 })).toThrow(/sampleRate must be an integer/);
    expect(() => new EnergyVad({ windowMs: -1 })).toThrow(/windowMs must be a finite number/);
    expect(() => new EnergyVad({ endSilenceMs: 0 })).toThrow(/endSilenceMs must be a finite/);
  });

  it.each<[string, EnergyVadOptions]>([
    ['startMs NaN', { startMs: NaN }],
    ['startMs negative', { startMs: -20 }],
    ['windowMs Infinity', { windowMs: Infinity }],
    ['windowMs above 1000', { windowMs: 5000 }],
    ['sampleRate fractional', { sampleRate: 8000.5 }],
    ['sampleRate NaN', { sampleRate: NaN }],
    ['endSilenceMs NaN', { endSilenceMs: NaN }],
    ['maxUtteranceMs Infinity', { maxUtteranceMs: Infinity }],
    ['maxUtteranceMs 0', { maxUtteranceMs: 0 }],
    ['maxUtteranceMs above one hour', { maxUtteranceMs: 3_600_001 }],
    ['preRollMs NaN', { preRollMs: NaN }],
    ['preRollMs above a minute', { preRollMs: 1e9 }],
    ['thresholdDbfs NaN', { speech: { kind: 'rms', thresholdDbfs: NaN } }],
    [
      'meanThreshold NaN',
      { speech: { kind: 'ulaw-energy', minThreshold: 80, meanThreshold: NaN } },
    ],
    ['an unknown speech kind', { speech: { kind: 'loud' } as never }],
  ])('rejects %s with AUDIO_ERR_INVALID_ARGUMENT', (_name, options) => {
    expect(() => new EnergyVad(options)).toThrow(
      audioError(AudioErrorCode.InvalidArgument) as Error,
    );
  });

  it('ends an endless tone every 60 s by default, so the pre-roll audio it keeps stays bounded', () => {
    expect(VAD_DEFAULT_MAX_UTTERANCE_MS).toBe(60_000);
    const vad = new EnergyVad({ preRollMs: 400 });
    const frame = sine(20);
    const ends: VadEvent[] = [];
    for (let i = 0; i < 130 * 50; i++)
      ends.push(...vad.push(frame).filter((e) => e.type === 'end'));
    expect(ends).toHaveLength(2);
    for (const end of ends) {
      expect(end).toMatchObject({ reason: 'max_length' });
      // At most the 400 ms of pre-roll plus 60 s of utterance.
      expect(end.type === 'end' && end.audio?.length).toBeLessThanOrEqual(60_400 * 8);
    }
    expect(ends[0]?.atSample).toBe((60 + 60_000) * 8);
  });
});

describe('EnergyVad with the u-law energy rule of the Transcription Connector simulator', () => {
  it('finds one segment of speech between silences, with the reference start/end offsets', () => {
    const vad = new EnergyVad(reference);
    const out = [
      ...vad.push(ulawQuiet(8000)),
      ...vad.push(ulawSpeech(1000)),
      ...vad.push(ulawQuiet(8000)),
    ];
    expect(segments(out)).toEqual([{ startSample: 8000, endSample: 16000 }]);
  });

  it('examines every block, whatever the frame size', () => {
    const vad = new EnergyVad(reference);
    const stream = concat(ulawQuiet(4000), ulawSpeech(600), ulawQuiet(6400));
    expect(segments(feed(vad, stream, 1600))).toEqual([{ startSample: 4000, endSample: 8800 }]);
  });

  it('flushes an open segment at the end of the stream', () => {
    const vad = new EnergyVad(reference);
    vad.push(ulawSpeech(500));
    expect(vad.speaking).toBe(true);
    expect(segments(vad.flush())).toEqual([{ startSample: 0, endSample: 4000 }]);
    expect(vad.flush()).toEqual([]);
  });

  it('ignores silence', () => {
    const vad = new EnergyVad(reference);
    expect(vad.push(ulawQuiet(80_000))).toEqual([]);
    expect(vad.flush()).toEqual([]);
  });
});

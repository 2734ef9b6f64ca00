import { ToneGenerator } from '@org/audio';
import { VoiceActivityDetector, type VadEvent } from '../src/lib/vad';

const options = {
  speechThresholdDbfs: -35,
  startDebounceMs: 60,
  endSilenceMs: 500,
  maxUtteranceMs: 3000,
  preRollMs: 100,
};

function tone(ms: number, rate = 8000): Int16Array {
  return new ToneGenerator({ frequency: 440, sampleRate: rate, amplitude: 9000 }).next(
    (rate * ms) / 1000,
  );
}
const silence = (ms: number, rate = 8000): Int16Array => new Int16Array((rate * ms) / 1000);

function feed(vad: VoiceActivityDetector, signal: Int16Array, frame = 160): VadEvent[] {
  const events: VadEvent[] = [];
  for (let i = 0; i < signal.length; i += frame)
    events.push(...vad.push(signal.subarray(i, i + frame)));
  return events;
}

function concat(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('VoiceActivityDetector', () => {
  it('reports START after the debounce and END after the trailing silence, once each', () => {
    const vad = new VoiceActivityDetector(8000, options);
    const events = feed(vad, concat(silence(300), tone(1000), silence(1000), tone(500)));
    expect(events.map((e) => e.type)).toEqual(['start', 'end']);
    expect(events[0]?.atMs).toBe(360);
    expect(events[1]?.atMs).toBe(1800);
    expect(vad.state).toBe('ended');
  });

  it('hands over the utterance with the pre-roll', () => {
    const vad = new VoiceActivityDetector(8000, options);
    const events = feed(vad, concat(silence(300), tone(1000), silence(600)));
    const end = events.find((e) => e.type === 'end');
    // START at 360 ms; 100 ms of pre-roll (260-360 ms) + speech to 1300 ms + 500 ms of silence.
    expect(end?.type === 'end' && end.utterance.length / 8).toBe(1540);
  });

  it('does not split an utterance on a pause shorter than the end silence', () => {
    const vad = new VoiceActivityDetector(8000, options);
    const events = feed(vad, concat(tone(400), silence(300), tone(400), silence(600)));
    expect(events.map((e) => e.type)).toEqual(['start', 'end']);
  });

  it('ignores clicks shorter than the debounce', () => {
    const vad = new VoiceActivityDetector(8000, options);
    expect(feed(vad, concat(silence(200), tone(40), silence(500)))).toEqual([]);
  });

  it('ends an utterance that reaches the maximum length', () => {
    const vad = new VoiceActivityDetector(8000, options);
    const events = feed(vad, tone(4000));
    expect(events.at(-1)).toMatchObject({ type: 'end', reason: 'max_length' });
  });

  it('gives the same boundaries whatever the frame size, at 16 kHz too', () => {
    const signal = concat(silence(200, 16000), tone(700, 16000), silence(700, 16000));
    const a = feed(new VoiceActivityDetector(16000, options), signal, 320).map((e) => [
      e.type,
      e.atMs,
    ]);
    const b = feed(new VoiceActivityDetector(16000, options), signal, 77).map((e) => [
      e.type,
      e.atMs,
    ]);
    expect(a).toEqual(b);
    expect(a.map(([t]) => t)).toEqual(['start', 'end']);
  });
});

import { encodeUlaw, tone, ulawSilence } from '@org/audio';
import { EnergyVad } from '../src/lib/endpoints/vad';

const speech = (ms: number) =>
  encodeUlaw(tone({ frequency: 440, sampleRate: 8000, amplitude: 12000, samples: ms * 8 }));

describe('EnergyVad', () => {
  it('finds one segment of speech between silences, with the reference start/end offsets', () => {
    const vad = new EnergyVad();
    const out = [
      ...vad.push(ulawSilence(8000)),
      ...vad.push(speech(1000)),
      ...vad.push(ulawSilence(8000)),
    ];
    expect(out).toEqual([{ startSample: 8000, endSample: 16000 }]);
  });

  it('examines every block, whatever the frame size', () => {
    const vad = new EnergyVad();
    const stream = new Uint8Array([...ulawSilence(4000), ...speech(600), ...ulawSilence(6400)]);
    const out = [];
    for (let i = 0; i < stream.length; i += 1600)
      out.push(...vad.push(stream.subarray(i, i + 1600)));
    expect(out).toEqual([{ startSample: 4000, endSample: 8800 }]);
  });

  it('flushes an open segment at the end of the stream', () => {
    const vad = new EnergyVad();
    vad.push(speech(500));
    expect(vad.speaking).toBe(true);
    expect(vad.flush()).toEqual([{ startSample: 0, endSample: 4000 }]);
    expect(vad.flush()).toEqual([]);
  });

  it('ignores silence', () => {
    const vad = new EnergyVad();
    expect(vad.push(ulawSilence(80_000))).toEqual([]);
    expect(vad.flush()).toEqual([]);
  });
});

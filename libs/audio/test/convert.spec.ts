import {
  decodeUlaw,
  decodeWavSamples,
  encodeUlaw,
  encodeWav,
  int16ToL16,
  parseWav,
  toTelephonyUlaw,
  tone,
  toneAmplitude,
  encodeAlaw,
} from '../src';

/** G.711 companding and resampling keep a tone's amplitude within a few percent. */
const expectAmplitudeNear = (measured: number, expected: number): void => {
  expect(Math.abs(measured - expected) / expected).toBeLessThan(0.03);
};

const sine = (sampleRate: number, samples: number): Int16Array =>
  tone({ frequency: 1000, sampleRate, samples, amplitude: 8000 });

describe('decodeWavSamples', () => {
  it.each([
    ['pcm16', (s: Int16Array) => int16ToL16(s)],
    ['ulaw', (s: Int16Array) => encodeUlaw(s)],
    ['alaw', (s: Int16Array) => encodeAlaw(s)],
  ] as const)('decodes a %s file to linear samples', (encoding, encode) => {
    const samples = sine(8000, 800);
    const wav = parseWav(encodeWav({ encoding, sampleRate: 8000, channels: 1 }, encode(samples)));
    const decoded = decodeWavSamples(wav);
    expect(decoded.length).toBe(800);
    expectAmplitudeNear(toneAmplitude(decoded, 1000, 8000), 8000);
  });
});

describe('toTelephonyUlaw', () => {
  it('returns u-law 8 kHz mono as it is', () => {
    const bytes = encodeUlaw(sine(8000, 160));
    const wav = parseWav(encodeWav({ encoding: 'ulaw', sampleRate: 8000, channels: 1 }, bytes));
    expect(toTelephonyUlaw(wav)).toBe(wav.data);
  });

  it('mixes stereo 16 kHz PCM down to mono and resamples it to 8 kHz', () => {
    const mono = sine(16000, 16000);
    const stereo = new Int16Array(mono.length * 2);
    mono.forEach((v, i) => {
      stereo[2 * i] = v;
      stereo[2 * i + 1] = v;
    });
    const wav = parseWav(
      encodeWav({ encoding: 'pcm16', sampleRate: 16000, channels: 2 }, int16ToL16(stereo)),
    );
    const ulaw = toTelephonyUlaw(wav);
    expect(ulaw.length).toBe(8000);
    expectAmplitudeNear(toneAmplitude(decodeUlaw(ulaw).subarray(400, 7600), 1000, 8000), 8000);
  });
});

import {
  AudioErrorCode,
  CONVERT_MIN_SAMPLE_RATE,
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
import { audioError, fixture } from './helpers';

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

describe('toTelephonyUlaw limits', () => {
  it('refuses a WAV below 4 kHz instead of multiplying it up to 8000-fold', () => {
    const wav = parseWav(fixture('wav', 'ulaw-mono-1hz.wav'));
    expect(wav.format.sampleRate).toBe(1);
    expect(() => toTelephonyUlaw(wav)).toThrow(
      audioError(AudioErrorCode.WavUnsupportedFormat) as Error,
    );
  });

  it('refuses a WAV above 384 kHz', () => {
    const bytes = fixture('wav', 'ulaw-mono-1hz.wav');
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    view.setUint32(24, 400_000, true); // sample rate
    view.setUint32(28, 400_000, true); // byte rate (1 byte per frame)
    expect(() => toTelephonyUlaw(parseWav(bytes))).toThrow(
      audioError(AudioErrorCode.WavUnsupportedFormat) as Error,
    );
  });

  it('converts 4 kHz, the lowest rate it accepts, to at most twice the frames', () => {
    const samples = sine(CONVERT_MIN_SAMPLE_RATE, 400);
    const wav = parseWav(
      encodeWav({ encoding: 'pcm16', sampleRate: 4000, channels: 1 }, int16ToL16(samples)),
    );
    expect(toTelephonyUlaw(wav).length).toBe(800);
  });

  it('refuses more than 64 channels with WAV_UNSUPPORTED_FORMAT', () => {
    const wav = parseWav(fixture('wav', 'ulaw-65-channels-8k.wav'));
    expect(() => toTelephonyUlaw(wav)).toThrow(
      audioError(AudioErrorCode.WavUnsupportedFormat) as Error,
    );
  });

  it('turns an allocation the runtime refuses into AUDIO_ERR_OUTPUT_TOO_LARGE with the cause', () => {
    const refused = new RangeError('Array buffer allocation failed');
    const parsed = parseWav(
      encodeWav(
        { encoding: 'pcm16', sampleRate: 16000, channels: 1 },
        int16ToL16(sine(16000, 160)),
      ),
    );
    // The runtime's answer to a typed array it cannot allocate, thrown mid-conversion.
    const wav = {
      ...parsed,
      get data(): Uint8Array {
        throw refused;
      },
    };
    expect(() => toTelephonyUlaw(wav)).toThrow(
      expect.objectContaining({ code: AudioErrorCode.OutputTooLarge, cause: refused }) as Error,
    );
  });
});

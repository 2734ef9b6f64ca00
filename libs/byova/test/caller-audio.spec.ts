import { encodeAlaw, encodeUlaw, int16ToL16 } from '@org/audio';
import { callerAudioFormat, decodeCallerAudio } from '../src';

const samples = Int16Array.from([0, 1000, -1000, 8000, -8000]);

describe('caller audio decoding', () => {
  it('treats UNSPECIFIED_FORMAT and 0 Hz as u-law at 8 kHz', () => {
    const decoded = decodeCallerAudio({
      caller_audio: Buffer.from(encodeUlaw(samples)),
      encoding: 'UNSPECIFIED_FORMAT',
      sample_rate_hertz: 0,
    });
    expect(decoded.encoding).toBe('MULAW_FORMAT');
    expect(decoded.sampleRate).toBe(8000);
    expect(decoded.samples.length).toBe(samples.length);
  });

  it('uses the configured fallbacks', () => {
    expect(
      callerAudioFormat(
        { encoding: 'UNSPECIFIED_FORMAT', sample_rate_hertz: 0 },
        { encoding: 'ALAW_FORMAT', sampleRateHertz: 16000 },
      ),
    ).toEqual({ encoding: 'ALAW_FORMAT', sampleRate: 16000 });
  });

  it('decodes A-law with standard G.711', () => {
    const decoded = decodeCallerAudio({
      caller_audio: Buffer.from(encodeAlaw(samples)),
      encoding: 'ALAW_FORMAT',
      sample_rate_hertz: 8000,
    });
    for (const [i, s] of samples.entries())
      expect(Math.abs((decoded.samples[i] ?? 0) - s)).toBeLessThan(300);
  });

  it('decodes LINEAR16 as little-endian', () => {
    const decoded = decodeCallerAudio({
      caller_audio: Buffer.from(int16ToL16(samples, 'le')),
      encoding: 'LINEAR16_FORMAT',
      sample_rate_hertz: 16000,
    });
    expect([...decoded.samples]).toEqual([...samples]);
    expect(decoded.sampleRate).toBe(16000);
  });

  it('rejects an odd LINEAR16 length and out-of-range rates with BYOVA_ERR_INVALID_AUDIO', () => {
    expect(() =>
      decodeCallerAudio({
        caller_audio: Buffer.alloc(3),
        encoding: 'LINEAR16_FORMAT',
        sample_rate_hertz: 8000,
      }),
    ).toThrow(expect.objectContaining({ code: 'BYOVA_ERR_INVALID_AUDIO' }));
    expect(() => callerAudioFormat({ encoding: 'MULAW_FORMAT', sample_rate_hertz: -8000 })).toThrow(
      /outside 8000-48000/,
    );
    expect(() => callerAudioFormat({ encoding: 'MULAW_FORMAT', sample_rate_hertz: 96000 })).toThrow(
      expect.objectContaining({ code: 'BYOVA_ERR_INVALID_AUDIO' }),
    );
  });

  it.each([
    ['an out-of-range number (protobuf passes unknown enum values through)', 7],
    ['a known value sent as a number instead of its name', 2],
    ['a name the contract does not have', 'OPUS_FORMAT'],
  ])('rejects %s as the encoding with BYOVA_ERR_INVALID_AUDIO', (_name, encoding) => {
    const input = {
      caller_audio: Buffer.alloc(160, 0xff),
      encoding: encoding as never,
      sample_rate_hertz: 8000,
    };
    expect(() => decodeCallerAudio(input)).toThrow(
      expect.objectContaining({
        name: 'ByovaError',
        code: 'BYOVA_ERR_INVALID_AUDIO',
        message: expect.stringMatching(/^caller audio encoding .+ is not one of MULAW_FORMAT/),
      }),
    );
    expect(() => callerAudioFormat(input)).toThrow(
      expect.objectContaining({ code: 'BYOVA_ERR_INVALID_AUDIO' }),
    );
  });

  it('rejects an unknown fallback encoding given as the default for UNSPECIFIED_FORMAT', () => {
    expect(() =>
      callerAudioFormat(
        { encoding: 'UNSPECIFIED_FORMAT', sample_rate_hertz: 0 },
        { encoding: 'G729' as never },
      ),
    ).toThrow(expect.objectContaining({ code: 'BYOVA_ERR_INVALID_AUDIO' }));
  });
});

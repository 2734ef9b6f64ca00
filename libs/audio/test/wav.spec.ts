import {
  AudioError,
  AudioErrorCode,
  WAV_HEADER_BYTES,
  WAV_MAX_CHUNKS,
  encodeWav,
  encodeWavHeader,
  parseWav,
  wavBlockAlign,
} from '../src';
import cases from './fixtures/wav-cases.json';
import { audioError, fixture } from './helpers';

describe('parseWav', () => {
  it.each(cases.valid)('reads $file', (c) => {
    const wav = parseWav(fixture('wav', c.file));
    expect(wav.format).toEqual({
      encoding: c.encoding,
      sampleRate: c.sampleRate,
      channels: c.channels,
    });
    expect(wav.formatTag).toBe(c.formatTag);
    expect(wav.data.length).toBe(c.dataBytes);
    expect(wav.frames).toBe(c.frames);
    expect(wav.durationSeconds).toBeCloseTo(c.frames / c.sampleRate, 12);
    expect(wav.recovered).toBe(false);
  });

  it.each(cases.malformed)('rejects $file with $code', (c) => {
    const bytes = fixture('wav', c.file);
    expect(() => parseWav(bytes)).toThrow(AudioError);
    expect(() => parseWav(bytes)).toThrow(audioError(c.code) as Error);
  });

  it('returns the audio as a view of the input, not a copy', () => {
    const bytes = fixture('wav', 'ulaw-stereo-8k.wav');
    const wav = parseWav(bytes);
    expect(wav.data.buffer).toBe(bytes.buffer);
    expect(wav.data.byteOffset).toBe(bytes.byteOffset + WAV_HEADER_BYTES);
    expect(Array.from(wav.data.subarray(0, 4))).toEqual([0xff, 0xff, 0x0d, 0x0d]);
  });

  it('skips unknown chunks with their pad bytes and lists every chunk it saw', () => {
    const wav = parseWav(fixture('wav', 'unknown-chunks-odd-sizes.wav'));
    expect(wav.chunks.map((c) => [c.id, c.offset, c.size])).toEqual([
      ['JUNK', 12, 3],
      ['fmt ', 24, 18],
      ['LIST', 50, 17],
      ['data', 76, 5],
    ]);
    expect(Array.from(wav.data)).toEqual([0xff, 0xfe, 0x7e, 0x80, 0x00]);
  });

  it('reads a file of exactly WAV_MAX_CHUNKS chunks and lists every one', () => {
    const wav = parseWav(fixture('wav', 'many-chunks-at-limit.wav'));
    expect(wav.chunks).toHaveLength(WAV_MAX_CHUNKS);
    expect(wav.chunks.at(-1)).toMatchObject({ id: 'data', size: 2 });
  });

  it('refuses a file with more chunks than WAV_MAX_CHUNKS before fmt and data, at the first one past the limit', () => {
    const bytes = fixture('wav', 'too-many-chunks.wav');
    expect(() => parseWav(bytes, { recover: true })).toThrow(
      audioError(AudioErrorCode.WavTooManyChunks) as Error,
    );
    try {
      parseWav(bytes);
      throw new Error('expected a failure');
    } catch (error) {
      // The 1025th chunk (data, after 1023 JUNK and fmt) is the first one refused.
      expect(error).toMatchObject({
        code: 'AUDIO_ERR_WAV_TOO_MANY_CHUNKS',
        offset: 12 + 1023 * 8 + 24,
      });
    }
  });

  it('stops at the chunk limit instead of recording two million empty chunks', () => {
    // 16 MB of 8-byte JUNK chunks: the scan ends after 1024 of them, whatever follows.
    const count = 2_000_000;
    const bytes = new Uint8Array(12 + count * 8);
    const view = new DataView(bytes.buffer);
    bytes.set([0x52, 0x49, 0x46, 0x46]);
    view.setUint32(4, bytes.length - 8, true);
    bytes.set([0x57, 0x41, 0x56, 0x45], 8);
    for (let p = 12; p < bytes.length; p += 8) bytes.set([0x4a, 0x55, 0x4e, 0x4b], p);
    const started = performance.now();
    expect(() => parseWav(bytes)).toThrow(audioError(AudioErrorCode.WavTooManyChunks) as Error);
    expect(performance.now() - started).toBeLessThan(250);
  });

  it('reports the byte offset of the problem', () => {
    try {
      parseWav(fixture('wav', 'data-size-past-end.wav'));
      throw new Error('expected a failure');
    } catch (error) {
      expect(error).toBeInstanceOf(AudioError);
      expect((error as AudioError).offset).toBe(36);
      expect((error as AudioError).message).toMatch(/data chunk says 400 bytes but only 2 follow/);
    }
  });

  it('ignores bytes past the RIFF size (e.g. trailing junk)', () => {
    const valid = fixture('wav', 'alaw-mono-8k.wav');
    const withJunk = new Uint8Array(valid.length + 5);
    withJunk.set(valid);
    withJunk.set([1, 2, 3, 4, 5], valid.length);
    expect(parseWav(withJunk).data.length).toBe(3);
  });

  it('accepts a RIFF size of 0 as "unknown" (streaming writers)', () => {
    const bytes = fixture('wav', 'alaw-mono-8k.wav');
    new DataView(bytes.buffer).setUint32(4, 0, true);
    expect(parseWav(bytes).frames).toBe(3);
  });

  it('rejects a RIFF size smaller than the form type', () => {
    const bytes = fixture('wav', 'alaw-mono-8k.wav');
    new DataView(bytes.buffer).setUint32(4, 2, true);
    expect(() => parseWav(bytes)).toThrow(audioError(AudioErrorCode.WavChunkSize) as Error);
  });

  describe('recover mode', () => {
    it('clamps a data size that runs past the end and drops the partial frame', () => {
      const bytes = fixture('wav', 'data-size-past-end.wav');
      const wav = parseWav(bytes, { recover: true });
      expect(wav.recovered).toBe(true);
      expect(wav.data.length).toBe(2);
    });

    it('clamps a RIFF size that runs past the end', () => {
      const wav = parseWav(fixture('wav', 'riff-size-past-end.wav'), { recover: true });
      expect(wav.recovered).toBe(true);
      expect(wav.frames).toBe(2);
    });

    it('drops a partial sample frame at the end', () => {
      const wav = parseWav(fixture('wav', 'data-partial-frame.wav'), { recover: true });
      expect(wav.recovered).toBe(true);
      expect(wav.data.length).toBe(4);
    });

    it('extends a last data chunk to audio written after a stale header', () => {
      const header = encodeWavHeader({ encoding: 'ulaw', sampleRate: 8000, channels: 1 }, 0);
      const bytes = new Uint8Array(header.length + 6);
      bytes.set(header);
      bytes.set([0xff, 0x80, 0x00, 0x7e, 0x11, 0x22], header.length);
      expect(parseWav(bytes).frames).toBe(0);
      const wav = parseWav(bytes, { recover: true });
      expect(wav.recovered).toBe(true);
      expect(Array.from(wav.data)).toEqual([0xff, 0x80, 0x00, 0x7e, 0x11, 0x22]);
    });

    it('does not extend a data chunk that is followed by another chunk', () => {
      const wav = parseWav(fixture('wav', 'unknown-chunks-odd-sizes.wav'), { recover: true });
      expect(wav.data.length).toBe(5);
      expect(wav.recovered).toBe(false);
    });

    it('still rejects what cannot be repaired', () => {
      expect(() => parseWav(fixture('wav', 'unsupported-float.wav'), { recover: true })).toThrow(
        audioError(AudioErrorCode.WavUnsupportedFormat) as Error,
      );
    });
  });
});

describe('encodeWavHeader', () => {
  it('writes the canonical header of the spec example byte for byte', () => {
    const header = encodeWavHeader({ encoding: 'ulaw', sampleRate: 8000, channels: 2 }, 8000);
    const expected =
      '52 49 46 46 64 1f 00 00 57 41 56 45 66 6d 74 20 10 00 00 00 07 00 02 00 40 1f 00 00 80 3e 00 00 02 00 08 00 64 61 74 61 40 1f 00 00';
    expect(
      Buffer.from(header)
        .toString('hex')
        .replace(/(..)(?!$)/g, '$1 '),
    ).toBe(expected);
    expect(Buffer.from(header)).toEqual(
      Buffer.from(fixture('wav', 'ulaw-stereo-8k.wav').subarray(0, 44)),
    );
  });

  it('writes format tag 1, 16 bits and block align 2 x channels for pcm16', () => {
    const view = new DataView(
      encodeWavHeader({ encoding: 'pcm16', sampleRate: 16000, channels: 2 }, 64).buffer,
    );
    expect(view.getUint16(20, true)).toBe(1);
    expect(view.getUint32(28, true)).toBe(64000);
    expect(view.getUint16(32, true)).toBe(4);
    expect(view.getUint16(34, true)).toBe(16);
  });

  it('counts the pad byte of an odd data size in the RIFF size', () => {
    const view = new DataView(
      encodeWavHeader({ encoding: 'ulaw', sampleRate: 8000, channels: 1 }, 5).buffer,
    );
    expect(view.getUint32(4, true)).toBe(36 + 6);
    expect(view.getUint32(40, true)).toBe(5);
  });

  it.each([
    [{ encoding: 'ulaw', sampleRate: 0, channels: 1 }],
    [{ encoding: 'ulaw', sampleRate: 8000, channels: 0 }],
    [{ encoding: 'ulaw', sampleRate: 8000, channels: 17 }],
    [{ encoding: 'mp3', sampleRate: 8000, channels: 1 }],
  ])('rejects an invalid format %j', (format) => {
    expect(() => encodeWavHeader(format as never, 0)).toThrow(
      audioError(AudioErrorCode.InvalidArgument) as Error,
    );
  });

  it('rejects a negative or too large data size', () => {
    const format = { encoding: 'ulaw', sampleRate: 8000, channels: 1 } as const;
    expect(() => encodeWavHeader(format, -1)).toThrow(AudioError);
    expect(() => encodeWavHeader(format, 2 ** 32)).toThrow(AudioError);
  });

  it('rejects a target shorter than the header with AUDIO_ERR_INVALID_ARGUMENT', () => {
    const format = { encoding: 'ulaw', sampleRate: 8000, channels: 1 } as const;
    expect(() => encodeWavHeader(format, 10, new Uint8Array(43))).toThrow(
      audioError(AudioErrorCode.InvalidArgument) as Error,
    );
    expect(encodeWavHeader(format, 10, new Uint8Array(50)).length).toBe(50);
  });
});

describe('encodeWav', () => {
  it.each(['pcm16', 'ulaw', 'alaw'] as const)(
    'round-trips %s audio through parseWav',
    (encoding) => {
      const format = { encoding, sampleRate: 8000, channels: 2 };
      const data = Uint8Array.from(
        { length: wavBlockAlign(format) * 10 },
        (_, i) => (i * 7) & 0xff,
      );
      const wav = parseWav(encodeWav(format, data));
      expect(wav.format).toEqual(format);
      expect(Array.from(wav.data)).toEqual(Array.from(data));
    },
  );

  it('pads an odd data length to an even file length', () => {
    const file = encodeWav(
      { encoding: 'ulaw', sampleRate: 8000, channels: 1 },
      new Uint8Array([1, 2, 3]),
    );
    expect(file.length).toBe(48);
    expect(file[47]).toBe(0);
    expect(parseWav(file).data.length).toBe(3);
  });
});

import {
  AudioFrame,
  AudioHookError,
  AudioHookErrorCode,
  bytesPerSample,
  copyMedia,
  frameBytes,
  mediaEquals,
  parseAudioFrame,
  splitAudio,
  type MediaFormat,
  type MediaParameter,
} from '../src';
import { MONO, STEREO } from './helpers';

const stereo = STEREO as unknown as MediaParameter;
const mono = MONO as unknown as MediaParameter;
const l16Stereo: MediaParameter = { ...stereo, format: 'L16' };

describe('media', () => {
  it('knows the sample sizes of the formats', () => {
    expect(bytesPerSample('PCMU')).toBe(1);
    expect(bytesPerSample('L16')).toBe(2);
    expect(frameBytes(l16Stereo)).toBe(4);
    expect(() => bytesPerSample('OPUS' as MediaFormat)).toThrow(
      expect.objectContaining({ code: AudioHookErrorCode.UnsupportedMedia }),
    );
  });

  it('compares media exactly, channel order included', () => {
    expect(mediaEquals(stereo, copyMedia(stereo))).toBe(true);
    expect(mediaEquals(stereo, { ...stereo, channels: ['internal', 'external'] })).toBe(false);
    expect(mediaEquals(stereo, mono)).toBe(false);
    expect(mediaEquals(stereo, { ...stereo, format: 'L16' })).toBe(false);
  });

  describe('AudioFrame', () => {
    it('exposes interleaved PCMU stereo as zero-copy channel views', () => {
      const bytes = new Uint8Array([0x00, 0x80, 0xff, 0xfe, 0x06, 0x86]);
      const frame = parseAudioFrame(bytes, stereo);
      expect(frame.samples).toBe(3);
      expect(frame.channelCount).toBe(2);
      expect(frame.duration).toBe(375_000);
      expect(frame.interleaved).toBe(bytes);
      expect([...frame.channel('external')]).toEqual([0x00, 0xff, 0x06]);
      expect([...frame.channel(1)]).toEqual([0x80, 0xfe, 0x86]);
      expect(Array.from(frame.channelLinear('internal'))).toEqual([32124, 8, 25980]);
      expect(Array.from(frame.toLinear())).toEqual([-32124, 32124, 0, 8, -25980, 25980]);
      expect(frame.toPcmu()).toBe(bytes);
      bytes[0] = 0xff;
      expect(frame.channel(0).at(0)).toBe(0xff);
    });

    it('reads L16 little-endian by default and big-endian on request', () => {
      const bytes = new Uint8Array([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]);
      const le = new AudioFrame(bytes, l16Stereo);
      expect(Array.from(le.interleaved)).toEqual([1, -1, -32768, 32767]);
      expect(Array.from(le.channelLinear(0))).toEqual([1, -32768]);
      const be = new AudioFrame(bytes, l16Stereo, { l16ByteOrder: 'be' });
      expect(Array.from(be.interleaved)).toEqual([256, -1, 128, -129]);
      expect(Array.from(le.toPcmu())).toHaveLength(4);
      const monoL16 = new AudioFrame(bytes, { ...mono, format: 'L16' });
      expect(monoL16.channelLinear('external')).toBe(monoL16.interleaved);
    });

    it('handles L16 at an odd byte offset', () => {
      const buffer = new Uint8Array(5);
      buffer.set([0x02, 0x00, 0x03, 0x00], 1);
      const frame = new AudioFrame(buffer.subarray(1), { ...mono, format: 'L16' });
      expect(Array.from(frame.toLinear())).toEqual([2, 3]);
    });

    it('rejects partial sample frames and unknown channels', () => {
      expect(() => parseAudioFrame(new Uint8Array(3), stereo)).toThrow(
        expect.objectContaining({ code: AudioHookErrorCode.InvalidAudioFrame }),
      );
      expect(() => parseAudioFrame(new Uint8Array(3), { ...mono, format: 'L16' })).toThrow(
        AudioHookError,
      );
      const frame = parseAudioFrame(new Uint8Array(2), mono);
      expect(() => frame.channel('internal')).toThrow(/not in \[external\]/);
      expect(() => frame.channel(1)).toThrow(AudioHookError);
      expect(frame.samples).toBe(2);
    });
  });

  describe('splitAudio', () => {
    it('splits into whole-frame views of at most maxBytes', () => {
      const data = new Uint8Array(3500);
      const chunks = splitAudio(data, stereo, 1601);
      expect(chunks.map((c) => c.length)).toEqual([1600, 1600, 300]);
      expect(chunks[0]?.buffer).toBe(data.buffer);
    });
    it('rejects sizes that cannot hold a frame and partial input', () => {
      expect(() => splitAudio(new Uint8Array(4), l16Stereo, 3)).toThrow(AudioHookError);
      expect(() => splitAudio(new Uint8Array(3), stereo, 100)).toThrow(
        expect.objectContaining({ code: AudioHookErrorCode.InvalidAudioFrame }),
      );
    });
  });
});

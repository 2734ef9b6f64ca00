import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeUlaw, deinterleave, encodeWav, parseWav, rms } from '@org/audio';
import { AudioInputError, convertWav, wavFileSource } from '../src/lib/audio-input';

const fixture = (name: string) => join(__dirname, 'fixtures', name);

describe('convertWav', () => {
  it('resamples a 16 kHz stereo PCM file to 8 kHz PCMU and keeps the channel order', async () => {
    const { conversion } = await wavFileSource(fixture('stereo-pcm16-16k.wav'));
    expect(conversion.source).toEqual({
      encoding: 'pcm16',
      sampleRate: 16000,
      channels: 2,
      seconds: 0.5,
    });
    expect(conversion.converted).toBe(true);
    const out = parseWav(conversion.wav);
    expect(out.format).toEqual({ encoding: 'ulaw', sampleRate: 8000, channels: 2 });
    expect(out.frames).toBe(4000);
    const [left, right] = deinterleave(out.data, 2).map((c) => decodeUlaw(c));
    // The tone is on the left (external) channel only.
    expect(rms(left as Int16Array)).toBeGreaterThan(5000);
    expect(rms(right as Int16Array)).toBeLessThan(50);
  });

  it('passes an 8 kHz μ-law file through byte for byte', () => {
    const data = Uint8Array.from({ length: 1600 }, (_, i) => i & 0xff);
    const bytes = encodeWav({ encoding: 'ulaw', sampleRate: 8000, channels: 2 }, data);
    const conversion = convertWav(bytes);
    expect(conversion.converted).toBe(false);
    expect(Buffer.from(parseWav(conversion.wav).data).equals(Buffer.from(data))).toBe(true);
  });

  it('encodes an 8 kHz mono PCM file to μ-law without resampling', async () => {
    const conversion = convertWav(new Uint8Array(await readFile(fixture('mono-pcm16-8k.wav'))));
    expect(parseWav(conversion.wav).format).toEqual({
      encoding: 'ulaw',
      sampleRate: 8000,
      channels: 1,
    });
    expect(parseWav(conversion.wav).frames).toBe(4000);
  });

  it('rejects garbage and more than two channels with a clear error', () => {
    expect(() => convertWav(new Uint8Array(10))).toThrow(AudioInputError);
    const quad = encodeWav({ encoding: 'ulaw', sampleRate: 8000, channels: 4 }, new Uint8Array(8));
    expect(() => convertWav(quad)).toThrow(/4 channels/);
  });

  it('reports a missing file', async () => {
    await expect(wavFileSource(fixture('missing.wav'))).rejects.toThrow(/cannot read/);
  });

  it('streams the mono file on whichever channel the server picks', async () => {
    const { source } = await wavFileSource(fixture('mono-pcm16-8k.wav'), { realtime: false });
    expect(source.offeredMedia.map((m) => m.channels)).toEqual([['external'], ['internal']]);
    let bytes = 0;
    for await (const frame of source.frames(source.offeredMedia[1] as never)) bytes += frame.length;
    expect(bytes).toBe(4000);
  });
});

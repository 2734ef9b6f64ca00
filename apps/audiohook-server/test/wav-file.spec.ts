// The recording's WAV on a bare descriptor (issue 18): what is written is in the file, a failed
// write is reported without leaving `close` waiting, and nothing is written after close.

import { openSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { FdWavSink, openRecordingWav } from '../src/lib/recording/wav-file';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ahs-wav-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openRecordingWav', () => {
  it('writes a WAV holding every appended byte', async () => {
    const path = join(dir, 'a.wav');
    const writer = await openRecordingWav(
      path,
      { encoding: 'ulaw', sampleRate: 8000, channels: 2 },
      { headerUpdate: 'close' },
    );
    for (let i = 0; i < 4; i++) await writer.append(new Uint8Array(3200).fill(i + 1));
    await writer.close();
    const wav = parseWav(await readFile(path));
    expect(wav.format).toMatchObject({ encoding: 'ulaw', sampleRate: 8000, channels: 2 });
    expect(wav.data.length).toBe(12_800);
    expect(wav.data[3200 * 3]).toBe(4);
  });

  it('fails when the file cannot be created', async () => {
    await expect(
      openRecordingWav(
        join(dir, 'missing', 'b.wav'),
        { encoding: 'ulaw', sampleRate: 8000, channels: 1 },
        {},
      ),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('FdWavSink', () => {
  it('rejects a write with bad arguments and still closes, and refuses writes after close', async () => {
    const sink = new FdWavSink(openSync(join(dir, 'c.wav'), 'w'));
    await expect(sink.write({} as Uint8Array, 0)).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_TYPE',
    });
    await sink.write(new Uint8Array([1, 2, 3, 4]), 0);
    await sink.close();
    await expect(sink.write(new Uint8Array(4), 0)).rejects.toThrow(/closed/);
    expect([...(await readFile(join(dir, 'c.wav')))]).toEqual([1, 2, 3, 4]);
  });
});

// The recording's WAV through the recording I/O (issue 18): what is written is in the file, the
// writer takes audio before the file exists, a file that cannot be created is reported, and
// nothing is written after close.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav, type WavSink } from '@org/audio';
import { WorkerIo } from '../src/lib/recording/recording-io';
import { startRecordingWav } from '../src/lib/recording/wav-file';

let dir: string;
let io: WorkerIo;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ahs-wav-'));
  io = new WorkerIo({ batchMs: 5 });
});
afterEach(async () => {
  await io.close();
  await rm(dir, { recursive: true, force: true });
});

const stereo = { encoding: 'ulaw', sampleRate: 8000, channels: 2 } as const;

describe('startRecordingWav', () => {
  it('takes appends before the file exists and writes a WAV holding every byte', async () => {
    const path = join(dir, 'a.wav');
    const writer = startRecordingWav(io, path, stereo, { headerUpdate: 'close' });
    const appends = [0, 1, 2, 3].map((i) => writer.append(new Uint8Array(3200).fill(i + 1)));
    await Promise.all(appends);
    await writer.drained();
    await writer.close();
    const wav = parseWav(await readFile(path));
    expect(wav.format).toMatchObject({ encoding: 'ulaw', sampleRate: 8000, channels: 2 });
    expect(wav.data.length).toBe(12_800);
    expect(wav.data[3200 * 3]).toBe(4);
  });

  it('rejects drained() with the file system error when the file cannot be created', async () => {
    const writer = startRecordingWav(io, join(dir, 'missing', 'b.wav'), stereo, {});
    await expect(writer.drained()).rejects.toMatchObject({
      code: 'AUDIO_ERR_WAV_WRITE_FAILED',
      cause: { code: 'ENOENT', syscall: 'open' },
    });
    expect(writer.state).toBe('failed');
    expect(() => writer.append(new Uint8Array(2))).toThrow(
      expect.objectContaining({ code: 'AUDIO_ERR_WAV_WRITE_FAILED' }),
    );
  });
});

describe('a recording file as the WAV sink', () => {
  it('writes at positions, closes once, and refuses writes after close', async () => {
    const path = join(dir, 'c.wav');
    const sink: WavSink = io.open(path);
    await Promise.all([
      sink.write(new Uint8Array([3, 4]), 2),
      sink.write(new Uint8Array([1, 2]), 0),
    ]);
    await sink.close();
    await sink.close();
    await expect(sink.write(new Uint8Array(4), 0)).rejects.toThrow(/closed/);
    expect([...(await readFile(path))]).toEqual([1, 2, 3, 4]);
  });
});

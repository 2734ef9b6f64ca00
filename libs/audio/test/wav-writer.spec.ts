import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AudioError,
  AudioErrorCode,
  MemoryWavSink,
  WavWriter,
  parseWav,
  type WavFormat,
  type WavSink,
} from '../src';
import { FileWavSink, openWavFile } from '../src/node';
import { audioError } from './helpers';

const stereoUlaw: WavFormat = { encoding: 'ulaw', sampleRate: 8000, channels: 2 };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wav-writer-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('WavWriter', () => {
  it('writes the spec example: five 3200-byte stereo PCMU frames are 4000 samples, 0.5 s', async () => {
    const sink = new MemoryWavSink();
    const writer = await WavWriter.open(sink, stereoUlaw);
    for (let i = 0; i < 5; i++) await writer.append(new Uint8Array(3200).fill(i));
    const summary = await writer.close();
    expect(summary).toEqual({
      format: stereoUlaw,
      dataBytes: 16000,
      frames: 8000,
      durationSeconds: 1,
      fileBytes: 16044,
    });
    const wav = parseWav(sink.bytes());
    expect(wav.frames).toBe(8000);
    expect(wav.data[3200]).toBe(1);
    expect(sink.closed).toBe(true);
  });

  it('leaves a complete, readable file after every append', async () => {
    const sink = new MemoryWavSink();
    const writer = await WavWriter.open(sink, stereoUlaw);
    expect(parseWav(sink.bytes()).frames).toBe(0);
    for (let i = 1; i <= 3; i++) {
      await writer.append(new Uint8Array(320).fill(i));
      const wav = parseWav(sink.bytes());
      expect(wav.frames).toBe(160 * i);
      expect(wav.data[wav.data.length - 1]).toBe(i);
    }
  });

  it("with headerUpdate 'close', a reader in recover mode still finds the audio before close", async () => {
    const sink = new MemoryWavSink();
    const writer = await WavWriter.open(sink, stereoUlaw, { headerUpdate: 'close' });
    await writer.append(new Uint8Array(320).fill(7));
    expect(parseWav(sink.bytes()).frames).toBe(0);
    expect(parseWav(sink.bytes(), { recover: true }).frames).toBe(160);
    await writer.close();
    expect(parseWav(sink.bytes()).frames).toBe(160);
  });

  it('keeps appends in call order without awaiting each one, and reports pending bytes', async () => {
    const sink = new MemoryWavSink();
    const writer = await WavWriter.open(sink, { encoding: 'ulaw', sampleRate: 8000, channels: 1 });
    const appends = [1, 2, 3, 4].map((v) => writer.append(new Uint8Array(10).fill(v)));
    expect(writer.pendingBytes).toBe(40);
    await Promise.all(appends);
    expect(writer.pendingBytes).toBe(0);
    await writer.close();
    expect(Array.from(parseWav(sink.bytes()).data)).toEqual(
      [1, 2, 3, 4].flatMap((v) => Array(10).fill(v)),
    );
  });

  it('copies each appended chunk, so a caller may reuse one frame buffer before the writes run', async () => {
    const sink = new MemoryWavSink();
    const writer = await WavWriter.open(sink, { encoding: 'ulaw', sampleRate: 8000, channels: 1 });
    const frame = new Uint8Array(160);
    const pending: Promise<void>[] = [];
    for (let i = 1; i <= 3; i++) {
      frame.fill(i);
      pending.push(writer.append(frame));
    }
    frame.fill(0xee);
    await Promise.all(pending);
    await writer.close();
    const data = parseWav(sink.bytes()).data;
    expect([data[0], data[159], data[160], data[319], data[320], data[479]]).toEqual([
      1, 1, 2, 2, 3, 3,
    ]);
  });

  it('writes the very chunk given to appendOwned, without a copy', async () => {
    const written: Uint8Array[] = [];
    const sink = new MemoryWavSink();
    const write = sink.write.bind(sink);
    sink.write = (bytes: Uint8Array, position: number) => {
      written.push(bytes);
      return write(bytes, position);
    };
    const writer = await WavWriter.open(sink, { encoding: 'ulaw', sampleRate: 8000, channels: 1 });
    const chunk = new Uint8Array(160).fill(7);
    await writer.appendOwned(chunk);
    await writer.close();
    expect(written).toContain(chunk);
    expect(parseWav(sink.bytes()).data).toEqual(chunk);
  });

  it('copies the samples of appendSamples, so the caller may reuse its Int16Array at once', async () => {
    const sink = new MemoryWavSink();
    const writer = await WavWriter.open(sink, { encoding: 'pcm16', sampleRate: 8000, channels: 1 });
    const samples = new Int16Array(4).fill(1000);
    const first = writer.appendSamples(samples);
    samples.fill(-1);
    await Promise.all([first, writer.appendSamples(samples)]);
    await writer.close();
    const wav = parseWav(sink.bytes());
    expect(Array.from(new Int16Array(wav.data.slice().buffer))).toEqual([
      1000, 1000, 1000, 1000, -1, -1, -1, -1,
    ]);
  });

  it('pads an odd data length with one byte on close', async () => {
    const sink = new MemoryWavSink();
    const writer = await WavWriter.open(sink, { encoding: 'ulaw', sampleRate: 8000, channels: 1 });
    await writer.append(new Uint8Array([1, 2, 3]));
    const summary = await writer.close();
    expect(summary.fileBytes).toBe(48);
    const bytes = sink.bytes();
    expect(bytes.length).toBe(48);
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(40);
    expect(parseWav(bytes).data.length).toBe(3);
  });

  it('writes 16-bit samples little-endian with appendSamples', async () => {
    const sink = new MemoryWavSink();
    const writer = await WavWriter.open(sink, {
      encoding: 'pcm16',
      sampleRate: 16000,
      channels: 1,
    });
    const samples = new Int16Array([1, -2, 258]);
    const pending = writer.appendSamples(samples);
    samples[0] = 999; // changing the caller's array after the call must not change the file
    await pending;
    await writer.close();
    expect(Array.from(parseWav(sink.bytes()).data)).toEqual([1, 0, 0xfe, 0xff, 2, 1]);
  });

  it('rejects appendSamples on a G.711 file', async () => {
    const writer = await WavWriter.open(new MemoryWavSink(), stereoUlaw);
    await expect(writer.appendSamples(new Int16Array(2))).rejects.toEqual(
      audioError(AudioErrorCode.InvalidArgument),
    );
  });

  it('rejects a chunk that is not whole sample frames', async () => {
    const writer = await WavWriter.open(new MemoryWavSink(), stereoUlaw);
    await expect(writer.append(new Uint8Array(3))).rejects.toEqual(
      audioError(AudioErrorCode.InvalidArgument),
    );
    expect(writer.dataBytes).toBe(0);
  });

  it('treats an empty chunk as a no-op', async () => {
    const writer = await WavWriter.open(new MemoryWavSink(), stereoUlaw);
    await writer.append(new Uint8Array(0));
    expect(writer.dataBytes).toBe(0);
  });

  it('refuses appends after close and returns the same summary on a second close', async () => {
    const writer = await WavWriter.open(new MemoryWavSink(), stereoUlaw);
    await writer.append(new Uint8Array(4));
    const first = await writer.close();
    expect(() => writer.append(new Uint8Array(4))).toThrow(
      audioError(AudioErrorCode.WavWriterClosed) as Error,
    );
    await expect(writer.close()).resolves.toEqual(first);
    expect(writer.state).toBe('closed');
  });

  it('reports a failed sink write as WAV_WRITE_FAILED with the cause, and stays failed', async () => {
    const cause = new Error('disk full');
    let writes = 0;
    const sink: WavSink = {
      write: async () => {
        if (++writes > 3) throw cause;
      },
      close: jest.fn(async () => undefined),
    };
    const writer = await WavWriter.open(sink, stereoUlaw);
    await writer.append(new Uint8Array(2)); // header at open, then data + header: 3 writes succeed
    const failed = await writer.append(new Uint8Array(2)).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(AudioError);
    expect((failed as AudioError).code).toBe(AudioErrorCode.WavWriteFailed);
    expect((failed as AudioError).cause).toBe(cause);
    expect(writer.state).toBe('failed');
    await expect(writer.close()).rejects.toEqual(audioError(AudioErrorCode.WavWriteFailed));
    expect(() => writer.append(new Uint8Array(2))).toThrow(
      audioError(AudioErrorCode.WavWriteFailed) as Error,
    );
  });

  it('reports a failed header write at open and closes the sink', async () => {
    const close = jest.fn(async () => undefined);
    const sink: WavSink = { write: async () => Promise.reject(new Error('EACCES')), close };
    await expect(WavWriter.open(sink, stereoUlaw)).rejects.toEqual(
      audioError(AudioErrorCode.WavWriteFailed),
    );
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('start returns at once, queues the header first and takes appends before it is written', async () => {
    const order: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inner = new MemoryWavSink();
    const sink: WavSink = {
      write: async (data, position) => {
        order.push(position);
        if (order.length === 1) await gate; // the header write is slow
        await inner.write(data, position);
      },
      close: () => inner.close(),
    };
    const writer = WavWriter.start(sink, stereoUlaw);
    const appended = writer.append(new Uint8Array(3200).fill(9));
    expect(writer.pendingBytes).toBe(3200);
    release();
    await appended;
    await writer.drained();
    await writer.close();
    expect(order[0]).toBe(0);
    expect(order[1]).toBe(44);
    const wav = parseWav(inner.bytes());
    expect(wav.data.length).toBe(3200);
    expect(wav.data[0]).toBe(9);
  });

  it('start reports a failed header write through drained(), fails later calls and closes the sink', async () => {
    const close = jest.fn(async () => undefined);
    const sink: WavSink = { write: async () => Promise.reject(new Error('EACCES')), close };
    const writer = WavWriter.start(sink, stereoUlaw);
    await expect(writer.drained()).rejects.toEqual(audioError(AudioErrorCode.WavWriteFailed));
    expect(writer.state).toBe('failed');
    expect(close).toHaveBeenCalledTimes(1);
    expect(() => writer.append(new Uint8Array(2))).toThrow(
      audioError(AudioErrorCode.WavWriteFailed) as Error,
    );
    expect(() => WavWriter.start(sink, { ...stereoUlaw, channels: 0 })).toThrow(
      audioError(AudioErrorCode.InvalidArgument) as Error,
    );
  });

  it('abort closes the sink of a failed writer too', async () => {
    const close = jest.fn(async () => undefined);
    let writes = 0;
    const sink: WavSink = {
      write: async () => {
        if (++writes > 1) throw new Error('disk full');
      },
      close,
    };
    const writer = await WavWriter.open(sink, stereoUlaw);
    await writer.append(new Uint8Array(2)).catch(() => undefined);
    expect(writer.state).toBe('failed');
    await writer.abort();
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('refuses data beyond the 4 GiB RIFF limit without writing it', async () => {
    const writer = await WavWriter.open(new MemoryWavSink(), {
      encoding: 'ulaw',
      sampleRate: 8000,
      channels: 1,
    });
    const huge = { length: 0xffffffff } as unknown as Uint8Array;
    await expect(writer.append(huge)).rejects.toEqual(audioError(AudioErrorCode.WavTooLarge));
  });

  it('aborts without waiting and closes the sink; further calls are refused', async () => {
    const sink = new MemoryWavSink();
    const writer = await WavWriter.open(sink, stereoUlaw);
    await writer.abort();
    expect(sink.closed).toBe(true);
    await expect(writer.close()).rejects.toEqual(audioError(AudioErrorCode.WavWriterClosed));
    await writer.abort();
  });

  it('rejects an invalid format at open', async () => {
    await expect(
      WavWriter.open(new MemoryWavSink(), { encoding: 'ulaw', sampleRate: 8000, channels: 0 }),
    ).rejects.toEqual(audioError(AudioErrorCode.InvalidArgument));
  });
});

describe('openWavFile', () => {
  it('writes a file that is valid on disk after every append and after close', async () => {
    const path = join(dir, 'call.wav');
    const writer = await openWavFile(path, stereoUlaw);
    await writer.append(new Uint8Array(320).fill(1));
    expect(parseWav(readFileSync(path)).frames).toBe(160);
    await writer.sync();
    await writer.append(new Uint8Array(320).fill(2));
    expect(parseWav(readFileSync(path)).frames).toBe(320);
    await writer.close();
    const wav = parseWav(readFileSync(path));
    expect(wav.frames).toBe(320);
    expect(wav.durationSeconds).toBeCloseTo(0.04);
  });

  it('lets close wait for writes under way, and refuses writes after close', async () => {
    const handle = await open(join(dir, 'sink.bin'), 'w');
    const sink = new FileWavSink(handle);
    const big = new Uint8Array(4 << 20).fill(7);
    const writes = [sink.write(big, 0), sink.write(big, big.length)];
    await sink.close();
    await Promise.all(writes);
    expect(statSync(join(dir, 'sink.bin')).size).toBe(2 * big.length);
    await expect(sink.write(new Uint8Array(4), 0)).rejects.toThrow();
  });

  it('rejects an invalid format before creating the file', async () => {
    await expect(
      openWavFile(join(dir, 'x.wav'), { encoding: 'ulaw', sampleRate: -1, channels: 1 }),
    ).rejects.toThrow(AudioError);
  });

  it('leaves a readable file when the writing process is killed mid-stream', async () => {
    const path = join(dir, 'killed.wav');
    const root = join(__dirname, '../../..');
    const child = fork(join(__dirname, 'fixtures/scripts/append-forever.ts'), [path], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'libs/audio/tsconfig.json') },
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`child exited early with ${String(code)}`)));
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const bytes = readFileSync(path);
    const wav = parseWav(bytes);
    expect(wav.format).toEqual(stereoUlaw);
    expect(wav.frames).toBeGreaterThanOrEqual(5 * 160);
    expect(wav.data.length % 320).toBe(0);
    // Whatever was written past the header's sizes is at most one unfinished frame.
    expect(bytes.length - 44 - wav.data.length).toBeLessThanOrEqual(320);
  });
});

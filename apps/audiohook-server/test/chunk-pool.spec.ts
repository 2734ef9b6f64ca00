import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { ChunkPool } from '../src/lib/recording/chunk-pool';
import { SessionRecorder } from '../src/lib/recording/session-recorder';

describe('ChunkPool', () => {
  it('hands out returned chunks before making new ones, up to maxFree kept', () => {
    const pool = new ChunkPool({ chunkBytes: 64, maxFree: 1 });
    const a = pool.take();
    const b = pool.take();
    expect(a).not.toBe(b);
    expect(a.byteLength).toBe(64);
    pool.give(a);
    pool.give(b); // beyond maxFree: left to the garbage collector
    expect(pool.free).toBe(1);
    expect(pool.take()).toBe(a);
    expect(pool.free).toBe(0);
  });

  it('keeps only whole chunks of its own size', () => {
    const pool = new ChunkPool({ chunkBytes: 64, maxFree: 8 });
    pool.give(new Uint8Array(32));
    pool.give(new Uint8Array(128).subarray(0, 64));
    pool.give(new Uint8Array(128).subarray(64));
    expect(pool.free).toBe(0);
  });

  it.each([
    [{ chunkBytes: 0, maxFree: 1 }],
    [{ chunkBytes: 1.5, maxFree: 1 }],
    [{ chunkBytes: 64, maxFree: -1 }],
  ])('refuses %j', (options) => {
    expect(() => new ChunkPool(options)).toThrow(RangeError);
  });
});

describe('SessionRecorder with a shared chunk pool', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ahs-pool-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('records every byte while chunks are reused across recorders', async () => {
    const pool = new ChunkPool({ chunkBytes: 6400, maxFree: 2 });
    const recorders = [0, 1].map(
      () => new SessionRecorder({ directory: dir, flushBytes: 6400, chunkPool: pool }),
    );
    for (const rec of recorders) {
      rec.commit();
      await rec.startAudio({ encoding: 'ulaw', sampleRate: 8000, channels: 2 });
    }
    // 20 frames each, distinct bytes per recorder and frame, waiting for the writes now and then
    // so that written chunks come back to the pool and are filled again.
    for (let i = 0; i < 20; i++) {
      recorders.forEach((rec, r) => rec.appendAudio(new Uint8Array(3200).fill(r * 100 + i)));
      if (i % 3 === 2) await Promise.all(recorders.map((rec) => rec.whenDrained(0)));
    }
    for (const rec of recorders) await rec.finish();
    expect(pool.free).toBeGreaterThan(0);
    for (const [r, rec] of recorders.entries()) {
      const data = parseWav(new Uint8Array(await readFile(rec.wavPath))).data;
      expect(data.length).toBe(20 * 3200);
      for (let i = 0; i < 20; i++) {
        expect(data.subarray(i * 3200, (i + 1) * 3200).every((v) => v === r * 100 + i)).toBe(true);
      }
    }
  });

  it('refuses a pool whose chunks differ from flushBytes', () => {
    const chunkPool = new ChunkPool({ chunkBytes: 4096, maxFree: 1 });
    expect(() => new SessionRecorder({ directory: '/tmp', flushBytes: 8192, chunkPool })).toThrow(
      /4096-byte chunks but flushBytes is 8192/,
    );
  });
});

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { ChunkPool } from '../src/lib/recording/chunk-pool';
import { SessionRecorder } from '../src/lib/recording/session-recorder';

describe('ChunkPool', () => {
  it('hands out returned chunks before making new ones, up to maxFree kept', () => {
    const pool = new ChunkPool({ chunkBytes: 64, maxFree: 1, arenaChunks: 1 });
    const a = pool.take();
    const b = pool.take();
    expect(a).not.toBe(b);
    expect(a.byteLength).toBe(64);
    pool.give(a);
    pool.give(b); // beyond maxFree: its arena is let go
    expect(pool.free).toBe(1);
    expect(pool.arenas).toBe(1);
    expect(pool.take()).toBe(a);
    expect(pool.free).toBe(0);
  });

  it('cuts chunks from shared arenas, telling of each arena once before its first chunk is used', () => {
    const arenas: SharedArrayBuffer[] = [];
    const pool = new ChunkPool({
      chunkBytes: 64,
      maxFree: 100,
      arenaChunks: 4,
      onArena: (arena) => arenas.push(arena),
    });
    const chunks = Array.from({ length: 5 }, () => pool.take());
    expect(arenas).toHaveLength(2);
    expect(arenas.map((arena) => arena.byteLength)).toEqual([256, 256]);
    expect(chunks.slice(0, 4).every((chunk) => chunk.buffer === arenas[0])).toBe(true);
    expect(chunks[4]?.buffer).toBe(arenas[1]);
    // The chunks of an arena do not overlap.
    expect(new Set(chunks.slice(0, 4).map((chunk) => chunk.byteOffset)).size).toBe(4);
    expect(chunks.every((chunk) => chunk.byteLength === 64)).toBe(true);
    expect(pool.free).toBe(3);
    expect(pool.arenas).toBe(2);
  });

  it('lets an arena go once all its chunks are back and more than maxFree chunks are free', () => {
    const released: SharedArrayBuffer[] = [];
    const pool = new ChunkPool({
      chunkBytes: 64,
      maxFree: 2,
      arenaChunks: 2,
      onArenaReleased: (arena) => released.push(arena),
    });
    const a = pool.take();
    const b = pool.take();
    const c = pool.take();
    expect(pool.arenas).toBe(2);
    pool.give(c); // the second arena is all free, but only 2 chunks are: kept
    expect(released).toEqual([]);
    pool.give(a);
    pool.give(b); // the first arena is all free and 4 chunks are: it goes
    expect(released).toHaveLength(1);
    expect(released[0]).toBe(a.buffer);
    expect(pool.arenas).toBe(1);
    expect(pool.free).toBe(2);
    // What is handed out now comes from the arena kept.
    expect(pool.take().buffer).toBe(c.buffer);
    expect(pool.take().buffer).toBe(c.buffer);
  });

  it('ignores a chunk given back twice, so no chunk is handed to two recorders at once', () => {
    const pool = new ChunkPool({ chunkBytes: 64, maxFree: 8, arenaChunks: 1 });
    const a = pool.take();
    pool.give(a);
    pool.give(a);
    expect(pool.free).toBe(1);
    expect(pool.take()).toBe(a);
    expect(pool.take()).not.toBe(a);
  });

  it('keeps only chunks it handed out', () => {
    const pool = new ChunkPool({ chunkBytes: 64, maxFree: 8 });
    pool.give(new Uint8Array(32));
    pool.give(new Uint8Array(64));
    pool.give(new Uint8Array(new SharedArrayBuffer(128)).subarray(64));
    expect(pool.free).toBe(0);
  });

  it.each([
    [{ chunkBytes: 0, maxFree: 1 }],
    [{ chunkBytes: 1.5, maxFree: 1 }],
    [{ chunkBytes: 64, maxFree: -1 }],
    [{ chunkBytes: 64, maxFree: 1, arenaChunks: 0 }],
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
    const pool = new ChunkPool({ chunkBytes: 6400, maxFree: 8, arenaChunks: 4 });
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

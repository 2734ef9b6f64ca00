import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { ChunkPool } from '../src/lib/recording/chunk-pool';
import { SessionRecorder } from '../src/lib/recording/session-recorder';

describe('ChunkPool', () => {
  it('hands out returned chunks before making new ones', () => {
    const pool = new ChunkPool({ chunkBytes: 64, maxFree: 1, arenaChunks: 1 });
    const a = pool.take();
    const b = pool.take();
    expect(a).not.toBe(b);
    expect(a.byteLength).toBe(64);
    pool.give(a);
    pool.give(b);
    expect(pool.free).toBe(2);
    expect(pool.arenas).toBe(2);
    expect(pool.take()).toBe(a); // the lowest arena first
    expect(pool.take()).toBe(b);
    expect(pool.free).toBe(0);
    expect(pool.arenas).toBe(2);
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

  it('keeps its arenas when chunks come back: only trim lets them go', () => {
    const released: SharedArrayBuffer[] = [];
    const pool = new ChunkPool({
      chunkBytes: 64,
      maxFree: 0,
      arenaChunks: 2,
      onArenaReleased: (arena) => released.push(arena),
    });
    const chunks = Array.from({ length: 6 }, () => pool.take());
    for (const chunk of chunks) pool.give(chunk);
    expect(released).toEqual([]);
    expect(pool.arenas).toBe(3);
    expect(pool.free).toBe(6);
  });

  it('trims only the chunks no one needed since the last trim beyond maxFree, the last arenas first', () => {
    const released: SharedArrayBuffer[] = [];
    const pool = new ChunkPool({
      chunkBytes: 64,
      maxFree: 2,
      arenaChunks: 2,
      onArenaReleased: (arena) => released.push(arena),
    });
    // A burst: 8 chunks (4 arenas) in use at once, then all back.
    const burst = Array.from({ length: 8 }, () => pool.take());
    for (const chunk of burst) pool.give(chunk);
    // The pool ran dry during the burst, so nothing is spare yet.
    expect(pool.trim()).toBe(0);
    // Over the next interval at most 2 chunks are in use: 6 stayed free, 4 beyond maxFree.
    const a = pool.take();
    const b = pool.take();
    pool.give(a);
    pool.give(b);
    expect(pool.trim()).toBe(2);
    expect(released).toEqual([burst[7]?.buffer, burst[5]?.buffer]);
    expect(pool.arenas).toBe(2);
    expect(pool.free).toBe(4);
    // Nothing used since: 4 free, 2 beyond maxFree, one arena's worth.
    expect(pool.trim()).toBe(1);
    expect(pool.arenas).toBe(1);
    expect(pool.trim()).toBe(0);
    expect(pool.arenas).toBe(1);
  });

  it('trims only arenas whose chunks are all free', () => {
    const pool = new ChunkPool({ chunkBytes: 64, maxFree: 0, arenaChunks: 2 });
    const chunks = Array.from({ length: 6 }, () => pool.take());
    pool.give(chunks[0] as Uint8Array);
    pool.give(chunks[2] as Uint8Array);
    pool.give(chunks[4] as Uint8Array);
    pool.trim(); // resets the low-water mark: 3 free
    expect(pool.trim()).toBe(0); // each arena still has a chunk in use
    expect(pool.arenas).toBe(3);
    pool.give(chunks[5] as Uint8Array);
    pool.trim();
    // 3 chunks stayed free since the last trim: one arena's worth, and the last arena is all free.
    expect(pool.arenas).toBe(2);
    expect(pool.free).toBe(2);
  });

  it('packs the chunks in use into the first arenas, so the last ones empty out', () => {
    const pool = new ChunkPool({ chunkBytes: 64, maxFree: 0, arenaChunks: 4 });
    const chunks = Array.from({ length: 12 }, () => pool.take());
    // Every other chunk comes back, then three are taken again: from the first two arenas.
    for (let i = 0; i < 12; i += 2) pool.give(chunks[i] as Uint8Array);
    const again = Array.from({ length: 3 }, () => pool.take());
    expect(again.map((chunk) => chunk.buffer)).toEqual([
      chunks[0]?.buffer,
      chunks[0]?.buffer,
      chunks[4]?.buffer,
    ]);
    expect(chunks[4]?.buffer).not.toBe(chunks[0]?.buffer);
  });

  it('puts a new arena in the slot of a trimmed one, and keeps handing out distinct chunks', () => {
    const pool = new ChunkPool({ chunkBytes: 64, maxFree: 0, arenaChunks: 2 });
    const live = new Set<Uint8Array>();
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    for (let step = 0; step < 5_000; step++) {
      const action = random(10);
      if (action < 5) {
        const chunk = pool.take();
        expect(live.has(chunk)).toBe(false);
        live.add(chunk);
      } else if (action < 9 && live.size > 0) {
        const chunk = [...live][random(live.size)] as Uint8Array;
        live.delete(chunk);
        pool.give(chunk);
      } else {
        pool.trim();
      }
      expect(pool.free + live.size).toBe(pool.arenas * 2);
    }
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

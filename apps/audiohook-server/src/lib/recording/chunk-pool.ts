// Recycles the recorders' audio chunks.
//
// Every recording session fills one chunk (16 KiB by default, about a second of stereo PCMU) and
// hands it to the WAV writer. A fresh chunk each time made ~32 MB/s of ArrayBuffers at 2,000
// sessions; living about a second, they were promoted to V8's old generation and reclaimed only
// by full collections, which then ran every 0.3 to 1 s (108 in one 55 s run) and whose
// concurrent marking cost a third of the server's CPU. Written chunks come back here instead.
//
// Chunks live in SharedArrayBuffers: the recording I/O worker thread (recording-io.ts) then
// writes them from the same memory. A plain ArrayBuffer would be copied into the worker with
// every write, and those copies (16 KiB per session per second) stayed in the worker's heap
// until its next collection: about 20 KB more RSS per session at 2,000 sessions.
//
// The chunks are cut from arenas, one SharedArrayBuffer of many chunks each. A SharedArrayBuffer
// of its own per chunk cost about 55 µs to create on this machine whatever its size, and when a
// busy server's writes came back late every session took a new one: at 4,000 sessions creating
// them grew to a tenth of the main thread and tipped the server into overload. An arena is
// created once for `arenaChunks` chunks and shown to the I/O worker once (`onArena`), so a write
// names it by number instead of sending a SharedArrayBuffer across threads.
//
// Arenas are kept through bursts and let go by `trim()` (a timer calls it): only the chunks no
// session needed since the previous trim, beyond `maxFree`, and only whole arenas. Letting an
// arena go as soon as its chunks came back (as before) made an overloaded server pay for its
// memory again and again: late writes make chunks pile up in flight, they all come back in one
// burst, arenas went, and the next late batch needed new ones. In one 5,000-session run the pool
// created 3,977 arenas (4 GiB) to hold 258 at the end; new memory costs 1-3 ms per MiB to touch
// on this virtual machine (15 to 45 times a copy into memory used before, and counted in the
// recorders' copy), and the arenas let go waited for V8's collector, so RSS reached 3.3 GB. Chunks are handed out from
// the lowest arena that has one, so the chunks in use pack into the first arenas and the last
// ones empty out to be trimmed.

/** Options of {@link ChunkPool}. */
export interface ChunkPoolOptions {
  /** Bytes of each chunk. */
  readonly chunkBytes: number;
  /**
   * Free chunks `trim` keeps: it lets go of whole arenas holding only chunks beyond this many
   * that no one needed since the previous trim.
   */
  readonly maxFree: number;
  /** Chunks per arena (one SharedArrayBuffer). @default 64 */
  readonly arenaChunks?: number;
  /** Told of each new arena before any of its chunks is handed out. */
  readonly onArena?: (arena: SharedArrayBuffer) => void;
  /** Told of an arena let go: none of its chunks is in use, and none will be again. */
  readonly onArenaReleased?: (arena: SharedArrayBuffer) => void;
}

interface Arena {
  readonly buffer: SharedArrayBuffer;
  /** Its free chunks. */
  readonly free: Uint8Array[];
  /** Its index in the pool's arena list. */
  readonly slot: number;
}

interface ChunkState {
  readonly arena: Arena;
  free: boolean;
}

/**
 * A free list of equal-sized chunks cut from shared arenas, shared by every recorder of a
 * server. A chunk given back twice, or one the pool did not hand out, is ignored.
 *
 * @example
 * ```ts
 * const pool = new ChunkPool({ chunkBytes: 16384, maxFree: 64 });
 * const chunk = pool.take(); // fill it, write it
 * pool.give(chunk); // once the write has completed
 * setInterval(() => pool.trim(), 30_000).unref(); // memory a burst needed goes back later
 * ```
 */
export class ChunkPool {
  readonly chunkBytes: number;
  readonly arenaChunks: number;
  readonly #maxFree: number;
  readonly #onArena: ((arena: SharedArrayBuffer) => void) | undefined;
  readonly #onArenaReleased: ((arena: SharedArrayBuffer) => void) | undefined;
  /** Arenas by slot; a trimmed arena leaves its slot empty for the next new one. */
  #arenas: (Arena | undefined)[] = [];
  /** No arena in a slot below this one has a free chunk. */
  #first = 0;
  #held = 0;
  #free = 0;
  /** The fewest free chunks since the last trim. */
  #lowWater = 0;
  readonly #chunks = new WeakMap<Uint8Array, ChunkState>();

  constructor(options: ChunkPoolOptions) {
    const { chunkBytes, maxFree, arenaChunks = 64 } = options;
    if (!Number.isInteger(chunkBytes) || chunkBytes <= 0) {
      throw new RangeError(`chunkBytes must be a positive integer, got ${chunkBytes}`);
    }
    if (!Number.isInteger(maxFree) || maxFree < 0) {
      throw new RangeError(`maxFree must be a non-negative integer, got ${maxFree}`);
    }
    if (!Number.isInteger(arenaChunks) || arenaChunks <= 0) {
      throw new RangeError(`arenaChunks must be a positive integer, got ${arenaChunks}`);
    }
    this.chunkBytes = chunkBytes;
    this.arenaChunks = arenaChunks;
    this.#maxFree = maxFree;
    this.#onArena = options.onArena;
    this.#onArenaReleased = options.onArenaReleased;
  }

  /** Chunks waiting to be reused. */
  get free(): number {
    return this.#free;
  }

  /** Arenas held (each `arenaChunks * chunkBytes` bytes). */
  get arenas(): number {
    return this.#held;
  }

  /**
   * A chunk of `chunkBytes` bytes, from the lowest arena that has a free one (its old bytes
   * remain); a new arena when none has.
   */
  take(): Uint8Array {
    const arena = (this.#free > 0 ? this.#firstWithFree() : undefined) ?? this.#addArena();
    const chunk = arena.free.pop() as Uint8Array;
    (this.#chunks.get(chunk) as ChunkState).free = false;
    this.#free--;
    if (this.#free < this.#lowWater) this.#lowWater = this.#free;
    return chunk;
  }

  /** Returns a chunk nothing reads any more (its write has completed). */
  give(chunk: Uint8Array): void {
    const state = this.#chunks.get(chunk);
    if (state === undefined || state.free) return;
    state.free = true;
    const arena = state.arena;
    arena.free.push(chunk);
    this.#free++;
    if (arena.slot < this.#first) this.#first = arena.slot;
  }

  /**
   * Lets go of whole free arenas, the last ones first, holding no more than the chunks that
   * stayed free since the previous trim beyond `maxFree`. Returns how many went.
   */
  trim(): number {
    let spare = this.#lowWater - this.#maxFree;
    let released = 0;
    for (let slot = this.#arenas.length - 1; slot >= 0 && spare >= this.arenaChunks; slot--) {
      const arena = this.#arenas[slot];
      if (arena === undefined || arena.free.length !== this.arenaChunks) continue;
      this.#arenas[slot] = undefined;
      for (const chunk of arena.free) this.#chunks.delete(chunk);
      spare -= this.arenaChunks;
      this.#free -= this.arenaChunks;
      this.#held--;
      released++;
      this.#onArenaReleased?.(arena.buffer);
    }
    while (this.#arenas.length > 0 && this.#arenas[this.#arenas.length - 1] === undefined) {
      this.#arenas.pop();
    }
    this.#lowWater = this.#free;
    return released;
  }

  #firstWithFree(): Arena | undefined {
    for (let slot = this.#first; slot < this.#arenas.length; slot++) {
      const arena = this.#arenas[slot];
      if (arena !== undefined && arena.free.length > 0) {
        this.#first = slot;
        return arena;
      }
    }
    return undefined;
  }

  /** Cuts a new arena into free chunks (the first one on top), in the lowest empty slot. */
  #addArena(): Arena {
    const buffer = new SharedArrayBuffer(this.chunkBytes * this.arenaChunks);
    let slot = this.#arenas.indexOf(undefined);
    if (slot < 0) slot = this.#arenas.length;
    const arena: Arena = { buffer, free: [], slot };
    this.#arenas[slot] = arena;
    this.#held++;
    this.#onArena?.(buffer);
    for (let i = this.arenaChunks - 1; i >= 0; i--) {
      const chunk = new Uint8Array(buffer, i * this.chunkBytes, this.chunkBytes);
      this.#chunks.set(chunk, { arena, free: true });
      arena.free.push(chunk);
    }
    this.#free += this.arenaChunks;
    this.#first = Math.min(this.#first, slot);
    return arena;
  }
}

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

/** Options of {@link ChunkPool}. */
export interface ChunkPoolOptions {
  /** Bytes of each chunk. */
  readonly chunkBytes: number;
  /**
   * Free chunks to keep: past this many, an arena whose chunks are all free is let go (so at most
   * about `maxFree + arenaChunks` chunks sit unused).
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
  free: number;
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
 * ```
 */
export class ChunkPool {
  readonly chunkBytes: number;
  readonly arenaChunks: number;
  readonly #maxFree: number;
  readonly #onArena: ((arena: SharedArrayBuffer) => void) | undefined;
  readonly #onArenaReleased: ((arena: SharedArrayBuffer) => void) | undefined;
  #free: Uint8Array[] = [];
  readonly #chunks = new WeakMap<Uint8Array, ChunkState>();
  #arenas = 0;

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
    return this.#free.length;
  }

  /** Arenas held (each `arenaChunks * chunkBytes` bytes). */
  get arenas(): number {
    return this.#arenas;
  }

  /** A chunk of `chunkBytes` bytes: a returned one when there is one (its old bytes remain). */
  take(): Uint8Array {
    if (this.#free.length === 0) this.#addArena();
    const chunk = this.#free.pop() as Uint8Array;
    const state = this.#chunks.get(chunk) as ChunkState;
    state.free = false;
    state.arena.free--;
    return chunk;
  }

  /** Returns a chunk nothing reads any more (its write has completed). */
  give(chunk: Uint8Array): void {
    const state = this.#chunks.get(chunk);
    if (state === undefined || state.free) return;
    state.free = true;
    const arena = state.arena;
    arena.free++;
    this.#free.push(chunk);
    if (arena.free === this.arenaChunks && this.#free.length > this.#maxFree) {
      this.#release(arena);
    }
  }

  /** Cuts a new arena into free chunks (the first one on top). */
  #addArena(): void {
    const buffer = new SharedArrayBuffer(this.chunkBytes * this.arenaChunks);
    const arena: Arena = { buffer, free: this.arenaChunks };
    this.#arenas++;
    this.#onArena?.(buffer);
    for (let i = this.arenaChunks - 1; i >= 0; i--) {
      const chunk = new Uint8Array(buffer, i * this.chunkBytes, this.chunkBytes);
      this.#chunks.set(chunk, { arena, free: true });
      this.#free.push(chunk);
    }
  }

  #release(arena: Arena): void {
    this.#free = this.#free.filter((chunk) => this.#chunks.get(chunk)?.arena !== arena);
    this.#arenas--;
    this.#onArenaReleased?.(arena.buffer);
  }
}

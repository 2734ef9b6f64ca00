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

/**
 * A bounded free list of equal-sized chunks, shared by every recorder of a server.
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
  readonly #maxFree: number;
  readonly #free: Uint8Array[] = [];

  constructor(options: { readonly chunkBytes: number; readonly maxFree: number }) {
    if (!Number.isInteger(options.chunkBytes) || options.chunkBytes <= 0) {
      throw new RangeError(`chunkBytes must be a positive integer, got ${options.chunkBytes}`);
    }
    if (!Number.isInteger(options.maxFree) || options.maxFree < 0) {
      throw new RangeError(`maxFree must be a non-negative integer, got ${options.maxFree}`);
    }
    this.chunkBytes = options.chunkBytes;
    this.#maxFree = options.maxFree;
  }

  /** Chunks waiting to be reused. */
  get free(): number {
    return this.#free.length;
  }

  /** A chunk of `chunkBytes` bytes: a returned one when there is one (its old bytes remain). */
  take(): Uint8Array {
    return this.#free.pop() ?? new Uint8Array(new SharedArrayBuffer(this.chunkBytes));
  }

  /**
   * Returns a chunk nothing reads any more (its write has completed). Chunks of another size,
   * views into a larger buffer and chunks beyond `maxFree` are left to the garbage collector.
   */
  give(chunk: Uint8Array): void {
    if (
      chunk.byteLength === this.chunkBytes &&
      chunk.byteOffset === 0 &&
      chunk.buffer.byteLength === this.chunkBytes &&
      this.#free.length < this.#maxFree
    ) {
      this.#free.push(chunk);
    }
  }
}

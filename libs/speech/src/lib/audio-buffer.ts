// Audio a lane keeps: what no engine has finished with yet. It feeds a stream that is still
// connecting, and it is replayed into a new stream after a failure, so a retry loses nothing that
// fits in the bound. Past the bound the oldest audio goes first.

/** One chunk on the feed. */
export interface FeedChunk {
  /** Feed offset of the first sample, ns. */
  readonly feed: number;
  readonly durationNs: number;
  /** Interleaved 16-bit PCM of the lane's channels. */
  readonly pcm: Int16Array;
  /** True once written to a stream (dropping it then only shortens what a retry can replay). */
  sent: boolean;
}

/** What {@link PendingAudio.push} had to drop to stay within its bound. */
export interface DropReport {
  /** Audio dropped that had never reached an engine: lost for transcription, ns. */
  readonly unsentNs: number;
  /** Audio dropped that a stream already had (only the replay window shrank), ns. */
  readonly sentNs: number;
}

/**
 * A bounded FIFO of feed chunks: bounded by declared duration and by PCM samples, so chunks
 * whose declared duration understates their audio cannot hold more than the bound either.
 *
 * @example
 * ```ts
 * const buffer = new PendingAudio(30_000_000_000);
 * const dropped = buffer.push({ feed, durationNs, pcm, sent: false });
 * for (const chunk of buffer.from(replayPoint)) stream.write(chunk.pcm);
 * ```
 */
export class PendingAudio {
  readonly #maxNs: number;
  readonly #maxSamples: number;
  #chunks: FeedChunk[] = [];
  #head = 0;
  #durationNs = 0;
  #samples = 0;

  /**
   * @param maxNs Most audio held, ns.
   * @param maxSamples Most PCM samples held (all channels counted).
   */
  constructor(maxNs: number, maxSamples = Number.POSITIVE_INFINITY) {
    this.#maxNs = maxNs;
    this.#maxSamples = maxSamples;
  }

  /** Audio held, ns. */
  get durationNs(): number {
    return this.#durationNs;
  }

  /** PCM samples held (all channels counted). */
  get samples(): number {
    return this.#samples;
  }

  /** Feed offset of the oldest chunk held, or undefined when empty. */
  get start(): number | undefined {
    return this.#chunks[this.#head]?.feed;
  }

  /** Adds a chunk; drops the oldest while over a bound (never the chunk just added). */
  push(chunk: FeedChunk): DropReport {
    this.#chunks.push(chunk);
    this.#durationNs += chunk.durationNs;
    this.#samples += chunk.pcm.length;
    let unsentNs = 0;
    let sentNs = 0;
    while (
      (this.#durationNs > this.#maxNs || this.#samples > this.#maxSamples) &&
      this.#chunks.length - this.#head > 1
    ) {
      const oldest = this.#shift();
      if (oldest.sent) sentNs += oldest.durationNs;
      else unsentNs += oldest.durationNs;
    }
    return { unsentNs, sentNs };
  }

  /** Forgets chunks that end at or before `feedNs` (an engine finished with them). */
  trimBefore(feedNs: number): void {
    for (;;) {
      const oldest = this.#chunks[this.#head];
      if (oldest === undefined || oldest.feed + oldest.durationNs > feedNs) break;
      this.#shift();
    }
  }

  /** The chunks that end after `feedNs`, oldest first. */
  from(feedNs: number): FeedChunk[] {
    const out: FeedChunk[] = [];
    for (let i = this.#head; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i] as FeedChunk;
      if (chunk.feed + chunk.durationNs > feedNs) out.push(chunk);
    }
    return out;
  }

  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#durationNs = 0;
    this.#samples = 0;
  }

  #shift(): FeedChunk {
    const oldest = this.#chunks[this.#head++] as FeedChunk;
    this.#durationNs -= oldest.durationNs;
    this.#samples -= oldest.pcm.length;
    // Compact now and then instead of shifting the array on every chunk.
    if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
    return oldest;
  }
}

// Streaming WAV writer over any random-access sink. The file is valid after every completed
// append: audio is written first, then the 44-byte header is rewritten with the new sizes.

import { AudioError, AudioErrorCode } from './errors';
import { int16ToL16 } from './l16';
import {
  WAV_HEADER_BYTES,
  WAV_MAX_DATA_BYTES,
  assertWavFormat,
  encodeWavHeader,
  wavBlockAlign,
  type WavFormat,
} from './wav';

/** Where a {@link WavWriter} puts its bytes: positional writes, like `pwrite(2)`. */
export interface WavSink {
  /** Writes all of `data` at byte `position`. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Releases the sink. Called once, by `close()` or `abort()`. */
  close(): Promise<void>;
  /** Flushes written data to stable storage, if the sink can. */
  sync?(): Promise<void>;
}

/** Options of {@link WavWriter.open}. */
export interface WavWriterOptions {
  /**
   * When to rewrite the header with the current sizes.
   * - `'append'`: after every append, so a process that stops between appends leaves a complete,
   *   readable file with every appended frame.
   * - `'close'`: only at close (one write fewer per append). A process that stops early leaves a
   *   header that declares 0 bytes of audio; `parseWav(bytes, { recover: true })` finds it.
   * @default 'append'
   */
  readonly headerUpdate?: 'append' | 'close';
}

/** What a closed writer wrote. */
export interface WavSummary {
  readonly format: WavFormat;
  /** Audio bytes in the `data` chunk (without the pad byte). */
  readonly dataBytes: number;
  /** Sample frames written. */
  readonly frames: number;
  readonly durationSeconds: number;
  /** Size of the whole file, pad byte included. */
  readonly fileBytes: number;
}

/** Life cycle of a {@link WavWriter}. */
export type WavWriterState = 'open' | 'closing' | 'closed' | 'failed';

/**
 * Appends audio frames to a WAV file as they arrive and keeps the file readable throughout.
 *
 * Appends are written in call order; each returned promise settles when its bytes (and, by
 * default, the refreshed header) are handed to the sink. `pendingBytes` tells how much is
 * queued, for back-pressure. On close an odd data length gets its pad byte and the header its
 * final sizes.
 *
 * What a reader sees if the process stops:
 * - between appends (default `headerUpdate: 'append'`): a complete file holding every append;
 * - in the middle of an append: the file as it was after the previous append, plus some bytes of
 *   the unfinished one after the `data` chunk, which readers ignore
 *   (`parseWav(…, { recover: true })` keeps its whole frames);
 * - with `headerUpdate: 'close'`: a header declaring no audio followed by the audio; use
 *   `parseWav(…, { recover: true })`.
 *
 * @example
 * ```ts
 * const writer = await openWavFile('call.wav', { encoding: 'ulaw', sampleRate: 8000, channels: 2 });
 * for await (const frame of frames) await writer.append(frame);
 * const { durationSeconds } = await writer.close();
 * ```
 */
export class WavWriter {
  readonly format: WavFormat;
  readonly blockAlign: number;
  #sink: WavSink;
  #headerUpdate: 'append' | 'close';
  #dataBytes = 0;
  #reservedBytes = 0;
  #pendingBytes = 0;
  #state: WavWriterState = 'open';
  #failure: unknown;
  #tail: Promise<void> = Promise.resolve();
  #closing: Promise<WavSummary> | undefined;
  #header = new Uint8Array(WAV_HEADER_BYTES);

  private constructor(sink: WavSink, format: WavFormat, options: WavWriterOptions) {
    this.#sink = sink;
    this.format = Object.freeze({ ...format });
    this.blockAlign = wavBlockAlign(format);
    this.#headerUpdate = options.headerUpdate ?? 'append';
  }

  /**
   * Writes an empty but valid WAV header to `sink` and returns a writer that appends after it.
   *
   * @throws AudioError `AUDIO_ERR_INVALID_ARGUMENT` for a bad format,
   * `AUDIO_ERR_WAV_WRITE_FAILED` if the header cannot be written.
   */
  static async open(
    sink: WavSink,
    format: WavFormat,
    options: WavWriterOptions = {},
  ): Promise<WavWriter> {
    assertWavFormat(format);
    const writer = new WavWriter(sink, format, options);
    try {
      await writer.#writeHeader();
    } catch (error) {
      await sink.close().catch(() => undefined);
      throw new AudioError(AudioErrorCode.WavWriteFailed, 'writing the WAV header failed', {
        cause: error,
      });
    }
    return writer;
  }

  /**
   * Like {@link WavWriter.open}, but returns at once: the header write is queued first and
   * `append` may be called right away. A failed header write fails the writer, so later calls
   * reject with `AUDIO_ERR_WAV_WRITE_FAILED` and {@link WavWriter.drained} tells.
   *
   * @throws AudioError `AUDIO_ERR_INVALID_ARGUMENT` for a bad format.
   */
  static start(sink: WavSink, format: WavFormat, options: WavWriterOptions = {}): WavWriter {
    assertWavFormat(format);
    const writer = new WavWriter(sink, format, options);
    writer
      .#enqueue(() => writer.#writeHeader())
      .catch(() => {
        // As with `open`: a writer whose header failed releases its sink at once.
        void sink.close().catch(() => undefined);
      });
    return writer;
  }

  /**
   * Settles once everything queued so far has been handed to the sink; rejects with
   * `AUDIO_ERR_WAV_WRITE_FAILED` when a write failed (the header's included).
   */
  async drained(): Promise<void> {
    await this.#tail;
    if (this.#state === 'failed') throw this.#closedError();
  }

  /** Audio bytes written so far (completed appends). */
  get dataBytes(): number {
    return this.#dataBytes;
  }

  /** Sample frames written so far. */
  get frames(): number {
    return this.#dataBytes / this.blockAlign;
  }

  /** Seconds of audio written so far. */
  get durationSeconds(): number {
    return this.frames / this.format.sampleRate;
  }

  /** Bytes accepted by `append` but not yet written. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  /** `open` until `close()`/`abort()` or a failed write. */
  get state(): WavWriterState {
    return this.#state;
  }

  /**
   * Queues interleaved audio in the file's encoding (`pcm16` as little-endian bytes). The length
   * must be whole sample frames. The bytes are copied before this returns, so the caller may
   * reuse or change `chunk` at once, even before the returned promise settles.
   *
   * @throws AudioError `AUDIO_ERR_INVALID_ARGUMENT` (partial frames), `AUDIO_ERR_WAV_TOO_LARGE`,
   * `AUDIO_ERR_WAV_WRITER_CLOSED`, or (as a rejection) `AUDIO_ERR_WAV_WRITE_FAILED`.
   */
  append(chunk: Uint8Array): Promise<void> {
    return this.#append(chunk, true);
  }

  /**
   * {@link append} without the copy: the writer takes `chunk` as it is, and the caller must not
   * change it until the returned promise settles. For callers that own their buffers until the
   * write completes (a pool that takes a chunk back then, or shared memory another thread writes
   * from), for which a copy per write is memory and time spent for nothing.
   *
   * @throws the same as {@link append}.
   */
  appendOwned(chunk: Uint8Array): Promise<void> {
    return this.#append(chunk, false);
  }

  /** `copy`: the queued write gets its own copy of `chunk` (false: it already is one). */
  #append(chunk: Uint8Array, copy: boolean): Promise<void> {
    this.#assertOpen();
    if (chunk.length % this.blockAlign !== 0) {
      return Promise.reject(
        new AudioError(
          AudioErrorCode.InvalidArgument,
          `append got ${chunk.length} bytes, not a whole number of ${this.blockAlign}-byte sample frames`,
        ),
      );
    }
    if (chunk.length === 0) return this.#tail;
    if (this.#reservedBytes + chunk.length > WAV_MAX_DATA_BYTES) {
      return Promise.reject(
        new AudioError(
          AudioErrorCode.WavTooLarge,
          `WAV data would exceed ${WAV_MAX_DATA_BYTES} bytes`,
        ),
      );
    }
    // The write runs later: a caller reusing one frame buffer must not change what it writes.
    const bytes = copy ? chunk.slice() : chunk;
    const position = WAV_HEADER_BYTES + this.#reservedBytes;
    this.#reservedBytes += bytes.length;
    this.#pendingBytes += bytes.length;
    return this.#enqueue(async () => {
      try {
        await this.#sink.write(bytes, position);
        this.#dataBytes += bytes.length;
        if (this.#headerUpdate === 'append') await this.#writeHeader();
      } finally {
        this.#pendingBytes -= bytes.length;
      }
    });
  }

  /**
   * Queues 16-bit samples; only for `pcm16` files. Converts to little-endian bytes (a copy, as
   * with `append`: `samples` may be reused at once).
   */
  appendSamples(samples: Int16Array): Promise<void> {
    if (this.format.encoding !== 'pcm16') {
      return Promise.reject(
        new AudioError(
          AudioErrorCode.InvalidArgument,
          `appendSamples needs a pcm16 file, this one is ${this.format.encoding}`,
        ),
      );
    }
    // int16ToL16 returns a view on little-endian hosts (copy it once, so later changes to
    // `samples` do not reach the queued write) and fresh swapped bytes on big-endian ones.
    const bytes = int16ToL16(samples, 'le');
    return this.#append(bytes, bytes.buffer === samples.buffer);
  }

  /** Flushes everything written so far to stable storage (if the sink supports it). */
  sync(): Promise<void> {
    this.#assertOpen();
    return this.#enqueue(async () => {
      await this.#sink.sync?.();
    });
  }

  /**
   * Waits for queued appends, writes the pad byte and the final header, and closes the sink.
   * Calling it again returns the same summary.
   */
  close(): Promise<WavSummary> {
    if (this.#closing !== undefined) return this.#closing;
    if (this.#state !== 'open') return Promise.reject(this.#closedError());
    this.#state = 'closing';
    const finish = this.#enqueue(async () => {
      if (this.#dataBytes % 2 === 1) {
        await this.#sink.write(new Uint8Array(1), WAV_HEADER_BYTES + this.#dataBytes);
      }
      await this.#writeHeader();
    });
    this.#closing = finish.then(
      async () => {
        this.#state = 'closed';
        await this.#sink.close();
        return this.#summary();
      },
      async (error: unknown) => {
        this.#state = 'failed';
        await this.#sink.close().catch(() => undefined);
        throw error;
      },
    );
    return this.#closing;
  }

  /**
   * Stops without waiting for queued appends and closes the sink; the file keeps what it has.
   * A failed writer's sink is closed too.
   */
  async abort(): Promise<void> {
    if (this.#state === 'closed') return;
    if (this.#state !== 'failed') this.#state = 'closed';
    await this.#sink.close().catch(() => undefined);
  }

  #summary(): WavSummary {
    return {
      format: this.format,
      dataBytes: this.#dataBytes,
      frames: this.frames,
      durationSeconds: this.durationSeconds,
      fileBytes: WAV_HEADER_BYTES + this.#dataBytes + (this.#dataBytes & 1),
    };
  }

  #assertOpen(): void {
    if (this.#state !== 'open') throw this.#closedError();
  }

  #closedError(): AudioError {
    if (this.#state === 'failed') {
      return new AudioError(
        AudioErrorCode.WavWriteFailed,
        'an earlier write to the WAV sink failed',
        {
          cause: this.#failure,
        },
      );
    }
    return new AudioError(AudioErrorCode.WavWriterClosed, `the WAV writer is ${this.#state}`);
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#tail.then(async () => {
      if (this.#state === 'failed' || this.#state === 'closed') throw this.#closedError();
      try {
        await task();
      } catch (error) {
        if (error instanceof AudioError) throw error;
        this.#state = 'failed';
        this.#failure = error;
        throw new AudioError(AudioErrorCode.WavWriteFailed, 'writing to the WAV sink failed', {
          cause: error,
        });
      }
    });
    // Keep the chain alive after a failure; each caller still sees its own rejection.
    this.#tail = run.catch(() => undefined);
    return run;
  }

  async #writeHeader(): Promise<void> {
    encodeWavHeader(this.format, this.#dataBytes, this.#header);
    // A fresh copy: the sink may hold on to the buffer until its write completes.
    await this.#sink.write(this.#header.slice(), 0);
  }
}

/**
 * An in-memory {@link WavSink}, handy for tests and for building files to send elsewhere.
 *
 * @example
 * ```ts
 * const sink = new MemoryWavSink();
 * const writer = await WavWriter.open(sink, format);
 * await writer.append(frame);
 * await writer.close();
 * parseWav(sink.bytes());
 * ```
 */
export class MemoryWavSink implements WavSink {
  #buffer = new Uint8Array(1024);
  #length = 0;
  #closed = false;

  async write(data: Uint8Array, position: number): Promise<void> {
    const end = position + data.length;
    if (end > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(end, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(data, position);
    this.#length = Math.max(this.#length, end);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A copy of the bytes written so far. */
  bytes(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

// Records one session as `<recording uuid>.wav` (the selected format, frames appended as
// received) and `<recording uuid>.json` (the sidecar log), as spec §17.4 describes. Entries are
// held in memory until the session is known not to be a probe (`commit`); probes are dropped.

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { WavEncoding, WavWriter, WavWriterOptions } from '@org/audio';
import { ServerError, ServerErrorCode } from '../errors';
import { ChunkPool } from './chunk-pool';
import { formatDuration } from '@org/audiohook-protocol';
import { defaultRecordingIo, type RecordingIo } from './recording-io';
import { SIDECAR_MAX_BYTES, SidecarWriter, type SidecarEntryType } from './sidecar';
import { startRecordingWav } from './wav-file';

/** Files of a finished recording. */
export interface RecordingFiles {
  readonly id: string;
  readonly startedAt: Date;
  /** Absolute paths that exist on disk: the sidecar, and the WAV when media was selected. */
  readonly paths: readonly string[];
}

/** Creates the WAV writer for a path (instead of the recording I/O; tests slow it down). */
export type OpenWav = (
  path: string,
  format: RecordingFormat,
  options: WavWriterOptions,
) => Promise<WavWriter>;

export interface SessionRecorderOptions {
  readonly directory: string;
  /** Where the files are written. @default {@link defaultRecordingIo} */
  readonly io?: RecordingIo;
  /** Creates the WAV writer; without it the WAV is written through `io`. */
  readonly openWav?: OpenWav;
  /** WavWriter header policy; see the README (`RECORDING_HEADER_UPDATE`). @default 'close' */
  readonly headerUpdate?: 'close' | 'append';
  /** Entries kept in memory before `commit`; later ones are dropped. @default 256 */
  readonly maxPendingEntries?: number;
  /**
   * Ping exchanges (the `ping`, its `pong` and the `statistics` entry) written to the sidecar in
   * full; later ones are counted, and their RTTs summarised, in the `end` entry. @default 1000
   */
  readonly maxPings?: number;
  /** Largest sidecar body in bytes (see `SidecarWriterOptions.maxBytes`). @default 4 MiB */
  readonly maxSidecarBytes?: number;
  /**
   * Audio is collected into chunks of this many bytes before it is written, so a stereo PCMU
   * session makes one disk write per second instead of five. `0` writes every frame.
   * @default 16384
   */
  readonly flushBytes?: number;
  /**
   * Where chunks come from and go back to once written; share one across the server's recorders
   * (see chunk-pool.ts for why). Its `chunkBytes` must equal `flushBytes`.
   * @default a pool of this recorder's own, holding one spare chunk
   */
  readonly chunkPool?: ChunkPool;
}

/** The audio format to record: what the session negotiated. */
export interface RecordingFormat {
  readonly encoding: WavEncoding;
  readonly sampleRate: number;
  readonly channels: number;
}

/**
 * @example
 * ```ts
 * const rec = new SessionRecorder({ directory: '/rec' });
 * rec.log('httpInfo', { uri, headers });
 * await rec.commit();
 * await rec.startAudio({ encoding: 'ulaw', sampleRate: 8000, channels: 2 });
 * rec.appendAudio(frame);
 * const files = await rec.finish();
 * ```
 */
export class SessionRecorder {
  readonly id = randomUUID();
  readonly startedAt = new Date();
  readonly #startedHr = process.hrtime.bigint();
  /** `<directory>/<id>.json`. */
  readonly jsonPath: string;
  /** `<directory>/<id>.wav`. */
  readonly wavPath: string;
  readonly #headerUpdate: 'close' | 'append';
  readonly #maxPending: number;
  readonly #maxPings: number;
  readonly #maxSidecarBytes: number;
  #pings = 0;
  readonly #rtt = { count: 0, min: Infinity, max: 0, sum: 0 };
  readonly #flushBytes: number;
  readonly #io: RecordingIo;
  readonly #openWav: OpenWav | undefined;
  readonly #chunkPool: ChunkPool | undefined;
  #chunk: Uint8Array | undefined;
  #chunkLength = 0;
  #pending: { type: SidecarEntryType; data: unknown; at: bigint }[] = [];
  #sidecar: SidecarWriter | undefined;
  #wav: WavWriter | undefined;
  #wavOpening: Promise<void> | undefined;
  /** The WAV could not be created: the session goes on unrecorded, finish leaves it out. */
  #wavFailedToStart = false;
  #state: 'buffering' | 'recording' | 'discarded' | 'finished' = 'buffering';
  #audioError: unknown;
  #drainWaiters: (() => void)[] = [];

  constructor(options: SessionRecorderOptions) {
    this.jsonPath = join(options.directory, `${this.id}.json`);
    this.wavPath = join(options.directory, `${this.id}.wav`);
    this.#headerUpdate = options.headerUpdate ?? 'close';
    this.#maxPending = options.maxPendingEntries ?? 256;
    this.#maxPings = options.maxPings ?? 1000;
    this.#maxSidecarBytes = options.maxSidecarBytes ?? SIDECAR_MAX_BYTES;
    this.#flushBytes = options.flushBytes ?? 16_384;
    this.#io = options.io ?? defaultRecordingIo();
    this.#openWav = options.openWav;
    if (options.chunkPool !== undefined && options.chunkPool.chunkBytes !== this.#flushBytes) {
      throw new RangeError(
        `chunkPool holds ${options.chunkPool.chunkBytes}-byte chunks but flushBytes is ${this.#flushBytes}`,
      );
    }
    this.#chunkPool =
      this.#flushBytes === 0
        ? undefined
        : (options.chunkPool ??
          new ChunkPool({ chunkBytes: this.#flushBytes, maxFree: 1, arenaChunks: 1 }));
  }

  /** True between `commit` and `finish`. */
  get recording(): boolean {
    return this.#state === 'recording';
  }

  /** Bytes accepted but not yet on disk (WAV queue plus sidecar buffer). */
  get bufferedBytes(): number {
    // The chunk being collected is bounded by `flushBytes` and not part of the write backlog.
    return (this.#wav?.pendingBytes ?? 0) + (this.#sidecar?.bufferedBytes ?? 0);
  }

  /** Audio bytes written to the WAV so far (collected but unwritten bytes not included). */
  get audioBytes(): number {
    return this.#wav?.dataBytes ?? 0;
  }

  /**
   * Adds a sidecar entry (buffered before `commit`, ignored after `discard`/`finish`). Ping
   * exchanges past `maxPings` are only counted.
   */
  log(type: SidecarEntryType, data: unknown): void {
    if (type === 'audiohook' && this.#isPingExchange(data)) return;
    const at = process.hrtime.bigint();
    if (this.#state === 'recording') this.#sidecar?.append(type, data, at);
    else if (this.#state === 'buffering' && this.#pending.length < this.#maxPending) {
      this.#pending.push({ type, data, at });
    }
  }

  /**
   * Records a `ping` the session answered: a `statistics` entry with the client's RTT (ns), or,
   * past `maxPings`, only the RTT summary.
   */
  ping(rttNs: number | undefined): void {
    if (rttNs === undefined) return;
    const rtt = this.#rtt;
    rtt.count++;
    rtt.sum += rttNs;
    if (rttNs < rtt.min) rtt.min = rttNs;
    if (rttNs > rtt.max) rtt.max = rttNs;
    if (this.#pings <= this.#maxPings) this.log('statistics', { rtt: formatDuration(rttNs) });
  }

  /** True for a `ping` or `pong` entry to leave out (counting the pings). */
  #isPingExchange(data: unknown): boolean {
    const { dir, message } = data as { dir?: unknown; message?: { type?: unknown } };
    const kind = message?.type;
    if (dir === 'in' && kind === 'ping') this.#pings++;
    else if (dir !== 'out' || kind !== 'pong') return false;
    return this.#pings > this.#maxPings;
  }

  /** What the `end` entry says about ping exchanges left out. */
  #pingSummary(): Record<string, unknown> {
    const omitted = this.#pings - this.#maxPings;
    if (omitted <= 0) return {};
    const rtt = this.#rtt;
    return {
      pingsOmitted: omitted,
      ...(rtt.count === 0
        ? {}
        : {
            rtt: {
              count: rtt.count,
              min: formatDuration(rtt.min),
              max: formatDuration(rtt.max),
              mean: formatDuration(Math.round(rtt.sum / rtt.count)),
            },
          }),
    };
  }

  /** Creates the sidecar file and writes what was buffered. */
  commit(): void {
    if (this.#state !== 'buffering') return;
    this.#sidecar = SidecarWriter.create(
      this.jsonPath,
      { timestamp: this.startedAt.toISOString(), id: this.id },
      this.#startedHr,
      { maxBytes: this.#maxSidecarBytes, io: this.#io },
    );
    for (const entry of this.#pending) this.#sidecar.append(entry.type, entry.data, entry.at);
    this.#pending = [];
    this.#state = 'recording';
  }

  /** Forgets everything (a probe, or a session that never authenticated). No file is made. */
  discard(): void {
    if (this.#state === 'buffering') {
      this.#pending = [];
      this.#state = 'discarded';
    }
  }

  /** True once audio is taken (`startAudio` made the WAV writer). */
  get acceptsAudio(): boolean {
    return this.#wav !== undefined;
  }

  /**
   * Creates the WAV file in the negotiated format. Through the recording I/O the writer takes
   * audio at once (see {@link acceptsAudio}); the promise settles when the file and its header
   * are written, and rejects when they could not be.
   */
  startAudio(format: RecordingFormat): Promise<void> {
    if (this.#state !== 'recording' || this.#wavOpening !== undefined) {
      return this.#wavOpening ?? Promise.resolve();
    }
    const failed = (error: unknown): never => {
      this.#audioError = error;
      this.#wavFailedToStart = true;
      throw new ServerError(ServerErrorCode.RecordingFailed, 'creating the WAV file failed', {
        cause: error,
      });
    };
    const options = { headerUpdate: this.#headerUpdate };
    if (this.#openWav === undefined) {
      try {
        this.#wav = startRecordingWav(this.#io, this.wavPath, format, options);
        this.#wavOpening = this.#wav.drained().catch(failed);
      } catch (error) {
        this.#wavOpening = Promise.reject(error).catch(failed);
      }
      return this.#wavOpening;
    }
    this.#wavOpening = this.#openWav(this.wavPath, format, options).then((writer) => {
      this.#wav = writer;
    }, failed);
    return this.#wavOpening;
  }

  /**
   * Queues one received frame. Returns the bytes still buffered afterwards so the caller can
   * apply back-pressure; `whenDrained` tells when to resume.
   */
  appendAudio(frame: Uint8Array): number {
    const wav = this.#wav;
    if (wav === undefined || wav.state !== 'open') return this.bufferedBytes;
    if (this.#flushBytes === 0 || frame.length >= this.#flushBytes) {
      this.#flushChunk();
      // The frame buffer may be reused by the transport; keep a copy until it is written.
      this.#write(frame.slice());
      return this.bufferedBytes;
    }
    if (this.#chunk !== undefined && this.#chunkLength + frame.length > this.#flushBytes) {
      this.#flushChunk();
    }
    // Taken lazily and handed to the writer when full, so an idle session holds no chunk.
    this.#chunk ??= (this.#chunkPool as ChunkPool).take();
    this.#chunk.set(frame, this.#chunkLength);
    this.#chunkLength += frame.length;
    if (this.#chunkLength === this.#flushBytes) this.#flushChunk();
    return this.bufferedBytes;
  }

  #flushChunk(): void {
    const chunk = this.#chunk;
    if (chunk === undefined || this.#chunkLength === 0) return;
    const bytes = chunk.subarray(0, this.#chunkLength);
    this.#chunk = undefined;
    this.#chunkLength = 0;
    this.#write(bytes, chunk);
  }

  /** Appends `bytes` to the WAV; `chunk` (their buffer) goes back to the pool once written. */
  #write(bytes: Uint8Array, chunk?: Uint8Array): void {
    const wav = this.#wav;
    if (wav === undefined || wav.state !== 'open') return;
    const release = (): void => {
      if (chunk !== undefined) this.#chunkPool?.give(chunk);
    };
    // The chunk stays untouched until its write settles (it goes back to the pool only then), and
    // a copy would leave the shared memory the I/O worker writes from: no copy.
    wav.appendOwned(bytes).then(
      () => {
        release();
        this.#notifyDrain();
      },
      (error: unknown) => {
        release();
        this.#audioError ??= error;
        this.#notifyDrain();
      },
    );
  }

  /** Resolves when at most `lowWaterBytes` remain buffered. */
  whenDrained(lowWaterBytes: number): Promise<void> {
    if (this.bufferedBytes <= lowWaterBytes) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.bufferedBytes <= lowWaterBytes) {
          resolve();
          return;
        }
        // Wake up on the next WAV write completion (each one notifies) or, when the sidecar
        // holds bytes too, on its next flush.
        this.#drainWaiters.push(check);
        const sidecar = this.#sidecar;
        if (sidecar !== undefined && sidecar.bufferedBytes > 0) {
          void sidecar.drained().then(() => this.#notifyDrain());
        }
      };
      check();
    });
  }

  /** The first audio write failure, if any. */
  get audioError(): unknown {
    return this.#audioError;
  }

  /**
   * Writes the `end` entry, finalizes the WAV header and closes both files. Safe to call more
   * than once; returns the files on disk (none for a discarded recording).
   */
  async finish(): Promise<RecordingFiles> {
    if (this.#state === 'buffering') this.discard();
    const wasRecording = this.#state === 'recording';
    this.#state = 'finished';
    const paths: string[] = [];
    if (!wasRecording) return { id: this.id, startedAt: this.startedAt, paths };
    const failures: unknown[] = [];
    if (this.#wavOpening !== undefined) {
      await this.#wavOpening.catch(() => undefined);
      if (this.#wav !== undefined && this.#wavFailedToStart) {
        await this.#wav.abort();
      } else if (this.#wav !== undefined) {
        this.#flushChunk();
        try {
          await this.#wav.close();
        } catch (error) {
          failures.push(error);
          await this.#wav.abort();
        }
        paths.push(this.wavPath);
      }
    }
    try {
      await this.#sidecar?.close(this.#pingSummary());
    } catch (error) {
      failures.push(error);
    }
    paths.push(this.jsonPath);
    this.#notifyDrain();
    if (failures.length > 0) {
      throw new ServerError(ServerErrorCode.RecordingFailed, 'finishing the recording failed', {
        cause: failures[0],
      });
    }
    return { id: this.id, startedAt: this.startedAt, paths };
  }

  #notifyDrain(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const waiter of waiters) waiter();
  }
}

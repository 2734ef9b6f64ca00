// Per-conversation audio logging: the caller's audio (16-bit PCM at the caller's rate) and the
// bot's prompts (u-law 8 kHz) in two WAV files named after the conversation and its start time.
// Audio is buffered in memory and appended at the end of each stream (and whenever a buffer
// reaches `flush_bytes`): a file is open only while it is appended to, so open handles are
// bounded by `max_open_files` whatever the number of calls, and any instance sharing the folder
// can append the next turn. The number of conversations recorded at once is capped too. A
// recording that cannot be written is an error log line and a metric, never silent.

import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  WAV_HEADER_BYTES,
  encodeWavHeader,
  int16ToL16,
  resample,
  type WavFormat,
} from '@org/audio';
import type { Logger } from 'pino';
import type { GatewayMetrics } from './metrics';

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
}

/** `20250601T120000123Z`: UTC to the millisecond, so two conversations never share a file. */
function stamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[-:.]/g, '');
}

/** At most `limit` holders at a time; the others wait in order. */
class Semaphore {
  readonly #limit: number;
  #held = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  get held(): number {
    return this.#held;
  }

  async use<T>(task: () => Promise<T>): Promise<T> {
    if (this.#held >= this.#limit) await new Promise<void>((wake) => this.#waiting.push(wake));
    else this.#held += 1;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#held -= 1;
    }
  }
}

async function writeAll(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(
      data,
      written,
      data.length - written,
      position + written,
    );
    written += bytesWritten;
  }
}

/** The 32 bytes after `RIFF<size>` that fix a file's format (WAVE, fmt chunk, `data`). */
function formatBytes(header: Uint8Array): string {
  return Buffer.from(header.subarray(8, 40)).toString('hex');
}

/**
 * Appends to one of our WAV files (44-byte header), creating it if needed: data first (over the
 * old pad byte), then the pad byte of an odd total, then the header with the new sizes, so the
 * file is valid after every append. `encode` gets the existing file's format (undefined for a
 * new file) and returns the format and bytes to append.
 */
async function appendWav(
  path: string,
  encode: (existing: WavFormat | undefined) => { format: WavFormat; data: Uint8Array },
): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // A new file; another instance may create it at the same moment.
    handle = await open(path, 'wx+').catch((raced: NodeJS.ErrnoException) => {
      if (raced.code !== 'EEXIST') throw raced;
      return open(path, 'r+');
    });
  }
  try {
    const header = new Uint8Array(WAV_HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, WAV_HEADER_BYTES, 0);
    let existing: WavFormat | undefined;
    let dataBytes = 0;
    if (bytesRead > 0) {
      existing = wavFormatOf(header, bytesRead, path);
      dataBytes = Buffer.from(header).readUInt32LE(40);
    }
    const { format, data } = encode(existing);
    if (data.length === 0) return;
    if (existing !== undefined && formatBytes(encodeWavHeader(format, 0)) !== formatBytes(header))
      throw new Error(`${path} holds audio of another format`);
    await writeAll(handle, data, WAV_HEADER_BYTES + dataBytes);
    const total = dataBytes + data.length;
    if (total % 2 === 1) await writeAll(handle, new Uint8Array(1), WAV_HEADER_BYTES + total);
    await writeAll(handle, encodeWavHeader(format, total), 0);
  } finally {
    await handle.close();
  }
}

function wavFormatOf(header: Uint8Array, length: number, path: string): WavFormat {
  const view = Buffer.from(header);
  if (length < WAV_HEADER_BYTES || view.toString('latin1', 0, 4) !== 'RIFF') {
    throw new Error(`${path} is not a recording of this gateway`);
  }
  const tag = view.readUInt16LE(20);
  return {
    encoding: tag === 7 ? 'ulaw' : tag === 6 ? 'alaw' : 'pcm16',
    sampleRate: view.readUInt32LE(24),
    channels: view.readUInt16LE(22),
  };
}

/** Options of {@link RecordingService}. */
export interface RecordingServiceOptions {
  /** Absolute folder of the recordings. */
  readonly dir: string;
  /** Conversations recorded at once; more are refused (error log + metric). */
  readonly maxConcurrent: number;
  /** Files open at once; appends beyond wait their turn. */
  readonly maxOpenFiles: number;
  /** Buffered audio per file that triggers an append before the stream ends. */
  readonly flushBytes: number;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
}

/** The recordings of a gateway: the concurrency cap and the open-file limit. */
export class RecordingService {
  readonly #options: RecordingServiceOptions;
  readonly #files: Semaphore;
  #active = 0;

  constructor(options: RecordingServiceOptions) {
    this.#options = options;
    this.#files = new Semaphore(options.maxOpenFiles);
  }

  /** Conversations being recorded. */
  get active(): number {
    return this.#active;
  }

  /** Files open right now. */
  get openFiles(): number {
    return this.#files.held;
  }

  /** A recorder for a conversation, or undefined (logged and counted) at the cap. */
  begin(
    conversationId: string,
    startedAt: number,
    logger: Logger,
  ): ConversationRecorder | undefined {
    if (this.#active >= this.#options.maxConcurrent) {
      this.#options.metrics.recordingFailures.inc({ reason: 'limit' });
      logger.error(
        { max_concurrent: this.#options.maxConcurrent },
        'audio recording refused: audio_recording.max_concurrent conversations are being recorded',
      );
      return undefined;
    }
    this.#active += 1;
    const base = join(this.#options.dir, `${safeName(conversationId)}_${stamp(startedAt)}`);
    return new ConversationRecorder({
      base,
      flushBytes: this.#options.flushBytes,
      logger,
      files: this.#files,
      fail: (reason) => this.#options.metrics.recordingFailures.inc({ reason }),
      release: () => {
        this.#active -= 1;
      },
    });
  }
}

interface RecorderInit {
  readonly base: string;
  readonly flushBytes: number;
  readonly logger: Logger;
  readonly files: Semaphore;
  readonly fail: (reason: 'open' | 'write') => void;
  readonly release: () => void;
}

const BOT_FORMAT: WavFormat = { encoding: 'ulaw', sampleRate: 8000, channels: 1 };

/** The two recordings of one conversation. */
export class ConversationRecorder {
  readonly callerPath: string;
  readonly botPath: string;
  readonly #init: RecorderInit;
  #caller: { samples: Int16Array; rate: number }[] = [];
  #callerBytes = 0;
  #bot: Uint8Array[] = [];
  #botBytes = 0;
  #failed = false;
  #closed = false;
  #tail: Promise<void> = Promise.resolve();

  constructor(init: RecorderInit) {
    this.#init = init;
    this.callerPath = `${init.base}_caller.wav`;
    this.botPath = `${init.base}_bot.wav`;
  }

  /** Buffers decoded caller audio (resampled to the file's rate when it differs). */
  caller(samples: Int16Array, sampleRate: number): void {
    if (this.#failed || this.#closed || samples.length === 0) return;
    this.#caller.push({ samples: samples.slice(), rate: sampleRate });
    this.#callerBytes += samples.length * 2;
    if (this.#callerBytes >= this.#init.flushBytes) void this.flush();
  }

  /** Buffers bot audio (raw u-law 8 kHz). */
  bot(ulaw: Uint8Array): void {
    if (this.#failed || this.#closed || ulaw.length === 0) return;
    this.#bot.push(ulaw.slice());
    this.#botBytes += ulaw.length;
    if (this.#botBytes >= this.#init.flushBytes) void this.flush();
  }

  /** Appends everything buffered to the files (each open only while it is written). */
  flush(): Promise<void> {
    const caller = this.#caller;
    const bot = this.#bot;
    this.#caller = [];
    this.#bot = [];
    this.#callerBytes = 0;
    this.#botBytes = 0;
    if (caller.length === 0 && bot.length === 0) return this.#tail;
    this.#tail = this.#tail.then(async () => {
      if (this.#failed) return;
      try {
        await mkdir(join(this.callerPath, '..'), { recursive: true });
        if (caller.length > 0)
          await this.#init.files.use(() =>
            appendWav(this.callerPath, (existing) => callerAudio(caller, existing)),
          );
        if (bot.length > 0)
          await this.#init.files.use(() =>
            appendWav(this.botPath, () => ({ format: BOT_FORMAT, data: concat(bot) })),
          );
      } catch (error) {
        this.#failed = true;
        const code = (error as NodeJS.ErrnoException).code;
        this.#init.fail(
          code === 'EMFILE' || code === 'ENFILE' || code === 'EACCES' ? 'open' : 'write',
        );
        this.#init.logger.error(
          { err: error, caller_file: this.callerPath, bot_file: this.botPath },
          'audio recording failed; the rest of this conversation is not recorded',
        );
      }
    });
    return this.#tail;
  }

  /** Appends what is left and releases the conversation's recording slot. */
  async close(): Promise<void> {
    if (this.#closed) return this.#tail;
    await this.flush();
    this.#closed = true;
    this.#init.release();
  }
}

function callerAudio(
  parts: readonly { samples: Int16Array; rate: number }[],
  existing: WavFormat | undefined,
): { format: WavFormat; data: Uint8Array } {
  const rate = existing?.sampleRate ?? (parts[0] as { rate: number }).rate;
  const samples = parts.map((p) =>
    p.rate === rate ? p.samples : resample(p.samples, p.rate, rate),
  );
  const all = new Int16Array(samples.reduce((n, s) => n + s.length, 0));
  let offset = 0;
  for (const s of samples) {
    all.set(s, offset);
    offset += s.length;
  }
  return {
    format: { encoding: 'pcm16', sampleRate: rate, channels: 1 },
    data: int16ToL16(all, 'le'),
  };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

// Per-conversation audio logging: the caller's audio and the bot's prompts (u-law 8 kHz) in WAV
// files named after the conversation and its start time, as the gateway's `audio_recording` or
// the serving connector's own recording request (`ConnectorRecording`) says. Audio is buffered
// in memory and appended at the end of each stream (and whenever a buffer reaches `flush_bytes`):
// a file is open only while it is appended to, so open handles are bounded by `max_open_files`
// whatever the number of calls, and any instance sharing the folder can append the next turn.
// The number of conversations recorded at once is capped too. A recording that cannot be written
// is an error log line and a metric, never silent.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeUlaw, int16ToL16, resample, type WavFormat } from '@org/audio';
import type { ConnectorRecording } from '@org/byova';
import type { Logger } from 'pino';
import type { GatewayMetrics } from './metrics';
import { appendWav, readWavHeader } from './wav-append';

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
}

/** `20250601T120000123Z`: UTC to the millisecond, so two conversations never share a file. */
function stamp(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/[-:.]/g, '');
}

/** The default file names: `<conversation>_<start>_<source>.wav`. */
export const DEFAULT_FILENAME_FORMAT = '{conversation_id}_{timestamp}_{source}.wav';

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

/** Options of {@link RecordingService}. */
export interface RecordingServiceOptions {
  /** What to record when the connector asks for nothing (the gateway's `audio_recording`). */
  readonly policy: ConnectorRecording | undefined;
  /** Conversations recorded at once; more are refused (error log + metric). */
  readonly maxConcurrent: number;
  /** Files open at once; appends beyond wait their turn. */
  readonly maxOpenFiles: number;
  /** Buffered audio per file that triggers an append before the stream ends. */
  readonly flushBytes: number;
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

  /**
   * A recorder for a conversation (`policy`: its connector's request, else the gateway's), or
   * undefined: nothing to record, or the cap is reached (logged and counted).
   */
  begin(
    conversationId: string,
    startedAt: number,
    logger: Logger,
    policy: ConnectorRecording | undefined = this.#options.policy,
  ): ConversationRecorder | undefined {
    if (policy === undefined) return undefined;
    if (this.#active >= this.#options.maxConcurrent) {
      this.#options.metrics.recordingFailures.inc({ reason: 'limit' });
      logger.error(
        { max_concurrent: this.#options.maxConcurrent },
        'audio recording refused: audio_recording.max_concurrent conversations are being recorded',
      );
      return undefined;
    }
    this.#active += 1;
    const name = (source: 'caller' | 'bot'): string =>
      join(
        policy.dir,
        policy.filenameFormat
          .replaceAll('{conversation_id}', safeName(conversationId))
          .replaceAll('{timestamp}', stamp(startedAt))
          .replaceAll('{source}', source),
      );
    return new ConversationRecorder({
      policy,
      callerPath: name('caller'),
      botPath: name('bot'),
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
  readonly policy: ConnectorRecording;
  readonly callerPath: string;
  readonly botPath: string;
  readonly flushBytes: number;
  readonly logger: Logger;
  readonly files: Semaphore;
  readonly fail: (reason: 'open' | 'write') => void;
  readonly release: () => void;
}

const BOT_FORMAT: WavFormat = { encoding: 'ulaw', sampleRate: 8000, channels: 1 };

type CallerPart = { readonly samples: Int16Array; readonly rate: number };

/** The recordings of one conversation. */
export class ConversationRecorder {
  readonly callerPath: string;
  readonly botPath: string;
  readonly #init: RecorderInit;
  #caller: CallerPart[] = [];
  #callerBytes = 0;
  #bot: Uint8Array[] = [];
  #botBytes = 0;
  #failed = false;
  #closed = false;
  #tail: Promise<void> = Promise.resolve();

  constructor(init: RecorderInit) {
    this.#init = init;
    this.callerPath = init.callerPath;
    this.botPath = init.botPath;
  }

  /** Every decoded caller frame (kept when the policy records all caller audio). */
  caller(samples: Int16Array, sampleRate: number): void {
    if (this.#init.policy.caller === 'all') this.#addCaller(samples, sampleRate);
  }

  /** An utterance handed to the connector (kept when the policy records only those). */
  utterance(samples: Int16Array, sampleRate: number): void {
    if (this.#init.policy.caller === 'utterances') this.#addCaller(samples, sampleRate);
  }

  #addCaller(samples: Int16Array, sampleRate: number): void {
    if (this.#failed || this.#closed || samples.length === 0) return;
    this.#caller.push({ samples: samples.slice(), rate: sampleRate });
    this.#callerBytes += samples.length * 2;
    if (this.#callerBytes >= this.#init.flushBytes) void this.flush();
  }

  /** Bot audio (raw u-law 8 kHz), when the policy records prompts. */
  bot(ulaw: Uint8Array): void {
    if (!this.#init.policy.bot || this.#failed || this.#closed || ulaw.length === 0) return;
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
    this.#tail = this.#tail.then(() => this.#write(caller, bot));
    return this.#tail;
  }

  async #write(caller: readonly CallerPart[], bot: readonly Uint8Array[]): Promise<void> {
    if (this.#failed) return;
    const { files, policy } = this.#init;
    try {
      await mkdir(join(this.callerPath, '..'), { recursive: true });
      if (caller.length > 0) {
        const { format, data } = await this.#callerAudio(caller);
        await files.use(() => appendWav(this.callerPath, format, data, policy.maxFileBytes));
      }
      if (bot.length > 0) {
        const data = concat(bot);
        await files.use(() => appendWav(this.botPath, BOT_FORMAT, data, policy.maxFileBytes));
      }
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
  }

  /** The caller's audio in the file's format: the policy's, else the existing file's or its own. */
  async #callerAudio(
    parts: readonly CallerPart[],
  ): Promise<{ format: WavFormat; data: Uint8Array }> {
    const { policy } = this.#init;
    const existing =
      policy.callerSampleRate === undefined ? await readWavHeader(this.callerPath) : undefined;
    const rate =
      policy.callerSampleRate ?? existing?.format.sampleRate ?? (parts[0] as CallerPart).rate;
    const converted = parts.map((p) =>
      p.rate === rate ? p.samples : resample(p.samples, p.rate, rate),
    );
    const all = new Int16Array(converted.reduce((n, c) => n + c.length, 0));
    let offset = 0;
    for (const c of converted) {
      all.set(c, offset);
      offset += c.length;
    }
    return policy.callerEncoding === 'ulaw'
      ? { format: { encoding: 'ulaw', sampleRate: rate, channels: 1 }, data: encodeUlaw(all) }
      : {
          format: { encoding: 'pcm16', sampleRate: rate, channels: 1 },
          data: int16ToL16(all, 'le'),
        };
  }

  /** Appends what is left and releases the conversation's recording slot. */
  async close(): Promise<void> {
    if (this.#closed) return this.#tail;
    await this.flush();
    this.#closed = true;
    this.#init.release();
  }
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

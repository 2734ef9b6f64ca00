// Per-conversation audio logging: the caller's audio (16-bit PCM at the caller's rate) and the
// bot's prompts (u-law 8 kHz) in two WAV files. Files are valid after every append, so a crash
// loses at most the frame being written. Failures are logged once and stop that recording; they
// never affect the call.

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { int16ToL16, openWavFile, type WavWriter } from '@org/audio';
import type { Logger } from 'pino';

function safeName(id: string): string {
  return id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
}

function stamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

export class ConversationRecorder {
  readonly callerPath: string;
  readonly botPath: string;
  readonly #logger: Logger;
  #caller: Promise<WavWriter | undefined> | undefined;
  #callerRate: number | undefined;
  #bot: Promise<WavWriter | undefined> | undefined;
  #failed = false;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(dir: string, conversationId: string, logger: Logger, now = new Date()) {
    const base = join(dir, `${safeName(conversationId)}_${stamp(now)}`);
    this.callerPath = `${base}_caller.wav`;
    this.botPath = `${base}_bot.wav`;
    this.#logger = logger;
  }

  #open(path: string, format: Parameters<typeof openWavFile>[1]): Promise<WavWriter | undefined> {
    return mkdir(join(path, '..'), { recursive: true })
      .then(() => openWavFile(path, format))
      .catch((error: unknown) => {
        this.#fail(error);
        return undefined;
      });
  }

  #fail(error: unknown): void {
    if (!this.#failed)
      this.#logger.warn({ err: error }, 'audio recording failed; recording stopped');
    this.#failed = true;
  }

  #append(writer: Promise<WavWriter | undefined>, bytes: Uint8Array): void {
    this.#tail = this.#tail
      .then(() => writer)
      .then((w) => (w !== undefined && !this.#failed ? w.append(bytes) : undefined))
      .catch((error: unknown) => this.#fail(error));
  }

  /** Appends decoded caller audio (the first frame fixes the file's sample rate). */
  caller(samples: Int16Array, sampleRate: number): void {
    if (this.#failed) return;
    this.#callerRate ??= sampleRate;
    if (sampleRate !== this.#callerRate) return;
    this.#caller ??= this.#open(this.callerPath, { encoding: 'pcm16', sampleRate, channels: 1 });
    this.#append(this.#caller, int16ToL16(samples, 'le'));
  }

  /** Appends bot audio (raw u-law 8 kHz). */
  bot(ulaw: Uint8Array): void {
    if (this.#failed || ulaw.length === 0) return;
    this.#bot ??= this.#open(this.botPath, { encoding: 'ulaw', sampleRate: 8000, channels: 1 });
    this.#append(this.#bot, ulaw);
  }

  /** Finishes both files. */
  async close(): Promise<void> {
    await this.#tail;
    for (const writer of [this.#caller, this.#bot]) {
      const w = await writer;
      if (w !== undefined) await w.close().catch((error: unknown) => this.#fail(error));
    }
  }
}

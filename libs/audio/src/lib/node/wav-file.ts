// WAV files on disk: a positional-write sink over node:fs.

import { write as writeToFile } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { WavWriter, type WavSink, type WavWriterOptions } from '../wav-writer';
import { assertWavFormat, type WavFormat } from '../wav';

/** A {@link WavSink} that writes to a file with positional writes. */
export class FileWavSink implements WavSink {
  readonly #handle: FileHandle;
  /** Writes under way; `close` waits for them, so the descriptor is never reused under one. */
  #writing = 0;
  #whenIdle: (() => void)[] = [];

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  /**
   * Writes all of `data` at `position`. Uses the callback form of `fs.write` on the handle's
   * descriptor: the promise form's bookkeeping allocates several objects per call, which shows in
   * the garbage collector's work when thousands of recordings append every second.
   */
  write(data: Uint8Array, position: number): Promise<void> {
    const fd = this.#handle.fd;
    this.#writing++;
    return new Promise<void>((resolve, reject) => {
      let written = 0;
      const finish = (error: Error | null): void => {
        if (--this.#writing === 0) for (const wake of this.#whenIdle.splice(0)) wake();
        if (error === null) resolve();
        else reject(error);
      };
      const next = (error: Error | null, bytesWritten: number): void => {
        if (error !== null) return finish(error);
        written += bytesWritten;
        if (written >= data.length) return finish(null);
        start();
      };
      const start = (): void => {
        try {
          writeToFile(fd, data, written, data.length - written, position + written, next);
        } catch (error) {
          // A closed handle (descriptor -1) fails synchronously.
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      };
      start();
    });
  }

  async sync(): Promise<void> {
    await this.#handle.datasync();
  }

  async close(): Promise<void> {
    if (this.#writing > 0) await new Promise<void>((resolve) => this.#whenIdle.push(resolve));
    await this.#handle.close();
  }
}

/**
 * Creates (or truncates) `path` and returns a {@link WavWriter} appending to it.
 *
 * @example
 * ```ts
 * const writer = await openWavFile('/var/rec/call.wav', { encoding: 'ulaw', sampleRate: 8000, channels: 2 });
 * ```
 */
export async function openWavFile(
  path: string,
  format: WavFormat,
  options: WavWriterOptions = {},
): Promise<WavWriter> {
  assertWavFormat(format);
  const handle = await open(path, 'w');
  try {
    return await WavWriter.open(new FileWavSink(handle), format, options);
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

// The recording's WAV file on a bare file descriptor: `fs.open`, positional `fs.write` and
// `fs.close` with callbacks. `openWavFile` of @org/audio/node does the same through a
// `FileHandle`, whose promise-based open and close allocate a handle object (with a finalizer)
// and several promises per file; at hundreds of new sessions a second that showed in the
// garbage collector's work. Audio writes were already callback-based there and are here.

import { close as closeFile, open as openFile, write as writeToFile } from 'node:fs';
import { WavWriter, assertWavFormat, type WavSink } from '@org/audio';
import type { OpenWav } from './session-recorder';

/** A {@link WavSink} on an open file descriptor. */
export class FdWavSink implements WavSink {
  readonly #fd: number;
  /** Writes under way; `close` waits for them, so the descriptor is never reused under one. */
  #writing = 0;
  #whenIdle: (() => void)[] = [];
  #closed = false;

  constructor(fd: number) {
    this.#fd = fd;
  }

  write(data: Uint8Array, position: number): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the WAV file is closed'));
    this.#writing++;
    return new Promise<void>((resolve, reject) => {
      const finish = (error: Error | null): void => {
        if (--this.#writing === 0) for (const wake of this.#whenIdle.splice(0)) wake();
        if (error === null) resolve();
        else reject(error);
      };
      const next = (written: number): void => {
        try {
          writeToFile(
            this.#fd,
            data,
            written,
            data.length - written,
            position + written,
            (error, bytes) => {
              if (error !== null) return finish(error);
              if (written + bytes >= data.length) return finish(null);
              next(written + bytes);
            },
          );
        } catch (error) {
          // Bad arguments fail synchronously; the count of writes under way must still drop.
          finish(error as Error);
        }
      };
      next(0);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#writing > 0) await new Promise<void>((resolve) => this.#whenIdle.push(resolve));
    await new Promise<void>((resolve, reject) =>
      closeFile(this.#fd, (error) => (error === null ? resolve() : reject(error))),
    );
  }
}

/**
 * Creates (or truncates) `path` and returns a WAV writer appending to it: the server's default
 * {@link OpenWav}.
 *
 * @example
 * ```ts
 * const writer = await openRecordingWav('/rec/x.wav', { encoding: 'ulaw', sampleRate: 8000, channels: 2 }, {});
 * ```
 */
export const openRecordingWav: OpenWav = async (path, format, options) => {
  assertWavFormat(format);
  const fd = await new Promise<number>((resolve, reject) =>
    openFile(path, 'w', (error, opened) => (error === null ? resolve(opened) : reject(error))),
  );
  // WavWriter.open closes the sink itself when the header cannot be written.
  return WavWriter.open(new FdWavSink(fd), format, options);
};

// WAV files on disk: a positional-write sink over node:fs.

import { open, type FileHandle } from 'node:fs/promises';
import { WavWriter, type WavSink, type WavWriterOptions } from './wav-writer';
import { assertWavFormat, type WavFormat } from './wav';

/** A {@link WavSink} that writes to a file with positional writes. */
export class FileWavSink implements WavSink {
  readonly #handle: FileHandle;

  constructor(handle: FileHandle) {
    this.#handle = handle;
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.#handle.write(
        data,
        written,
        data.length - written,
        position + written,
      );
      written += bytesWritten;
    }
  }

  async sync(): Promise<void> {
    await this.#handle.datasync();
  }

  async close(): Promise<void> {
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

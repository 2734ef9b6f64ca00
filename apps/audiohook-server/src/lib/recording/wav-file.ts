// The recording's WAV file through the recording I/O (recording-io.ts): the header write is
// queued behind the file's creation and the appends behind the header, without waiting for
// either, so a session's `opened` never waits for the disk.

import { WavWriter, assertWavFormat, type WavSink, type WavWriterOptions } from '@org/audio';
import type { RecordingFile, RecordingIo } from './recording-io';
import type { RecordingFormat } from './session-recorder';

/** A {@link WavSink} on a {@link RecordingFile}; nothing is written after `close`. */
export class IoWavSink implements WavSink {
  readonly #file: RecordingFile;
  #closed = false;

  constructor(file: RecordingFile) {
    this.#file = file;
  }

  write(data: Uint8Array, position: number): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the WAV file is closed'));
    return this.#file.write(data, position);
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#file.close();
  }
}

/**
 * Creates (or truncates) `path` and returns a WAV writer that takes appends at once; its
 * `drained()` rejects when the file cannot be created or the header written.
 *
 * @example
 * ```ts
 * const writer = startRecordingWav(io, '/rec/x.wav', { encoding: 'ulaw', sampleRate: 8000, channels: 2 }, {});
 * await writer.drained();
 * ```
 */
export function startRecordingWav(
  io: RecordingIo,
  path: string,
  format: RecordingFormat,
  options: WavWriterOptions,
): WavWriter {
  assertWavFormat(format);
  return WavWriter.start(new IoWavSink(io.open(path)), format, options);
}

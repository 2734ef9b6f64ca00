// The recording's WAV file through the recording I/O (recording-io.ts): a RecordingFile is the
// writer's sink. The header write is queued behind the file's creation and the appends behind
// the header, without waiting for either, so a session's `opened` never waits for the disk.

import { WavWriter, assertWavFormat, type WavWriterOptions } from '@org/audio';
import type { RecordingIo } from './recording-io';
import type { RecordingFormat } from './session-recorder';

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
  // Checked before the file is created (WavWriter.start checks too, but after).
  assertWavFormat(format);
  return WavWriter.start(io.open(path), format, options);
}

// Media sources that need Node.js: a WAV file read from disk.

import { readFile } from 'node:fs/promises';
import { AudioHookError, AudioHookErrorCode } from '../errors';
import { type MediaSource, type WavSourceOptions, wavMediaSource } from '../media-source';

/**
 * Reads a WAV file from disk and makes a {@link wavMediaSource} of it.
 *
 * @example
 * ```ts
 * const media = await loadWavMediaSource('fixtures/hello.wav');
 * ```
 */
export async function loadWavMediaSource(
  path: string,
  options: WavSourceOptions = {},
): Promise<MediaSource> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new AudioHookError(AudioHookErrorCode.MediaSource, `cannot read ${path}`, { cause });
  }
  return wavMediaSource(bytes, options);
}

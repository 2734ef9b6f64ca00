// Any WAV the audio library reads (PCM16, u-law, A-law; any rate; any channel count) -> raw u-law
// 8 kHz mono, the format WxCC plays.

import { readFile } from 'node:fs/promises';
import {
  decodeAlaw,
  decodeUlaw,
  encodeUlaw,
  l16ToInt16,
  mixToMono,
  parseWav,
  resample,
  type WavFile,
} from '@org/audio';

/** Converts a parsed WAV to u-law 8 kHz mono (returned as is when it already is). */
export function wavToWxccUlaw(wav: WavFile): Uint8Array {
  const { encoding, sampleRate, channels } = wav.format;
  if (encoding === 'ulaw' && sampleRate === 8000 && channels === 1) return wav.data;
  let samples =
    encoding === 'pcm16'
      ? l16ToInt16(wav.data, 'le')
      : encoding === 'ulaw'
        ? decodeUlaw(wav.data)
        : decodeAlaw(wav.data);
  if (channels > 1) samples = mixToMono(samples, channels);
  if (sampleRate !== 8000) samples = resample(samples, sampleRate, 8000);
  return encodeUlaw(samples);
}

/** Converts linear samples at any rate to u-law 8 kHz. */
export function pcmToWxccUlaw(samples: Int16Array, sampleRate: number): Uint8Array {
  return encodeUlaw(sampleRate === 8000 ? samples : resample(samples, sampleRate, 8000));
}

/**
 * Reads a prompt file and converts it to u-law 8 kHz mono.
 *
 * @throws Error naming the file when it is missing or not a WAV the audio library reads.
 */
export async function loadPromptFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new Error(`cannot read prompt ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return wavToWxccUlaw(parseWav(bytes));
  } catch (error) {
    throw new Error(`prompt ${path} is not a usable WAV file: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

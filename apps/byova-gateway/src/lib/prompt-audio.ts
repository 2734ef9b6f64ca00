// Any WAV the audio library reads (PCM16, u-law, A-law; 4 to 384 kHz; up to 64 channels) -> raw u-law
// 8 kHz mono, the format WxCC plays.

import { readFile } from 'node:fs/promises';
import { encodeUlaw, parseWav, resample, toTelephonyUlaw, type WavFile } from '@org/audio';
import { GatewayError, GatewayErrorCode } from './errors';

/** Converts a parsed WAV to u-law 8 kHz mono (returned as is when it already is). */
export function wavToWxccUlaw(wav: WavFile): Uint8Array {
  return toTelephonyUlaw(wav);
}

/** Converts linear samples at any rate to u-law 8 kHz. */
export function pcmToWxccUlaw(samples: Int16Array, sampleRate: number): Uint8Array {
  return encodeUlaw(sampleRate === 8000 ? samples : resample(samples, sampleRate, 8000));
}

/**
 * Reads a prompt file and converts it to u-law 8 kHz mono.
 *
 * @throws GatewayError `BYOVA_GW_ERR_CONNECTOR` naming the file when it is missing or not a WAV
 * the audio library reads.
 */
export async function loadPromptFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new GatewayError(
      GatewayErrorCode.Connector,
      `cannot read prompt ${path}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  try {
    return wavToWxccUlaw(parseWav(bytes));
  } catch (error) {
    throw new GatewayError(
      GatewayErrorCode.Connector,
      `prompt ${path} is not a usable WAV file: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

// Whole-file conversions that telephony code keeps needing: any WAV this library reads to linear
// samples, and to the u-law 8 kHz mono that contact-center platforms play.

import { decodeAlaw, decodeUlaw, encodeUlaw } from './g711';
import { mixToMono } from './channels';
import { l16ToInt16 } from './l16';
import { resample } from './resampler';
import type { WavFile } from './wav';

/**
 * The audio of a parsed WAV as 16-bit linear samples (interleaved when it has several
 * channels). For a `pcm16` file this is a view of the file's bytes where the layout allows.
 *
 * @example
 * ```ts
 * const samples = decodeWavSamples(parseWav(bytes));
 * ```
 */
export function decodeWavSamples(wav: WavFile): Int16Array {
  switch (wav.format.encoding) {
    case 'ulaw':
      return decodeUlaw(wav.data);
    case 'alaw':
      return decodeAlaw(wav.data);
    case 'pcm16':
      return l16ToInt16(wav.data, 'le');
  }
}

/**
 * Any WAV this library reads (PCM16, u-law, A-law; any rate; any channel count) as u-law 8 kHz
 * mono: channels are mixed, the rate is converted, and a file that already is u-law 8 kHz mono
 * is returned as it is (a view of its bytes).
 *
 * @example
 * ```ts
 * const prompt = toTelephonyUlaw(parseWav(await readFile('welcome.wav')));
 * ```
 */
export function toTelephonyUlaw(wav: WavFile): Uint8Array {
  const { encoding, sampleRate, channels } = wav.format;
  if (encoding === 'ulaw' && sampleRate === 8000 && channels === 1) return wav.data;
  let samples = decodeWavSamples(wav);
  if (channels > 1) samples = mixToMono(samples, channels);
  if (sampleRate !== 8000) samples = resample(samples, sampleRate, 8000);
  return encodeUlaw(samples);
}

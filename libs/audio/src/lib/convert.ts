// Whole-file conversions that telephony code keeps needing: any WAV this library reads to linear
// samples, and to the u-law 8 kHz mono that contact-center platforms play.

import { AudioError, AudioErrorCode } from './errors';
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

/** Lowest sample rate {@link toTelephonyUlaw} converts, Hz: below it a file is refused. */
export const CONVERT_MIN_SAMPLE_RATE = 4000;
/** Highest sample rate {@link toTelephonyUlaw} converts, Hz. */
export const CONVERT_MAX_SAMPLE_RATE = 384000;
/** Most channels {@link toTelephonyUlaw} mixes. */
export const CONVERT_MAX_CHANNELS = 64;

/**
 * Any WAV this library reads (PCM16, u-law, A-law; 4 kHz to 384 kHz; 1 to 64 channels) as u-law
 * 8 kHz mono: channels are mixed, the rate is converted, and a file that already is u-law 8 kHz
 * mono is returned as it is (a view of its bytes). The result is never more than twice as many
 * bytes as the file has sample frames: rates below 4 kHz (which would multiply a small hostile
 * file into gigabytes) are refused.
 *
 * @throws AudioError `AUDIO_ERR_WAV_UNSUPPORTED_FORMAT` for a rate or channel count outside those
 * ranges, `AUDIO_ERR_OUTPUT_TOO_LARGE` when the result's memory cannot be allocated.
 *
 * @example
 * ```ts
 * const prompt = toTelephonyUlaw(parseWav(await readFile('welcome.wav')));
 * ```
 */
export function toTelephonyUlaw(wav: WavFile): Uint8Array {
  const { encoding, sampleRate, channels } = wav.format;
  if (encoding === 'ulaw' && sampleRate === 8000 && channels === 1) return wav.data;
  if (
    !Number.isInteger(sampleRate) ||
    sampleRate < CONVERT_MIN_SAMPLE_RATE ||
    sampleRate > CONVERT_MAX_SAMPLE_RATE
  ) {
    throw new AudioError(
      AudioErrorCode.WavUnsupportedFormat,
      `a sample rate of ${sampleRate} Hz is not converted (${CONVERT_MIN_SAMPLE_RATE} to ${CONVERT_MAX_SAMPLE_RATE} Hz are)`,
    );
  }
  if (!Number.isInteger(channels) || channels < 1 || channels > CONVERT_MAX_CHANNELS) {
    throw new AudioError(
      AudioErrorCode.WavUnsupportedFormat,
      `${channels} channels are not mixed (1 to ${CONVERT_MAX_CHANNELS} are)`,
    );
  }
  try {
    let samples = decodeWavSamples(wav);
    if (channels > 1) samples = mixToMono(samples, channels);
    if (sampleRate !== 8000) samples = resample(samples, sampleRate, 8000);
    return encodeUlaw(samples);
  } catch (error) {
    // The runtime refuses a typed array it cannot allocate with a RangeError.
    if (!(error instanceof RangeError)) throw error;
    throw new AudioError(
      AudioErrorCode.OutputTooLarge,
      `converting ${wav.frames} frames to u-law 8 kHz failed: ${error.message}`,
      { cause: error },
    );
  }
}

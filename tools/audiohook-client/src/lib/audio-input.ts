// Audio sources of the test client: the 1 kHz tone, or a WAV file of any format @org/audio reads
// (PCM16, μ-law, A-law; any rate; mono or stereo), converted to the 8 kHz PCMU AudioHook sends.

import { readFile } from 'node:fs/promises';
import {
  decodeWavSamples,
  deinterleave,
  encodeUlaw,
  encodeWav,
  interleave,
  parseWav,
  resample,
  type WavFile,
} from '@org/audio';
import {
  toneMediaSource,
  wavMediaSource,
  type MediaSource,
  type PacingOptions,
} from '@org/audiohook-protocol';
import { ClientError, ClientErrorCode } from './errors';

/** Thrown for a WAV file the client cannot send; the message says why. */
export class AudioInputError extends ClientError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(ClientErrorCode.AudioInput, message, options);
  }
}

/** What the conversion did, for the CLI to report. */
export interface WavConversion {
  readonly source: { encoding: string; sampleRate: number; channels: number; seconds: number };
  /** True when the file was re-encoded or resampled (false: its bytes are sent as they are). */
  readonly converted: boolean;
  /** The 8 kHz PCMU WAV that is streamed. */
  readonly wav: Uint8Array;
}

/**
 * Converts WAV bytes to an 8 kHz PCMU WAV with the same channels (1 or 2). Channel order is kept:
 * a stereo file is [external, internal]. An 8 kHz μ-law file passes through byte for byte.
 *
 * @throws AudioInputError for an unreadable file or more than two channels.
 */
export function convertWav(bytes: Uint8Array): WavConversion {
  let wav: WavFile;
  try {
    wav = parseWav(bytes, { recover: true });
  } catch (error) {
    throw new AudioInputError(
      `not a WAV file this client can read: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const { encoding, sampleRate, channels } = wav.format;
  if (channels < 1 || channels > 2) {
    throw new AudioInputError(`the WAV file has ${channels} channels; AudioHook carries 1 or 2`);
  }
  const source = { encoding, sampleRate, channels, seconds: wav.durationSeconds };
  if (encoding === 'ulaw' && sampleRate === 8000) {
    return { source, converted: false, wav: encodeWav(wav.format, wav.data) };
  }
  const linear = decodeWavSamples(wav);
  const perChannel = channels === 1 ? [linear] : deinterleave(linear, channels);
  const at8k = perChannel.map((samples) =>
    sampleRate === 8000 ? samples : resample(samples, sampleRate, 8000),
  );
  const joined = at8k.length === 1 ? (at8k[0] as Int16Array) : interleave(at8k);
  return {
    source,
    converted: true,
    wav: encodeWav({ encoding: 'ulaw', sampleRate: 8000, channels }, encodeUlaw(joined)),
  };
}

/** Reads and converts a WAV file, then wraps it as a media source. */
export async function wavFileSource(
  path: string,
  pacing: PacingOptions = {},
): Promise<{ source: MediaSource; conversion: WavConversion }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (error) {
    throw new AudioInputError(
      `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const conversion = convertWav(bytes);
  return { source: wavMediaSource(conversion.wav, pacing), conversion };
}

/** The reference client's tone: 1 kHz PCMU at about -2 dBFS, stereo offered first. */
export function toneSource(
  durationMs: number | undefined,
  pacing: PacingOptions = {},
): MediaSource {
  return toneMediaSource({ ...pacing, ...(durationMs === undefined ? {} : { durationMs }) });
}

// Caller audio of a VoiceInput frame -> linear samples. WxCC often leaves `encoding` UNSPECIFIED
// and `sample_rate_hertz` 0 on frames after the first; both mean "the default", which is u-law at
// 8 kHz unless configured otherwise.

import { decodeAlaw, decodeUlaw, l16ToInt16 } from '@org/audio';
import type { VoiceInput__Output } from '../generated/com/cisco/wcc/ccai/media/v1/VoiceInput';
import { ByovaError, ByovaErrorCode } from './errors';

/** A caller audio encoding that can be decoded. */
export type CallerAudioEncoding = 'MULAW_FORMAT' | 'ALAW_FORMAT' | 'LINEAR16_FORMAT';

/** The encodings {@link decodeCallerAudio} decodes. */
export const CALLER_AUDIO_ENCODINGS: readonly CallerAudioEncoding[] = Object.freeze([
  'MULAW_FORMAT',
  'ALAW_FORMAT',
  'LINEAR16_FORMAT',
]);

function isCallerAudioEncoding(value: unknown): value is CallerAudioEncoding {
  return (CALLER_AUDIO_ENCODINGS as readonly unknown[]).includes(value);
}

/** Lowest and highest `sample_rate_hertz` accepted. */
export const MIN_CALLER_SAMPLE_RATE = 8000;
export const MAX_CALLER_SAMPLE_RATE = 48000;

/** What UNSPECIFIED / 0 mean. */
export interface CallerAudioDefaults {
  /**
   * Encoding assumed when a frame says `UNSPECIFIED_FORMAT`.
   * @default 'MULAW_FORMAT'
   */
  readonly encoding?: CallerAudioEncoding;
  /**
   * Sample rate assumed when a frame says 0.
   * @default 8000
   */
  readonly sampleRateHertz?: number;
}

/** A decoded frame. */
export interface DecodedCallerAudio {
  /** Linear 16-bit samples, mono. */
  readonly samples: Int16Array;
  readonly sampleRate: number;
  /** The effective encoding (after applying the default). */
  readonly encoding: CallerAudioEncoding;
}

/**
 * The effective encoding and sample rate of a frame (the defaults applied, the rate checked).
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_AUDIO` for a rate outside 8000-48000 Hz, or an encoding
 * that is not u-law, A-law or LINEAR16 (protobuf passes a value the contract does not name through
 * as a number, e.g. `7`).
 * @example
 * ```ts
 * callerAudioFormat({ encoding: 'UNSPECIFIED_FORMAT', sample_rate_hertz: 0 }); // MULAW_FORMAT, 8000
 * ```
 */
export function callerAudioFormat(
  input: Pick<VoiceInput__Output, 'encoding' | 'sample_rate_hertz'>,
  defaults: CallerAudioDefaults = {},
): { encoding: CallerAudioEncoding; sampleRate: number } {
  // The declared type lists the contract's names; a newer or broken client may send any number.
  const declared: unknown = input.encoding;
  const encoding: unknown =
    declared === 'UNSPECIFIED_FORMAT' ? (defaults.encoding ?? 'MULAW_FORMAT') : declared;
  if (!isCallerAudioEncoding(encoding)) {
    throw new ByovaError(
      ByovaErrorCode.InvalidAudio,
      `caller audio encoding ${describe(encoding)} is not one of ${CALLER_AUDIO_ENCODINGS.join(', ')}`,
    );
  }
  const sampleRate =
    input.sample_rate_hertz === 0 ? (defaults.sampleRateHertz ?? 8000) : input.sample_rate_hertz;
  if (
    !Number.isInteger(sampleRate) ||
    sampleRate < MIN_CALLER_SAMPLE_RATE ||
    sampleRate > MAX_CALLER_SAMPLE_RATE
  ) {
    throw new ByovaError(
      ByovaErrorCode.InvalidAudio,
      `sample_rate_hertz ${sampleRate} is outside ${MIN_CALLER_SAMPLE_RATE}-${MAX_CALLER_SAMPLE_RATE}`,
    );
  }
  return { encoding, sampleRate };
}

/**
 * Decodes one caller audio frame (u-law, A-law with standard G.711, or LINEAR16 little-endian).
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_AUDIO` for an odd LINEAR16 length, a bad sample rate or an
 * unknown encoding.
 * @example
 * ```ts
 * const { samples, sampleRate } = decodeCallerAudio(request.audio_input);
 * ```
 */
export function decodeCallerAudio(
  input: Pick<VoiceInput__Output, 'caller_audio' | 'encoding' | 'sample_rate_hertz'>,
  defaults: CallerAudioDefaults = {},
): DecodedCallerAudio {
  const { encoding, sampleRate } = callerAudioFormat(input, defaults);
  const bytes = input.caller_audio;
  switch (encoding) {
    case 'MULAW_FORMAT':
      return { samples: decodeUlaw(bytes), sampleRate, encoding };
    case 'ALAW_FORMAT':
      return { samples: decodeAlaw(bytes), sampleRate, encoding };
    case 'LINEAR16_FORMAT':
      if (bytes.length % 2 !== 0) {
        throw new ByovaError(
          ByovaErrorCode.InvalidAudio,
          `LINEAR16 caller audio has an odd length (${bytes.length} bytes)`,
        );
      }
      return { samples: l16ToInt16(bytes, 'le'), sampleRate, encoding };
    default:
      // Unreachable while callerAudioFormat checks the encoding; a new member must be decoded here.
      return unsupported(encoding);
  }
}

function unsupported(encoding: never): never {
  throw new ByovaError(
    ByovaErrorCode.InvalidAudio,
    `caller audio encoding ${describe(encoding)} cannot be decoded`,
  );
}

/** A short, safe rendering of a value a client sent (never a long string in a message). */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  return typeof value === 'number' ? String(value) : typeof value;
}

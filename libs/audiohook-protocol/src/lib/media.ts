// Media parameters and binary audio frames: whole-sample, interleaved audio of the negotiated
// format, exposed as zero-copy per-channel views through @org/audio.

import {
  ChannelView,
  decodeUlaw,
  encodeUlaw,
  l16ToInt16,
  type ByteOrder,
  type SampleArray,
} from './audio';
import { samplesToNanos } from './duration';
import { AudioHookError, AudioHookErrorCode } from './errors';
import { type MediaChannel, type MediaFormat, type MediaParameter } from './schemas';

/**
 * Bytes of one sample of one channel in `format`.
 *
 * @example
 * ```ts
 * bytesPerSample('L16'); // 2
 * ```
 */
export function bytesPerSample(format: MediaFormat): number {
  if (format === 'PCMU') return 1;
  if (format === 'L16') return 2;
  throw new AudioHookError(AudioHookErrorCode.UnsupportedMedia, `unsupported format ${format}`);
}

/**
 * Bytes of one sample frame (every channel) of `media`.
 *
 * @example
 * ```ts
 * frameBytes({ type: 'audio', format: 'PCMU', rate: 8000, channels: ['external', 'internal'] }); // 2
 * ```
 */
export function frameBytes(media: MediaParameter): number {
  return bytesPerSample(media.format) * media.channels.length;
}

/**
 * True when two media parameters are identical: same type, format, rate and channels in the
 * same order (what `opened.media` must echo).
 *
 * @example
 * ```ts
 * offered.some((m) => mediaEquals(m, selected));
 * ```
 */
export function mediaEquals(a: MediaParameter, b: MediaParameter): boolean {
  return (
    a.type === b.type &&
    a.format === b.format &&
    a.rate === b.rate &&
    a.channels.length === b.channels.length &&
    a.channels.every((channel, i) => channel === b.channels[i])
  );
}

/**
 * Copies a media parameter with exactly the protocol's fields (an exact echo for `opened`).
 *
 * @example
 * ```ts
 * const echo = copyMedia(open.parameters.media[0]);
 * ```
 */
export function copyMedia(media: MediaParameter): MediaParameter {
  return {
    type: media.type,
    format: media.format,
    rate: media.rate,
    channels: [...media.channels],
  };
}

/**
 * Options of {@link AudioFrame} and {@link parseAudioFrame}.
 *
 * @example
 * ```ts
 * const options: AudioFrameOptions = { l16ByteOrder: 'be' };
 * const frame = parseAudioFrame(bytes, media, options);
 * ```
 */
export interface AudioFrameOptions {
  /**
   * Byte order of L16 samples on the wire. The protocol does not establish it (spec open
   * question 3); the reference reads host order, which is little-endian in practice.
   * @default 'le'
   */
  readonly l16ByteOrder?: ByteOrder;
}

/**
 * One binary frame of audio: whole samples for every channel, interleaved in the order of the
 * negotiated `channels`. Views share the frame's memory; nothing is copied until asked for.
 *
 * @example
 * ```ts
 * const frame = parseAudioFrame(bytes, selectedMedia);
 * const customer = frame.channel('external');   // zero-copy strided view
 * const linear = frame.channelLinear(0);        // Int16Array of the first channel
 * ```
 */
export class AudioFrame {
  /** The raw bytes as received. */
  readonly data: Uint8Array;
  /** The negotiated media this frame is in. */
  readonly media: MediaParameter;
  /** Samples per channel in this frame. */
  readonly samples: number;
  /** Number of interleaved channels. */
  readonly channelCount: number;
  /**
   * The interleaved samples: the bytes themselves for PCMU (`Uint8Array`), 16-bit samples for
   * L16 (`Int16Array`, a view of the same memory when the byte order matches the host's and the
   * offset is even).
   */
  readonly interleaved: SampleArray;
  readonly #byteOrder: ByteOrder;

  constructor(data: Uint8Array, media: MediaParameter, options: AudioFrameOptions = {}) {
    const bytes = frameBytes(media);
    if (data.length % bytes !== 0) {
      throw new AudioHookError(
        AudioHookErrorCode.InvalidAudioFrame,
        `frame of ${data.length} bytes is not a whole number of ${bytes}-byte samples ` +
          `(${media.format}, ${media.channels.length} channel(s))`,
      );
    }
    this.data = data;
    this.media = media;
    this.channelCount = media.channels.length;
    this.samples = data.length / bytes;
    this.#byteOrder = options.l16ByteOrder ?? 'le';
    this.interleaved = media.format === 'PCMU' ? data : l16ToInt16(data, this.#byteOrder);
  }

  /** Duration of the frame in nanoseconds. */
  get duration(): number {
    return samplesToNanos(this.samples, this.media.rate);
  }

  /** Index of a channel given by name or index; throws for a channel not in the media. */
  channelIndex(channel: number | MediaChannel): number {
    const index = typeof channel === 'number' ? channel : this.media.channels.indexOf(channel);
    if (!Number.isInteger(index) || index < 0 || index >= this.channelCount) {
      throw new AudioHookError(
        AudioHookErrorCode.InvalidArgument,
        `channel ${String(channel)} is not in [${this.media.channels.join(', ')}]`,
      );
    }
    return index;
  }

  /** A zero-copy view of one channel's samples (bytes for PCMU, linear for L16). */
  channel(channel: number | MediaChannel): ChannelView {
    return new ChannelView(this.interleaved, this.channelCount, this.channelIndex(channel));
  }

  /** The interleaved samples as 16-bit linear PCM (decoded from PCMU, or the L16 samples). */
  toLinear(): Int16Array {
    return this.interleaved instanceof Uint8Array ? decodeUlaw(this.interleaved) : this.interleaved;
  }

  /** One channel as contiguous 16-bit linear PCM. */
  channelLinear(channel: number | MediaChannel): Int16Array {
    const index = this.channelIndex(channel);
    if (this.channelCount === 1) return this.toLinear();
    const view = new ChannelView(this.interleaved, this.channelCount, index);
    if (this.interleaved instanceof Uint8Array) {
      return decodeUlaw(view.toArray() as Uint8Array);
    }
    return view.toArray() as Int16Array;
  }

  /** The interleaved samples as PCMU bytes (the frame itself for PCMU, encoded for L16). */
  toPcmu(): Uint8Array {
    return this.interleaved instanceof Uint8Array ? this.interleaved : encodeUlaw(this.interleaved);
  }
}

/**
 * Interprets a binary frame as audio of the negotiated media.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_AUDIO_FRAME` when the frame is not whole samples
 *   for every channel.
 *
 * @example
 * ```ts
 * const frame = parseAudioFrame(bytes, selectedMedia);
 * transcriber.push(frame.samples, frame.duration);
 * ```
 */
export function parseAudioFrame(
  data: Uint8Array,
  media: MediaParameter,
  options: AudioFrameOptions = {},
): AudioFrame {
  return new AudioFrame(data, media, options);
}

/**
 * Splits audio into chunks of at most `maxBytes` bytes, each holding whole sample frames (for
 * sending bot audio in paced packets, e.g. 1600 bytes). Chunks are views, not copies.
 *
 * @example
 * ```ts
 * for (const chunk of splitAudio(ttsBytes, selectedMedia, 1600)) session.sendAudio(chunk);
 * ```
 */
export function splitAudio(
  data: Uint8Array,
  media: MediaParameter,
  maxBytes: number,
): Uint8Array[] {
  const unit = frameBytes(media);
  const size = Math.floor(maxBytes / unit) * unit;
  if (!Number.isInteger(maxBytes) || size <= 0) {
    throw new AudioHookError(
      AudioHookErrorCode.InvalidArgument,
      `maxBytes ${maxBytes} cannot hold one ${unit}-byte sample frame`,
    );
  }
  if (data.length % unit !== 0) {
    throw new AudioHookError(
      AudioHookErrorCode.InvalidAudioFrame,
      `${data.length} bytes are not whole ${unit}-byte sample frames`,
    );
  }
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; offset += size) {
    chunks.push(data.subarray(offset, Math.min(offset + size, data.length)));
  }
  return chunks;
}

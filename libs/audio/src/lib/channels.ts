// Multi-channel helpers: interleave, de-interleave, zero-copy strided channel views, down-mixing.

import { assertIntegerInRange, invalidArgument } from './errors';

/** A typed array of samples: `Int16Array` for linear PCM, `Uint8Array` for G.711 bytes. */
export type SampleArray = Int16Array | Uint8Array;

function sameKind<T extends SampleArray>(template: T, length: number): T {
  return (template instanceof Int16Array ? new Int16Array(length) : new Uint8Array(length)) as T;
}

function checkChannels(channels: number): void {
  assertIntegerInRange('channels', channels, 1, 64);
}

function frameCount(interleaved: SampleArray, channels: number): number {
  checkChannels(channels);
  if (interleaved.length % channels !== 0) {
    invalidArgument(
      `interleaved length ${interleaved.length} is not a whole number of ${channels}-channel frames`,
    );
  }
  return interleaved.length / channels;
}

/**
 * Splits interleaved samples (`L R L R …`) into one array per channel.
 *
 * @param interleaved Samples of `channels` channels, frame by frame.
 * @param channels Number of channels (1 to 64).
 * @param outputs Optional destination arrays, one per channel, each with room for the frames.
 *
 * @example
 * ```ts
 * const [external, internal] = deinterleave(decodeUlaw(stereoFrame), 2);
 * ```
 */
export function deinterleave<T extends SampleArray>(
  interleaved: T,
  channels: number,
  outputs?: T[],
): T[] {
  const frames = frameCount(interleaved, channels);
  const result: T[] = [];
  for (let c = 0; c < channels; c++) {
    const given = outputs?.[c];
    if (given !== undefined && given.length < frames) {
      invalidArgument(`output for channel ${c} holds ${given.length} samples, ${frames} needed`);
    }
    const target = given ?? sameKind(interleaved, frames);
    for (let f = 0, i = c; f < frames; f++, i += channels) target[f] = interleaved[i] as number;
    result.push(target);
  }
  return result;
}

/**
 * Joins per-channel arrays into one interleaved array. All channels must have the same length.
 *
 * @example
 * ```ts
 * const stereo = interleave([left, right]);
 * ```
 */
export function interleave<T extends SampleArray>(channelData: readonly T[], output?: T): T {
  const first = channelData[0];
  if (first === undefined) return invalidArgument('interleave needs at least one channel');
  const channels = channelData.length;
  checkChannels(channels);
  const frames = first.length;
  for (const data of channelData) {
    if (data.length !== frames)
      invalidArgument('every channel must have the same number of samples');
  }
  const total = frames * channels;
  if (output !== undefined && output.length < total) {
    invalidArgument(`output holds ${output.length} samples, ${total} needed`);
  }
  const target = output ?? sameKind(first, total);
  for (let c = 0; c < channels; c++) {
    const data = channelData[c] as T;
    for (let f = 0, i = c; f < frames; f++, i += channels) target[i] = data[f] as number;
  }
  return target;
}

/**
 * A zero-copy, read-only view of one channel inside interleaved samples: reads go straight to
 * the interleaved memory with a stride.
 *
 * @example
 * ```ts
 * const agent = new ChannelView(samples, 2, 1);
 * for (const sample of agent) energy += sample * sample;
 * ```
 */
export class ChannelView<T extends SampleArray = SampleArray> implements Iterable<number> {
  /** Number of samples in this channel. */
  readonly length: number;

  constructor(
    /** The interleaved samples. */
    readonly interleaved: T,
    /** Number of interleaved channels. */
    readonly channels: number,
    /** Zero-based channel index. */
    readonly channel: number,
  ) {
    this.length = frameCount(interleaved, channels);
    assertIntegerInRange('channel', channel, 0, channels - 1);
  }

  /** The sample at frame `index`, or `undefined` outside `[0, length)`. */
  at(index: number): number | undefined {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) return undefined;
    return this.interleaved[index * this.channels + this.channel];
  }

  *[Symbol.iterator](): Iterator<number> {
    const { interleaved, channels } = this;
    for (let i = this.channel; i < interleaved.length; i += channels)
      yield interleaved[i] as number;
  }

  /** Copies the channel into a new contiguous array (or into `output`). */
  toArray(output?: T): T {
    if (output !== undefined && output.length < this.length) {
      invalidArgument(`output holds ${output.length} samples, ${this.length} needed`);
    }
    const target = output ?? sameKind(this.interleaved, this.length);
    const { interleaved, channels } = this;
    for (let f = 0, i = this.channel; f < this.length; f++, i += channels)
      target[f] = interleaved[i] as number;
    return target;
  }
}

/**
 * Mixes interleaved linear samples of any channel count down to mono by averaging each frame
 * (rounded to nearest, so the mix never clips).
 *
 * @example
 * ```ts
 * const mono = mixToMono(stereoSamples, 2);
 * ```
 */
export function mixToMono(
  interleaved: Int16Array,
  channels: number,
  output?: Int16Array,
): Int16Array {
  const frames = frameCount(interleaved, channels);
  if (output !== undefined && output.length < frames) {
    invalidArgument(`output holds ${output.length} samples, ${frames} needed`);
  }
  const target = output ?? new Int16Array(frames);
  if (channels === 2) {
    for (let f = 0, i = 0; f < frames; f++, i += 2) {
      target[f] = Math.round(((interleaved[i] as number) + (interleaved[i + 1] as number)) / 2);
    }
    return target;
  }
  for (let f = 0, i = 0; f < frames; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++, i++) sum += interleaved[i] as number;
    target[f] = Math.round(sum / channels);
  }
  return target;
}

/** Mixes interleaved stereo linear samples to mono. Shorthand for `mixToMono(samples, 2)`. */
export function stereoToMono(interleaved: Int16Array, output?: Int16Array): Int16Array {
  return mixToMono(interleaved, 2, output);
}

// L16: 16-bit signed linear PCM as bytes, in either byte order.

import { invalidArgument } from './errors';

/** Byte order of 16-bit samples on the wire or in a file. */
export type ByteOrder = 'le' | 'be';

/** The byte order of this machine's typed arrays. */
export const HOST_BYTE_ORDER: ByteOrder =
  new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'le' : 'be';

function swapInto(source: Uint8Array, target: Uint8Array): void {
  for (let i = 0; i + 1 < source.length; i += 2) {
    const first = source[i] as number;
    target[i] = source[i + 1] as number;
    target[i + 1] = first;
  }
}

/**
 * Reads L16 bytes as samples. When the byte order is the host's and the bytes start on an even
 * offset, the result is a **view** of the same memory (no copy): writes to one show in the other.
 * Otherwise the bytes are copied (and swapped when needed).
 *
 * @param bytes An even number of bytes.
 * @param byteOrder Order of the bytes. @default 'le'
 * @throws AudioError `AUDIO_ERR_INVALID_ARGUMENT` if the length is odd.
 *
 * @example
 * ```ts
 * const samples = l16ToInt16(frame, 'le');
 * ```
 */
export function l16ToInt16(bytes: Uint8Array, byteOrder: ByteOrder = 'le'): Int16Array {
  if (bytes.length % 2 !== 0)
    invalidArgument(`L16 data must have an even length, got ${bytes.length}`);
  const count = bytes.length / 2;
  if (byteOrder === HOST_BYTE_ORDER) {
    if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, count);
    const copy = new Int16Array(count);
    new Uint8Array(copy.buffer).set(bytes);
    return copy;
  }
  const swapped = new Int16Array(count);
  swapInto(bytes, new Uint8Array(swapped.buffer));
  return swapped;
}

/**
 * Writes samples as L16 bytes. In the host's byte order the result is a **view** of the samples'
 * memory (no copy); in the other order it is a new, swapped buffer.
 *
 * @param samples Linear samples.
 * @param byteOrder Order of the bytes. @default 'le'
 *
 * @example
 * ```ts
 * socket.send(int16ToL16(samples, 'le'));
 * ```
 */
export function int16ToL16(samples: Int16Array, byteOrder: ByteOrder = 'le'): Uint8Array {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  if (byteOrder === HOST_BYTE_ORDER) return bytes;
  const swapped = new Uint8Array(bytes.length);
  swapInto(bytes, swapped);
  return swapped;
}

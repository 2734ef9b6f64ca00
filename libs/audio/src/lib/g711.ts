// G.711 companding (u-law / PCMU and A-law / PCMA), table driven.
//
// The tables are filled once at module load from the classic reference formulation of G.711
// (u-law: bias 0x84, clip 32635; A-law: the 13-bit segment formulation), so every table entry is
// bit-exact to the reference. Bulk encode is one table lookup per sample (a 64 KiB table indexed by
// the sample's 16 bits). Bulk decode of aligned buffers converts two bytes per lookup through a
// 256 KiB pair table that is built on first use.

import { AudioErrorCode, AudioError } from './errors';

const ULAW_BIAS = 0x84;
const ULAW_CLIP = 32635;

/** Little-endian host? Only affects how the decode pair tables are laid out. */
const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Segment (exponent) of a biased u-law magnitude, indexed by `magnitude >> 7`. */
const ULAW_EXPONENT = new Uint8Array(256);
for (let i = 2; i < 256; i++) {
  ULAW_EXPONENT[i] = (ULAW_EXPONENT[i >> 1] as number) + 1;
}

/** u-law decode segment bases: the decoded magnitude of mantissa 0 in each segment. */
const ULAW_SEGMENT_BASE = [0, 132, 396, 924, 1980, 4092, 8316, 16764] as const;

function encodeUlawSample(sample: number): number {
  let magnitude = sample;
  let sign = 0;
  if (magnitude < 0) {
    sign = 0x80;
    magnitude = -magnitude;
  }
  if (magnitude > ULAW_CLIP) magnitude = ULAW_CLIP;
  magnitude += ULAW_BIAS;
  const exponent = ULAW_EXPONENT[magnitude >> 7] as number;
  const mantissa = (magnitude >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function decodeUlawSample(byte: number): number {
  const inverted = ~byte & 0xff;
  const exponent = (inverted >> 4) & 0x07;
  const mantissa = inverted & 0x0f;
  const magnitude = (ULAW_SEGMENT_BASE[exponent] as number) + (mantissa << (exponent + 3));
  return inverted & 0x80 ? -magnitude : magnitude;
}

/** A-law segment end points of the 13-bit magnitude. */
const ALAW_SEGMENT_END = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff] as const;

function encodeAlawSample(sample: number): number {
  let magnitude = sample >> 3;
  let mask: number;
  if (magnitude >= 0) {
    mask = 0xd5;
  } else {
    mask = 0x55;
    magnitude = -magnitude - 1;
  }
  let segment = 0;
  while (segment < 8 && magnitude > (ALAW_SEGMENT_END[segment] as number)) segment++;
  if (segment >= 8) return 0x7f ^ mask;
  const mantissa = segment < 2 ? (magnitude >> 1) & 0x0f : (magnitude >> segment) & 0x0f;
  return ((segment << 4) | mantissa) ^ mask;
}

function decodeAlawSample(byte: number): number {
  const value = byte ^ 0x55;
  const segment = (value & 0x70) >> 4;
  let magnitude = (value & 0x0f) << 4;
  if (segment === 0) magnitude += 8;
  else magnitude = (magnitude + 0x108) << (segment - 1);
  return value & 0x80 ? magnitude : -magnitude;
}

function buildDecodeTable(decode: (byte: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let byte = 0; byte < 256; byte++) table[byte] = decode(byte);
  return table;
}

function buildEncodeTable(encode: (sample: number) => number): Uint8Array {
  // Indexed by the sample's two's-complement bits read as unsigned 16-bit.
  const table = new Uint8Array(65536);
  for (let bits = 0; bits < 65536; bits++)
    table[bits] = encode(bits >= 32768 ? bits - 65536 : bits);
  return table;
}

/** Two decoded samples per entry, indexed by two input bytes read as one host-order uint16. */
function buildPairTable(single: Int16Array): Uint32Array {
  const pairs = new Uint32Array(65536);
  const halves = new Int16Array(pairs.buffer);
  for (let key = 0; key < 65536; key++) {
    const first = HOST_IS_LITTLE_ENDIAN ? key & 0xff : key >> 8;
    const second = HOST_IS_LITTLE_ENDIAN ? key >> 8 : key & 0xff;
    halves[2 * key] = single[first] as number;
    halves[2 * key + 1] = single[second] as number;
  }
  return pairs;
}

const ULAW_DECODE_TABLE = buildDecodeTable(decodeUlawSample);
const ALAW_DECODE_TABLE = buildDecodeTable(decodeAlawSample);
const ULAW_ENCODE_TABLE = buildEncodeTable(encodeUlawSample);
const ALAW_ENCODE_TABLE = buildEncodeTable(encodeAlawSample);
let ulawPairTable: Uint32Array | undefined;
let alawPairTable: Uint32Array | undefined;

/** Below this many bytes the pair table is not worth its first-use cost or its cache footprint. */
const PAIR_DECODE_MIN_BYTES = 64;

function checkedOutput<T extends Int16Array | Uint8Array>(
  output: T | undefined,
  length: number,
  create: (n: number) => T,
): T {
  if (output === undefined) return create(length);
  if (output.length < length) {
    throw new AudioError(
      AudioErrorCode.InvalidArgument,
      `output holds ${output.length} samples but ${length} are needed`,
    );
  }
  return output;
}

function decodeWith(
  input: Uint8Array,
  output: Int16Array | undefined,
  table: Int16Array,
  pairTable: () => Uint32Array,
): Int16Array {
  const length = input.length;
  const out = checkedOutput(output, length, (n) => new Int16Array(n));
  let i = 0;
  if (length >= PAIR_DECODE_MIN_BYTES && input.byteOffset % 2 === 0 && out.byteOffset % 4 === 0) {
    const pairs = pairTable();
    const pairCount = length >> 1;
    const in16 = new Uint16Array(input.buffer, input.byteOffset, pairCount);
    const out32 = new Uint32Array(out.buffer, out.byteOffset, pairCount);
    for (let p = 0; p < pairCount; p++) out32[p] = pairs[in16[p] as number] as number;
    i = pairCount << 1;
  }
  for (; i < length; i++) out[i] = table[input[i] as number] as number;
  return out;
}

function encodeWith(
  input: Int16Array,
  output: Uint8Array | undefined,
  table: Uint8Array,
): Uint8Array {
  const length = input.length;
  const out = checkedOutput(output, length, (n) => new Uint8Array(n));
  const bits = new Uint16Array(input.buffer, input.byteOffset, length);
  for (let i = 0; i < length; i++) out[i] = table[bits[i] as number] as number;
  return out;
}

/**
 * Decodes one u-law (PCMU) byte to a 16-bit linear sample.
 *
 * @example
 * ```ts
 * ulawToLinear(0x80); // 32124
 * ```
 */
export function ulawToLinear(byte: number): number {
  return ULAW_DECODE_TABLE[byte & 0xff] as number;
}

/**
 * Encodes one 16-bit linear sample to a u-law (PCMU) byte. Values outside the int16 range wrap
 * (only the low 16 bits are used), exactly as a store into an `Int16Array` would.
 *
 * @example
 * ```ts
 * linearToUlaw(1000); // 0xce
 * ```
 */
export function linearToUlaw(sample: number): number {
  return ULAW_ENCODE_TABLE[sample & 0xffff] as number;
}

/** Decodes one A-law (PCMA) byte to a 16-bit linear sample. */
export function alawToLinear(byte: number): number {
  return ALAW_DECODE_TABLE[byte & 0xff] as number;
}

/** Encodes one 16-bit linear sample to an A-law (PCMA) byte (low 16 bits of the value). */
export function linearToAlaw(sample: number): number {
  return ALAW_ENCODE_TABLE[sample & 0xffff] as number;
}

/**
 * Decodes u-law (PCMU) bytes to 16-bit linear samples.
 *
 * @param input u-law bytes, one per sample (interleaved channels stay interleaved).
 * @param output Optional destination with room for `input.length` samples; allocated when absent.
 * @returns The decoded samples (`output` itself when given).
 *
 * @example
 * ```ts
 * const pcm = decodeUlaw(frame); // Int16Array, one sample per input byte
 * ```
 */
export function decodeUlaw(input: Uint8Array, output?: Int16Array): Int16Array {
  return decodeWith(
    input,
    output,
    ULAW_DECODE_TABLE,
    () => (ulawPairTable ??= buildPairTable(ULAW_DECODE_TABLE)),
  );
}

/**
 * Encodes 16-bit linear samples to u-law (PCMU) bytes, bit-exact to the G.711 reference.
 *
 * @param input Linear samples.
 * @param output Optional destination with room for `input.length` bytes; allocated when absent.
 *
 * @example
 * ```ts
 * const pcmu = encodeUlaw(new Int16Array([0, -1, 1000])); // Uint8Array [0xff, 0x7f, 0xce]
 * ```
 */
export function encodeUlaw(input: Int16Array, output?: Uint8Array): Uint8Array {
  return encodeWith(input, output, ULAW_ENCODE_TABLE);
}

/** Decodes A-law (PCMA) bytes to 16-bit linear samples. Same contract as {@link decodeUlaw}. */
export function decodeAlaw(input: Uint8Array, output?: Int16Array): Int16Array {
  return decodeWith(
    input,
    output,
    ALAW_DECODE_TABLE,
    () => (alawPairTable ??= buildPairTable(ALAW_DECODE_TABLE)),
  );
}

/** Encodes 16-bit linear samples to A-law (PCMA) bytes. Same contract as {@link encodeUlaw}. */
export function encodeAlaw(input: Int16Array, output?: Uint8Array): Uint8Array {
  return encodeWith(input, output, ALAW_ENCODE_TABLE);
}

/** The u-law byte of digital silence (linear 0). */
export const ULAW_SILENCE = 0xff;
/** The A-law byte closest to digital silence (linear +8). */
export const ALAW_SILENCE = 0xd5;

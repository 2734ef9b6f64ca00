// G.711 companding (u-law / PCMU and A-law / PCMA), table driven.
//
// The tables are filled once at module load from the classic reference formulation of G.711
// (u-law: bias 0x84, clip 32635; A-law: the 13-bit segment formulation), so every table entry is
// bit-exact to the reference. Bulk encode is one table lookup per sample (a 64 KiB table indexed by
// the sample's 16 bits). Bulk decode of aligned buffers converts two bytes per lookup through a
// 256 KiB pair table that is built on first use.
//
// Bulk u-law conversion of more than a few samples runs, in order of preference, in the native
// SIMD kernels (libs/audio/native, a Node-API addon that `npm ci` builds: AVX-512 or AVX2; used
// only once `enableNativeG711()` of `@org/audio/node` loaded it from the source tree, on a CPU
// with AVX2 or better), in a WebAssembly SIMD
// kernel (src/wasm/g711.wat, 16 samples per step) where the runtime supports it, or in the
// tables. All paths are bit-exact; the tests compare each of them over every input.

import { AudioErrorCode, AudioError } from './errors';
import { G711_WASM_BASE64 } from './generated/g711';
import { allocInt16, allocUint8 } from './pool';

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

// The few WebAssembly JS-API members used here (the Node.js type definitions leave them out).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
};

interface SimdKernels {
  readonly bytes: Uint8Array;
  readonly samples: Int16Array;
  readonly decode: (src: number, dst: number, n: number) => void;
  readonly encode: (src: number, dst: number, n: number) => void;
}

/** Samples per kernel call: input and output of one block fit the module's one 64 KiB page. */
const SIMD_BLOCK = 16384;
/** Byte offset of the output region in the kernel's memory. */
const SIMD_OUT = 32768;

let simdKernels: SimdKernels | null | undefined;

function loadSimd(): SimdKernels | null {
  if (simdKernels !== undefined) return simdKernels;
  try {
    const binary = Uint8Array.from(atob(G711_WASM_BASE64), (c) => c.charCodeAt(0));
    const instance = new WebAssembly.Instance(new WebAssembly.Module(binary), {});
    const { memory, ulaw_decode, ulaw_encode } = instance.exports as {
      memory: { buffer: ArrayBuffer };
      ulaw_decode: SimdKernels['decode'];
      ulaw_encode: SimdKernels['encode'];
    };
    simdKernels = {
      bytes: new Uint8Array(memory.buffer),
      samples: new Int16Array(memory.buffer),
      decode: ulaw_decode,
      encode: ulaw_encode,
    };
  } catch {
    // No WebAssembly SIMD in this runtime: the table-driven code does the work.
    simdKernels = null;
  }
  return simdKernels;
}

/** Which implementation converts bulk u-law: see {@link g711Acceleration}. */
export type G711Acceleration = 'native' | 'wasm-simd' | 'tables';

/** Below this many samples a call into native code or WebAssembly costs more than it saves. */
const ACCELERATED_MIN_SAMPLES = 32;

/** What the native addon exports (loaded by `enableNativeG711` of `@org/audio/node`). */
export interface NativeG711 {
  /** The best kernel this CPU runs: `'avx512'`, `'avx2'` or `'scalar'`. */
  readonly kernel: string;
  /** Every kernel this CPU can run, best first. */
  readonly kernels: readonly string[];
  /** For tests: runs `name` (one of {@link kernels}) from now on; throws a TypeError otherwise. */
  readonly useKernel: (name: string) => void;
  /** Decodes `input.length` bytes into `output` (an Int16Array at least as long). */
  readonly ulawDecode: (input: Uint8Array, output: Int16Array) => void;
  /** Encodes `input.length` samples into `output` (a Uint8Array at least as long). */
  readonly ulawEncode: (input: Int16Array, output: Uint8Array) => void;
}

/** The native kernels, once registered. */
let nativeKernels: NativeG711 | null = null;
/** The implementation in use, decided on first use (or forced by the tests). */
let acceleration: G711Acceleration | undefined;

/**
 * Makes native kernels available (the automatic choice is made again).
 * @internal Called by `enableNativeG711` of `@org/audio/node`; the pure code never loads an addon.
 */
export function registerNativeG711(kernels: NativeG711): void {
  nativeKernels = kernels;
  acceleration = undefined;
}

function loadNative(): NativeG711 | null {
  return nativeKernels;
}

function chooseAcceleration(): G711Acceleration {
  // The addon's scalar fallback is slower than WebAssembly SIMD: native only with a SIMD kernel.
  const native = loadNative();
  if (native !== null && native.kernel !== 'scalar') return 'native';
  return loadSimd() !== null ? 'wasm-simd' : 'tables';
}

/**
 * Which implementation bulk u-law conversion uses: `'native'` (the AVX-512/AVX2 kernels of the
 * optional Node-API addon, once `enableNativeG711()` of `@org/audio/node` loaded them),
 * `'wasm-simd'` (WebAssembly SIMD: Node.js 16.4+ and current browsers) or `'tables'`. All are
 * bit-exact.
 *
 * @example
 * ```ts
 * g711Acceleration(); // 'native' after enableNativeG711() in this workspace, else usually 'wasm-simd'
 * ```
 */
export function g711Acceleration(): G711Acceleration {
  return (acceleration ??= chooseAcceleration());
}

/**
 * Pins the bulk u-law implementation (to compare them, or to keep native code out of a process),
 * or with no argument goes back to the automatic choice. Results are identical either way.
 *
 * @throws AudioError `AUDIO_ERR_INVALID_ARGUMENT` when the requested one is not available here.
 * @example
 * ```ts
 * setG711Acceleration('wasm-simd');
 * setG711Acceleration(); // automatic again
 * ```
 */
export function setG711Acceleration(mode?: G711Acceleration): void {
  if (
    (mode === 'native' && loadNative() === null) ||
    (mode === 'wasm-simd' && loadSimd() === null)
  ) {
    throw new AudioError(AudioErrorCode.InvalidArgument, `G.711 ${mode} kernels are not available`);
  }
  acceleration = mode;
}

/** @internal The native kernels when they are loaded (for the tests). */
export function nativeG711(): NativeG711 | null {
  return loadNative();
}

const roundUp16 = (n: number): number => (n + 15) & ~15;

// The kernels work on whole groups of 16 samples. A shorter last group reads whatever the
// kernel's memory holds after the input; the results for those extra samples are never copied
// out, so no tail loop is needed.

function decodeUlawSimd(
  kernels: SimdKernels,
  input: Uint8Array,
  output: Int16Array | undefined,
): Int16Array {
  const length = input.length;
  const outStart = SIMD_OUT / 2;
  const out = checkedOutput(output, length, allocInt16);
  for (let offset = 0; offset < length; offset += SIMD_BLOCK) {
    const count = Math.min(SIMD_BLOCK, length - offset);
    kernels.bytes.set(count === length ? input : input.subarray(offset, offset + count), 0);
    kernels.decode(0, SIMD_OUT, roundUp16(count));
    out.set(kernels.samples.subarray(outStart, outStart + count), offset);
  }
  return out;
}

function encodeUlawSimd(
  kernels: SimdKernels,
  input: Int16Array,
  output: Uint8Array | undefined,
): Uint8Array {
  const length = input.length;
  const out = checkedOutput(output, length, allocUint8);
  for (let offset = 0; offset < length; offset += SIMD_BLOCK) {
    const count = Math.min(SIMD_BLOCK, length - offset);
    kernels.samples.set(count === length ? input : input.subarray(offset, offset + count), 0);
    kernels.encode(0, SIMD_OUT, roundUp16(count));
    out.set(kernels.bytes.subarray(SIMD_OUT, SIMD_OUT + count), offset);
  }
  return out;
}

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
  const out = checkedOutput(output, length, allocInt16);
  let i = 0;
  if (
    length - i >= PAIR_DECODE_MIN_BYTES &&
    (input.byteOffset + i) % 2 === 0 &&
    (out.byteOffset + 2 * i) % 4 === 0
  ) {
    const pairCount = (length - i) >> 1;
    const in16 = new Uint16Array(input.buffer, input.byteOffset + i, pairCount);
    const out32 = new Uint32Array(out.buffer, out.byteOffset + 2 * i, pairCount);
    decodePairs(in16, out32, pairTable());
    i += pairCount << 1;
  }
  for (; i < length; i++) out[i] = table[input[i] as number] as number;
  return out;
}

// The loops below run to the length of the arrays they index, which lets the engine drop the
// bounds checks.
function decodePairs(in16: Uint16Array, out32: Uint32Array, pairs: Uint32Array): void {
  for (let p = 0; p < in16.length; p++) out32[p] = pairs[in16[p] as number] as number;
}

function encodeBits(bits: Uint16Array, out: Uint8Array, table: Uint8Array): void {
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i] as number] as number;
}

function encodeWith(
  input: Int16Array,
  output: Uint8Array | undefined,
  table: Uint8Array,
): Uint8Array {
  const out = checkedOutput(output, input.length, allocUint8);
  encodeBits(new Uint16Array(input.buffer, input.byteOffset, input.length), out, table);
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
 * @returns The decoded samples (`output` itself when given). A result of up to 4 KiB is a view
 * into a shared slab, like a small Node.js `Buffer.allocUnsafe`: use its `byteOffset` and
 * `byteLength` with its `buffer`, or `.slice()` it for a standalone copy.
 *
 * @example
 * ```ts
 * const pcm = decodeUlaw(frame); // Int16Array, one sample per input byte
 * ```
 */
export function decodeUlaw(input: Uint8Array, output?: Int16Array): Int16Array {
  const length = input.length;
  if (length >= ACCELERATED_MIN_SAMPLES) {
    const mode = acceleration ?? g711Acceleration();
    if (mode === 'native') {
      const out = checkedOutput(output, length, allocInt16);
      (nativeKernels as NativeG711).ulawDecode(input, out);
      return out;
    }
    if (mode === 'wasm-simd') return decodeUlawSimd(simdKernels as SimdKernels, input, output);
  }
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
  const length = input.length;
  if (length >= ACCELERATED_MIN_SAMPLES) {
    const mode = acceleration ?? g711Acceleration();
    if (mode === 'native') {
      const out = checkedOutput(output, length, allocUint8);
      (nativeKernels as NativeG711).ulawEncode(input, out);
      return out;
    }
    if (mode === 'wasm-simd') return encodeUlawSimd(simdKernels as SimdKernels, input, output);
  }
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

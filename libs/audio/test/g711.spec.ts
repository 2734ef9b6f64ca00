import {
  AudioError,
  AudioErrorCode,
  alawToLinear,
  decodeAlaw,
  decodeUlaw,
  encodeAlaw,
  encodeUlaw,
  linearToAlaw,
  linearToUlaw,
  ulawToLinear,
  g711Acceleration,
} from '../src';
import { enableNativeG711 } from '../src/node';
import { nativeG711, setG711Acceleration, type G711Acceleration } from '../src/lib/g711';
import vectors from './fixtures/g711-vectors.json';

// Independent bit-level formulations of G.711, written differently from the library on purpose
// (no tables, exponent from the bit length), so that the tables are checked against arithmetic.
function referenceUlawEncode(sample: number): number {
  const negative = sample < 0;
  const magnitude = Math.min(Math.abs(sample), 32635) + 0x84;
  const exponent = 31 - Math.clz32(magnitude) - 7;
  const mantissa = (magnitude >>> (exponent + 3)) & 0x0f;
  return 0xff ^ ((negative ? 0x80 : 0) | (exponent << 4) | mantissa);
}

function referenceUlawDecode(byte: number): number {
  const bits = 0xff ^ byte;
  const exponent = (bits >>> 4) & 7;
  const mantissa = bits & 0x0f;
  const magnitude = (((mantissa << 3) | 0x84) << exponent) - 0x84;
  return bits & 0x80 ? 0 - magnitude : magnitude;
}

function referenceAlawEncode(sample: number): number {
  // 13-bit magnitude; negative values use one's complement, as G.711 A-law does.
  const negative = sample < 0;
  const magnitude = negative ? ~sample >> 3 : sample >> 3;
  let code: number;
  if (magnitude < 32) {
    code = magnitude >> 1;
  } else {
    const segment = Math.min(31 - Math.clz32(magnitude) - 4, 8);
    code = segment >= 8 ? 0x7f : (segment << 4) | ((magnitude >> segment) & 0x0f);
  }
  return (negative ? 0x00 : 0x80) ^ code ^ 0x55;
}

function referenceAlawDecode(byte: number): number {
  const bits = byte ^ 0x55;
  const segment = (bits >>> 4) & 7;
  const mantissa = bits & 0x0f;
  const magnitude =
    segment === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (segment - 1);
  return bits & 0x80 ? magnitude : -magnitude;
}

// Every implementation this machine has: each kernel of the native addon when it was built (see
// native.spec.ts for when it must be), WebAssembly SIMD and the tables.
enableNativeG711();
const native = nativeG711();
const implementations: [label: string, mode: G711Acceleration, kernel: string | undefined][] = [
  ...(native?.kernels ?? []).map((kernel): [string, G711Acceleration, string] => [
    `native ${kernel}`,
    'native',
    kernel,
  ]),
  ['wasm-simd', 'wasm-simd', undefined],
  ['tables', 'tables', undefined],
];

describe.each(implementations)('G.711 u-law (%s)', (_label, implementation, kernel) => {
  beforeAll(() => {
    setG711Acceleration(implementation);
    if (kernel !== undefined) native?.useKernel(kernel);
  });
  afterAll(() => {
    setG711Acceleration();
    if (native !== null) native.useKernel(native.kernel);
  });

  it('reports the implementation in use', () => {
    expect(g711Acceleration()).toBe(implementation);
  });

  it.each(vectors.ulaw.decode)('decodes byte %i to %i', (byte, expected) => {
    expect(ulawToLinear(byte)).toBe(expected);
    expect(decodeUlaw(new Uint8Array([byte]))[0]).toBe(expected);
  });

  it.each(vectors.ulaw.encode)('encodes %i to byte %i', (sample, expected) => {
    expect(linearToUlaw(sample)).toBe(expected);
    expect(encodeUlaw(new Int16Array([sample]))[0]).toBe(expected);
  });

  it('decodes all 256 bytes exactly as the bit-level formulation', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const decoded = decodeUlaw(all);
    for (let byte = 0; byte < 256; byte++) expect(decoded[byte]).toBe(referenceUlawDecode(byte));
  });

  it('encodes all 65,536 inputs exactly as the bit-level formulation', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const encoded = encodeUlaw(all);
    let mismatches = 0;
    for (let i = 0; i < all.length; i++) {
      if (encoded[i] !== referenceUlawEncode(all[i] as number)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('gives the same result on the paired fast path and the byte path (odd offsets, odd lengths)', () => {
    const bytes = Uint8Array.from({ length: 1001 }, (_, i) => (i * 37 + 11) & 0xff);
    const aligned = decodeUlaw(bytes);
    const odd = decodeUlaw(bytes.subarray(1));
    const expected = Array.from(bytes, referenceUlawDecode);
    expect(Array.from(aligned)).toEqual(expected);
    expect(Array.from(odd)).toEqual(expected.slice(1));
  });

  it.each([31, 32, 33, 1000, 16384, 16400, 40000])(
    'decodes and encodes %i samples (block and group borders) like the reference',
    (length) => {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 151 + 7) & 0xff);
      const expected = Array.from(bytes, referenceUlawDecode);
      expect(Array.from(decodeUlaw(bytes))).toEqual(expected);
      const into = new Int16Array(length + 3);
      expect(decodeUlaw(bytes, into)).toBe(into);
      expect(Array.from(into.subarray(0, length))).toEqual(expected);
      const linear = Int16Array.from({ length }, (_, i) => ((i * 7919) & 0xffff) - 32768);
      const encoded = Array.from(linear, referenceUlawEncode);
      expect(Array.from(encodeUlaw(linear))).toEqual(encoded);
      const bytesOut = new Uint8Array(length);
      expect(Array.from(encodeUlaw(linear, bytesOut))).toEqual(encoded);
    },
  );

  it('converts every length from 0 to 100 at every input and output alignment', () => {
    const backing = Uint8Array.from({ length: 128 }, (_, i) => (i * 97 + 5) & 0xff);
    const linearBacking = Int16Array.from({ length: 128 }, (_, i) => (i * 40503) & 0xffff);
    for (let length = 0; length <= 100; length++) {
      for (let offset = 0; offset < 4; offset++) {
        const bytes = backing.subarray(offset, offset + length);
        const into = new Int16Array(new ArrayBuffer(2 * (length + 4)), 2 * offset, length);
        decodeUlaw(bytes, into);
        expect(Array.from(into)).toEqual(Array.from(bytes, referenceUlawDecode));
        const linear = linearBacking.subarray(offset, offset + length);
        const out = new Uint8Array(new ArrayBuffer(length + 4), offset, length);
        encodeUlaw(linear, out);
        expect(Array.from(out)).toEqual(Array.from(linear, referenceUlawEncode));
      }
    }
  });

  it('reads inputs at any byte offset', () => {
    const backing = Uint8Array.from({ length: 1001 }, (_, i) => (i * 13) & 0xff);
    const view = backing.subarray(3, 903);
    expect(Array.from(decodeUlaw(view))).toEqual(Array.from(view, referenceUlawDecode));
    const samples = new Int16Array(1000).map((_, i) => i * 61 - 30000);
    const sub = samples.subarray(5, 905);
    expect(Array.from(encodeUlaw(sub))).toEqual(Array.from(sub, referenceUlawEncode));
  });

  it('writes into a caller-provided output and returns it', () => {
    const output = new Int16Array(4);
    expect(decodeUlaw(new Uint8Array([0xff, 0x80]), output)).toBe(output);
    expect(Array.from(output)).toEqual([0, 32124, 0, 0]);
    const bytes = new Uint8Array(3);
    expect(encodeUlaw(new Int16Array([0, 1000]), bytes)).toBe(bytes);
  });

  it.each([8, 64, 20000])(
    'rejects an output too small for %i samples with a typed error and writes nothing',
    (length) => {
      const output = new Int16Array(length - 1).fill(7);
      expect(() => decodeUlaw(new Uint8Array(length), output)).toThrow(
        expect.objectContaining({ code: AudioErrorCode.InvalidArgument }),
      );
      expect(output.every((v) => v === 7)).toBe(true);
      const bytes = new Uint8Array(length - 1).fill(7);
      expect(() => encodeUlaw(new Int16Array(length), bytes)).toThrow(AudioError);
      expect(bytes.every((v) => v === 7)).toBe(true);
    },
  );

  it('round-trips every byte except the duplicate zero (0x7F decodes to 0, which encodes to 0xFF)', () => {
    for (let byte = 0; byte < 256; byte++) {
      const back = linearToUlaw(ulawToLinear(byte));
      expect(back).toBe(byte === 0x7f ? 0xff : byte);
    }
  });
});

describe('small results from the shared slab', () => {
  it('never overlap or change when later results are made', () => {
    const first = decodeUlaw(new Uint8Array(160).fill(0x80));
    const second = decodeUlaw(new Uint8Array(160).fill(0x00));
    const bytes = encodeUlaw(new Int16Array(100).fill(1000));
    expect(first.every((v) => v === 32124)).toBe(true);
    expect(second.every((v) => v === -32124)).toBe(true);
    expect(bytes.every((v) => v === 0xce)).toBe(true);
    const end = (a: ArrayBufferView): number => a.byteOffset + a.byteLength;
    if (first.buffer === second.buffer) {
      expect(end(first) <= second.byteOffset || end(second) <= first.byteOffset).toBe(true);
    }
    expect(first.byteOffset % 8).toBe(0);
  });

  it('gives results over 4 KiB a buffer of their own', () => {
    const large = decodeUlaw(new Uint8Array(4096));
    expect(large.byteOffset).toBe(0);
    expect(large.buffer.byteLength).toBe(8192);
  });

  it('keeps making correct results across many slabs', () => {
    const results = Array.from({ length: 300 }, (_, i) =>
      decodeUlaw(new Uint8Array(200).fill(i & 0xff)),
    );
    results.forEach((r, i) => expect(r[199]).toBe(referenceUlawDecode(i & 0xff)));
  });
});

describe('G.711 A-law', () => {
  it.each(vectors.alaw.decode)('decodes byte %i to %i', (byte, expected) => {
    expect(alawToLinear(byte)).toBe(expected);
  });

  it.each(vectors.alaw.encode)('encodes %i to byte %i', (sample, expected) => {
    expect(linearToAlaw(sample)).toBe(expected);
  });

  it('decodes all 256 bytes exactly as the bit-level formulation', () => {
    const decoded = decodeAlaw(Uint8Array.from({ length: 256 }, (_, i) => i));
    for (let byte = 0; byte < 256; byte++) expect(decoded[byte]).toBe(referenceAlawDecode(byte));
  });

  it('encodes all 65,536 inputs exactly as the bit-level formulation', () => {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const encoded = encodeAlaw(all);
    let mismatches = 0;
    for (let i = 0; i < all.length; i++) {
      if (encoded[i] !== referenceAlawEncode(all[i] as number)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('round-trips every byte', () => {
    for (let byte = 0; byte < 256; byte++) expect(linearToAlaw(alawToLinear(byte))).toBe(byte);
  });
});

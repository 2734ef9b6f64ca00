// Small results are carved out of shared slabs, the way Node.js pools small Buffers
// (Buffer.allocUnsafe): allocating a fresh backing store for a typed array over 64 bytes costs
// about 0.5 µs in V8, far more than converting a 20 ms frame. A slab is never reused once full;
// it is freed when the last view into it is.

/** Results up to this many bytes come from a slab. */
export const POOLED_MAX_BYTES = 4096;
const SLAB_BYTES = 32768;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

function carve(bytes: number): { buffer: ArrayBuffer; offset: number } {
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const offset = used;
  // Keep every view 8-byte aligned, whatever its element type.
  used += (bytes + 7) & ~7;
  return { buffer: slab, offset };
}

/** A zero-filled `Int16Array` of `length` samples; pooled when small. */
export function allocInt16(length: number): Int16Array {
  const bytes = length * 2;
  if (bytes === 0 || bytes > POOLED_MAX_BYTES) return new Int16Array(length);
  const { buffer, offset } = carve(bytes);
  return new Int16Array(buffer, offset, length);
}

/** A zero-filled `Uint8Array` of `length` bytes; pooled when small. */
export function allocUint8(length: number): Uint8Array {
  if (length === 0 || length > POOLED_MAX_BYTES) return new Uint8Array(length);
  const { buffer, offset } = carve(length);
  return new Uint8Array(buffer, offset, length);
}

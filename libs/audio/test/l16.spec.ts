import { AudioErrorCode, HOST_BYTE_ORDER, int16ToL16, l16ToInt16 } from '../src';
import { audioError } from './helpers';

describe('L16', () => {
  const le = new Uint8Array([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]);
  const be = new Uint8Array([0x00, 0x01, 0xff, 0xff, 0x80, 0x00, 0x7f, 0xff]);
  const samples = [1, -1, -32768, 32767];

  it('reads little-endian and big-endian bytes', () => {
    expect(Array.from(l16ToInt16(le, 'le'))).toEqual(samples);
    expect(Array.from(l16ToInt16(be, 'be'))).toEqual(samples);
  });

  it('defaults to little-endian', () => {
    expect(Array.from(l16ToInt16(le))).toEqual(samples);
    expect(Array.from(int16ToL16(new Int16Array(samples)))).toEqual(Array.from(le));
  });

  it('writes little-endian and big-endian bytes', () => {
    expect(Array.from(int16ToL16(new Int16Array(samples), 'le'))).toEqual(Array.from(le));
    expect(Array.from(int16ToL16(new Int16Array(samples), 'be'))).toEqual(Array.from(be));
  });

  it('returns a view, not a copy, in host byte order at an even offset', () => {
    const bytes = new Uint8Array(10);
    const view = l16ToInt16(bytes.subarray(2), HOST_BYTE_ORDER);
    view[0] = 0x1234;
    expect(view.buffer).toBe(bytes.buffer);
    expect(bytes[2] === 0x34 || bytes[2] === 0x12).toBe(true);
    const int16 = new Int16Array(4);
    expect(int16ToL16(int16, HOST_BYTE_ORDER).buffer).toBe(int16.buffer);
  });

  it('copies at an odd offset, where a view is impossible', () => {
    const bytes = new Uint8Array(9);
    bytes.set(le, 1);
    const result = l16ToInt16(bytes.subarray(1), 'le');
    expect(Array.from(result)).toEqual(samples);
    expect(result.buffer).not.toBe(bytes.buffer);
  });

  it('rejects an odd number of bytes', () => {
    expect(() => l16ToInt16(new Uint8Array(3))).toThrow(
      audioError(AudioErrorCode.InvalidArgument) as Error,
    );
  });
});

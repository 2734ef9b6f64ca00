import { join } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';

// The build's ZIP writer (shared with connect-lambda, in tools/build) is plain CommonJS so
// esbuild's config can load it without a compiler. It is a build script, not a module dependency.
const { createZip } = require(join(__dirname, '../../../tools/build/zip.cjs')) as {
  createZip: (entries: { name: string; data: Buffer }[]) => Buffer;
};

/** Reads a ZIP through its central directory, the way Lambda's unzip does. */
function readZip(zip: Buffer): Map<string, Buffer> {
  const end = zip.length - 22;
  expect(zip.readUInt32LE(end)).toBe(0x06054b50);
  const count = zip.readUInt16LE(end + 10);
  let p = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(p)).toBe(0x02014b50);
    const method = zip.readUInt16LE(p + 10);
    const crc = zip.readUInt32LE(p + 16);
    const size = zip.readUInt32LE(p + 20);
    const nameLength = zip.readUInt16LE(p + 28);
    const local = zip.readUInt32LE(p + 42);
    const name = zip.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    expect(zip.readUInt32LE(local)).toBe(0x04034b50);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = inflateRawSync(zip.subarray(dataStart, dataStart + size));
    expect(method).toBe(8);
    expect(crc32(data) >>> 0).toBe(crc);
    files.set(name, data);
    p += 46 + nameLength;
  }
  return files;
}

describe('createZip', () => {
  it('writes a ZIP whose entries inflate back to the inputs', () => {
    const code = Buffer.from('exports.handler = async () => "ok";\n'.repeat(100));
    const map = Buffer.from('{"version":3}');
    const files = readZip(
      createZip([
        { name: 'index.js', data: code },
        { name: 'index.js.map', data: map },
      ]),
    );
    expect([...files.keys()]).toEqual(['index.js', 'index.js.map']);
    expect(files.get('index.js')).toEqual(code);
    expect(files.get('index.js.map')).toEqual(map);
  });

  it('is deterministic, so an unchanged bundle keeps its Lambda code hash', () => {
    const entries = [{ name: 'index.js', data: Buffer.from('x') }];
    expect(createZip(entries).equals(createZip(entries))).toBe(true);
  });
});

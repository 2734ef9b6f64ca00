import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { decodeUlaw, g711Acceleration } from '../src';
import { enableNativeG711 } from '../src/node';
import { nativeG711, setG711Acceleration } from '../src/lib/g711';

// The native kernels are optional: `npm ci` (and `nx run audio:build-native`, which `nx test audio`
// runs first) builds them where a C compiler is present. CI sets ORG_AUDIO_REQUIRE_NATIVE=1, which
// makes a failed build fail the install. g711.spec.ts runs the bit-exactness tests on them.
const addonPath = join(__dirname, '../native/build/Release/audio_g711.node');
enableNativeG711();
const native = nativeG711();

/** The best kernel this CPU should run, from /proc/cpuinfo (Linux on x86-64 only). */
function expectedKernel(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  const has = (flag: string): boolean => new RegExp(`\\b${flag}\\b`).test(flags);
  if (has('avx512f') && has('avx512bw')) return 'avx512';
  return has('avx2') ? 'avx2' : 'scalar';
}

afterEach(() => setG711Acceleration());

describe('the native G.711 addon', () => {
  it('is loaded exactly when it has been built', () => {
    if (process.env['ORG_AUDIO_REQUIRE_NATIVE'] === '1') expect(existsSync(addonPath)).toBe(true);
    expect(native !== null).toBe(existsSync(addonPath));
  });

  it('is the default implementation when it runs SIMD kernels, else WebAssembly SIMD is', () => {
    setG711Acceleration();
    const simd = native !== null && native.kernel !== 'scalar';
    expect(g711Acceleration()).toBe(simd ? 'native' : 'wasm-simd');
  });

  it('cannot be forced where it is missing', () => {
    if (native === null) {
      expect(() => setG711Acceleration('native')).toThrow('native kernels are not available');
    } else {
      expect(() => setG711Acceleration('native')).not.toThrow();
    }
  });
});

// The rest needs the addon; without it these tests have nothing to check.
if (native !== null) {
  describe('the native G.711 kernels', () => {
    it('pick the widest SIMD the CPU has and list every kernel it can run, best first', () => {
      const expected = expectedKernel();
      if (expected !== undefined) expect(native.kernel).toBe(expected);
      const all = ['avx512', 'avx2', 'scalar'];
      expect(native.kernels).toEqual(all.slice(all.indexOf(native.kernel)));
    });

    it('refuse to switch to a kernel the CPU lacks', () => {
      expect(() => native.useKernel('avx9000')).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_AUDIO_NATIVE_ARGUMENT' }),
      );
      // Jest runs tests in their own realm: compare by name, not by the TypeError constructor.
      expect(() => (native.useKernel as (name?: unknown) => void)()).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_AUDIO_NATIVE_ARGUMENT' }),
      );
    });

    it.each([
      ['a number', () => native.ulawDecode(1 as never, new Int16Array(4))],
      [
        'a DataView',
        () => native.ulawDecode(new DataView(new ArrayBuffer(4)) as never, new Int16Array(4)),
      ],
      ['a byte output', () => native.ulawDecode(new Uint8Array(4), new Uint8Array(8) as never)],
      ['a short output', () => native.ulawDecode(new Uint8Array(4), new Int16Array(3))],
      ['one argument', () => (native.ulawDecode as (a: unknown) => void)(new Uint8Array(4))],
      [
        'a byte input to encode',
        () => native.ulawEncode(new Uint8Array(8) as never, new Uint8Array(8)),
      ],
      ['a short encode output', () => native.ulawEncode(new Int16Array(4), new Uint8Array(3))],
    ])('refuse %s with a TypeError and leave memory alone', (_, call) => {
      expect(call).toThrow(
        expect.objectContaining({ name: 'TypeError', code: 'ERR_AUDIO_NATIVE_ARGUMENT' }),
      );
    });

    it('load and convert in a worker thread too', async () => {
      const worker = new Worker(
        `const { parentPort } = require('node:worker_threads');
         const addon = require(${JSON.stringify(addonPath)});
         const out = new Int16Array(64);
         addon.ulawDecode(new Uint8Array(64).fill(0x80), out);
         parentPort.postMessage({ kernel: addon.kernel, first: out[0], last: out[63] });`,
        { eval: true },
      );
      try {
        const reply = await new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        });
        expect(reply).toEqual({ kernel: native.kernel, first: 32124, last: 32124 });
      } finally {
        await worker.terminate();
      }
    });

    it('write nothing past the samples they convert', () => {
      const output = new Int16Array(80).fill(0x1234);
      native.ulawDecode(new Uint8Array(70).fill(0x80), output.subarray(3, 73));
      expect(output.subarray(0, 3).every((v) => v === 0x1234)).toBe(true);
      expect(output.subarray(3, 73).every((v) => v === 32124)).toBe(true);
      expect(output.subarray(73).every((v) => v === 0x1234)).toBe(true);
    });

    it('serve decodeUlaw in place of the other implementations with identical results', () => {
      const bytes = Uint8Array.from({ length: 4099 }, (_, i) => (i * 211 + 3) & 0xff);
      setG711Acceleration('native');
      const fromNative = decodeUlaw(bytes).slice();
      setG711Acceleration('wasm-simd');
      expect(decodeUlaw(bytes)).toEqual(fromNative);
    });
  });
}

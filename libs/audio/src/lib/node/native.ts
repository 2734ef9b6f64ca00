// The optional native G.711 u-law kernels: a Node-API addon (libs/audio/native/src/g711.c) that
// `npm ci` builds with node-gyp (tools/build/build-native.mjs). Where it is absent (browsers,
// bundles, ES-module builds, machines without a C compiler) this returns null and the
// WebAssembly kernels do the work; results are identical either way.

/** What the addon exports. */
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

/** Where node-gyp writes the addon, relative to this file in the source tree. */
const ADDON_PATH = '/../../native/build/Release/audio_g711.node';
/** This file's folder in the source tree; from a bundle or a package, no addon is looked for. */
const SOURCE_FOLDER = /[\\/]libs[\\/]audio[\\/]src[\\/]lib$/;

function isNativeG711(value: unknown): value is NativeG711 {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate['kernel'] === 'string' &&
    Array.isArray(candidate['kernels']) &&
    typeof candidate['useKernel'] === 'function' &&
    typeof candidate['ulawDecode'] === 'function' &&
    typeof candidate['ulawEncode'] === 'function'
  );
}

/**
 * Loads the addon when this module runs from the source tree as CommonJS (Jest, tsx, ts-node) and
 * the addon has been built. Bundles that include this file (the apps, the published
 * `@org/audiohook-protocol`) never look for it. Never throws.
 */
export function loadNativeG711(): NativeG711 | null {
  if (typeof require !== 'function' || typeof __dirname !== 'string') return null;
  if (!SOURCE_FOLDER.test(__dirname)) return null;
  try {
    // A dynamic require is the only way to load a Node-API addon from CommonJS.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon: unknown = require(__dirname + ADDON_PATH);
    return isNativeG711(addon) ? addon : null;
  } catch {
    return null;
  }
}

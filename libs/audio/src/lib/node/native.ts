// The optional native G.711 u-law kernels: a Node-API addon (libs/audio/native/src/g711.c) that
// `npm ci` builds with node-gyp (tools/build/build-native.mjs). `enableNativeG711()` loads it and
// hands it to the G.711 module; where it is absent (bundles, ES-module builds, machines without a
// C compiler) the WebAssembly kernels do the work. Results are identical either way.

import { registerNativeG711, type NativeG711 } from '../g711';

/** Where node-gyp writes the addon, relative to this file in the source tree. */
const ADDON_PATH = '/../../../native/build/Release/audio_g711.node';
/** This file's folder in the source tree; from a bundle or a package, no addon is looked for. */
const SOURCE_FOLDER = /[\\/]libs[\\/]audio[\\/]src[\\/]lib[\\/]node$/;

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
 * the addon has been built. Bundles that include this file (the apps) never look for it. Never
 * throws.
 */
function loadNativeG711(): NativeG711 | null {
  if (typeof require !== 'function' || typeof __dirname !== 'string') return null;
  if (!SOURCE_FOLDER.test(__dirname)) return null;
  try {
    // A dynamic require is the only way to load a Node-API addon from CommonJS.
    const addon: unknown = require(__dirname + ADDON_PATH);
    return isNativeG711(addon) ? addon : null;
  } catch {
    return null;
  }
}

/**
 * Makes the native G.711 kernels available to `decodeUlaw` / `encodeUlaw` (and their default when
 * the CPU runs a SIMD kernel), if the addon has been built and this library runs from its source
 * tree. Returns whether it did; without them the WebAssembly kernels are used, with identical
 * results.
 *
 * @example
 * ```ts
 * import { enableNativeG711 } from '@org/audio/node';
 * enableNativeG711(); // true in this workspace after `npm ci` with a C compiler
 * ```
 */
export function enableNativeG711(): boolean {
  const addon = loadNativeG711();
  if (addon !== null) registerNativeG711(addon);
  return addon !== null;
}

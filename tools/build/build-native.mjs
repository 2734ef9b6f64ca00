// Builds the optional native G.711 kernels of @org/audio (libs/audio/native, a Node-API addon)
// with node-gyp, the Node.js ecosystem's standard addon builder (the copy that ships with npm).
//
//   node tools/build/build-native.mjs             as `npm ci` runs it (root postinstall)
//   node tools/build/build-native.mjs --required  fail when the addon cannot be built
//   ORG_AUDIO_REQUIRE_NATIVE=1 (set by .ci/run)   the same as --required
//
// Without --required a failed build is a warning, not an error: @org/audio then uses its
// WebAssembly kernels, which are correct everywhere and only slower. Nothing is downloaded:
// node-gyp compiles against the headers of the running Node.js (npm's `nodedir` setting, or the
// `include/node` folder next to the Node.js binary).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const addonDir = join(root, 'libs/audio/native');
const required =
  process.argv.includes('--required') || process.env.ORG_AUDIO_REQUIRE_NATIVE === '1';

/** npm's own node-gyp: npm names it in lifecycle scripts; otherwise look beside Node.js. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    process.env.npm_execpath &&
      join(dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js'),
    join(
      dirname(process.execPath),
      '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js',
    ),
    join(dirname(process.execPath), 'node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
  ];
  return candidates.find((candidate) => candidate && existsSync(candidate));
}

/** Headers of the running Node.js, so that node-gyp never tries to download them. */
function findNodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = resolve(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include/node/node_api.h')) ? prefix : undefined;
}

function fail(reason, output = '') {
  if (required) {
    process.stderr.write(`${output}\nbuild-native: ${reason}\n`);
    process.exit(1);
  }
  process.stderr.write(
    `build-native: ${reason}.\n` +
      'build-native: @org/audio will use its WebAssembly G.711 kernels (correct, slower). ' +
      'A C compiler, make and python3 enable the native ones: `npx nx run audio:build-native`.\n',
  );
  process.exit(0);
}

const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) fail('node-gyp (shipped with npm) was not found');
const nodeDir = findNodeDir();
const args = [nodeGyp, 'rebuild', '--directory', addonDir, '--loglevel', 'warn'];
if (nodeDir !== undefined) args.push(`--nodedir=${nodeDir}`);

const started = Date.now();
const result = spawnSync(process.execPath, args, { encoding: 'utf8' });
const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
if (result.error !== undefined) fail(`node-gyp could not run: ${result.error.message}`, output);
if (result.status !== 0) {
  // The compiler's own complaint says more than node-gyp's summary of the environment.
  const lines = output.trim().split('\n');
  const errors = lines.filter((line) => /error|not found|No such file/i.test(line));
  const reason = (errors.length > 0 ? errors : lines).slice(0, 6).join('\n');
  fail(`node-gyp exited with ${result.status}:\n${reason}`, output);
}

// Load it once here, so that a broken build is reported now rather than silently skipped later.
const addonPath = join(addonDir, 'build/Release/audio_g711.node');
try {
  const { createRequire } = await import('node:module');
  const addon = createRequire(import.meta.url)(addonPath);
  process.stdout.write(
    `build-native: built ${addonPath.slice(root.length + 1)} (kernel ${addon.kernel}) ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
  );
} catch (error) {
  fail(`the built addon does not load: ${error.message}`, output);
}

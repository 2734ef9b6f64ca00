// Adds package-lock.json entries for optional, platform-specific packages that the npm registry
// reachable here does not serve (some @swc/core-* and @unrs/resolver-binding-* builds for other
// platforms answer 404). `npm install` silently leaves such packages out of the lockfile, and
// `npm ci` then refuses the lockfile as out of sync ("Missing: ... from lock file"). The added
// entries carry only version, os and cpu: npm ci skips them on every other platform without
// fetching anything.
//
// Run after every `npm install`:  node tools/build/complete-lockfile.mjs
// `--check` only reports (exit 1 when an entry is missing); the workspace test runs it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const OS = [
  'darwin',
  'linux',
  'win32',
  'android',
  'freebsd',
  'openharmony',
  'sunos',
  'netbsd',
  'openbsd',
  'aix',
];
const CPU = ['arm64', 'arm', 'x64', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el'];

/** Lockfile paths of optional dependencies that have no entry, with what the entry should be. */
export function missingOptionalEntries(lock) {
  const packages = lock.packages ?? {};
  const missing = [];
  for (const [path, entry] of Object.entries(packages)) {
    for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
      if (packages[`node_modules/${dep}`] || packages[`${path}/node_modules/${dep}`]) continue;
      const parts = dep.split('/').pop().split('-');
      const os = parts.find((p) => OS.includes(p));
      const cpu = parts.find((p) => CPU.includes(p));
      missing.push({
        key: `node_modules/${dep}`,
        dep,
        entry:
          os && cpu
            ? { version, cpu: [cpu], os: [os], ...(entry.dev ? { dev: true } : {}), optional: true }
            : undefined,
      });
    }
  }
  return missing;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = join(import.meta.dirname, '../../package-lock.json');
  const lock = JSON.parse(readFileSync(file, 'utf8'));
  const missing = missingOptionalEntries(lock);
  if (process.argv.includes('--check')) {
    if (missing.length > 0) {
      console.error(
        `package-lock.json lacks ${missing.length} optional platform entries (${missing.map((m) => m.dep).join(', ')}); ` +
          'npm ci will refuse it. Run: node tools/build/complete-lockfile.mjs',
      );
      process.exit(1);
    }
    process.exit(0);
  }
  const unknown = missing.filter((m) => m.entry === undefined);
  if (unknown.length > 0) {
    console.error(`cannot tell the platform of: ${unknown.map((m) => m.dep).join(', ')}`);
    process.exit(1);
  }
  const merged = { ...lock.packages };
  for (const m of missing) merged[m.key] = m.entry;
  const [rootKey, ...rest] = Object.keys(merged);
  lock.packages = Object.fromEntries([
    [rootKey, merged[rootKey]],
    ...rest.sort((a, b) => a.localeCompare(b, 'en')).map((k) => [k, merged[k]]),
  ]);
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(
    `package-lock.json: added ${missing.length} optional platform entr${missing.length === 1 ? 'y' : 'ies'}`,
  );
}

// Regenerates src/generated/ from the .proto files in proto/: TypeScript types (with the
// proto-loader type generator) and a protobufjs JSON descriptor that the library loads at run time
// (so bundled apps need no .proto files on disk).
//
//   npx nx run byova:generate          writes src/generated/
//   npx nx run byova:check-generated   fails when src/generated/ differs from a fresh generation

import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import * as protobuf from 'protobufjs';

/** The workspace root (generation must run from there: file paths end up in comments). */
export const WORKSPACE_ROOT = join(__dirname, '../../..');
/** The .proto files, relative to proto/. */
export const PROTO_FILES = [
  'voicevirtualagent.proto',
  'byova_common.proto',
  'grpc/health/v1/health.proto',
] as const;
export const GENERATED_DIR = join(WORKSPACE_ROOT, 'libs/byova/src/generated');
export const DESCRIPTOR_FILE = 'byova-descriptor.json';

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path, base) : [relative(base, path)];
  });
}

/** Writes a fresh generation into `outDir` (which must be empty or absent). */
export function generateInto(outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const bin = join(
    WORKSPACE_ROOT,
    'node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js',
  );
  const run = spawnSync(
    process.execPath,
    [
      bin,
      ...PROTO_FILES,
      '--keepCase',
      '--longs=String',
      '--enums=String',
      '--defaults',
      '--oneofs',
      '--includeComments',
      '--grpcLib=@grpc/grpc-js',
      `--outDir=${relative(WORKSPACE_ROOT, outDir)}`,
      '-I',
      'proto',
    ],
    { cwd: WORKSPACE_ROOT, encoding: 'utf8' },
  );
  if (run.status !== 0) {
    throw new Error(`proto-loader-gen-types failed (${run.status}): ${run.stderr}${run.stdout}`);
  }

  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    const local = join(WORKSPACE_ROOT, 'proto', target);
    return existsSync(local) ? local : target;
  };
  root.loadSync([...PROTO_FILES], { keepCase: true });
  root.resolveAll();
  writeFileSync(join(outDir, DESCRIPTOR_FILE), `${JSON.stringify(root.toJSON(), null, 2)}\n`);
}

/** Lists the files that differ between `GENERATED_DIR` and a fresh generation (empty: no drift). */
export function findDrift(): string[] {
  const fresh = mkdtempSync(join(tmpdir(), 'byova-gen-'));
  try {
    generateInto(join(fresh, 'out'));
    const expected = listFiles(join(fresh, 'out'));
    const actual = listFiles(GENERATED_DIR);
    const drift = new Set<string>();
    for (const file of new Set([...expected, ...actual])) {
      const a = join(fresh, 'out', file);
      const b = join(GENERATED_DIR, file);
      if (!existsSync(a) || !existsSync(b) || !readFileSync(a).equals(readFileSync(b))) {
        drift.add(file);
      }
    }
    return [...drift].sort();
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
}

function main(): void {
  if (process.argv.includes('--check')) {
    const drift = findDrift();
    if (drift.length > 0) {
      process.stderr.write(
        `libs/byova/src/generated is out of date (run: npx nx run byova:generate):\n  ${drift.join('\n  ')}\n`,
      );
      process.exit(1);
    }
    process.stdout.write('libs/byova/src/generated is up to date\n');
    return;
  }
  rmSync(GENERATED_DIR, { recursive: true, force: true });
  mkdirSync(dirname(GENERATED_DIR), { recursive: true });
  generateInto(GENERATED_DIR);
  process.stdout.write(
    `wrote ${listFiles(GENERATED_DIR).length} files to ${relative(WORKSPACE_ROOT, GENERATED_DIR)}\n`,
  );
}

if (require.main === module) main();

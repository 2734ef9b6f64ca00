// Builds the publishable npm package of @org/audiohook-protocol into dist/libs/audiohook-protocol:
//   index.mjs / index.cjs   ESM and CommonJS bundles (esbuild). The workspace library @org/audio,
//                           which is not published, is bundled in; zod and structured-headers
//                           stay external and are exact dependencies of the package.
//   types/                  declarations emitted by tsc for this library and @org/audio, with
//                           the `@org/audio` specifiers rewritten to relative paths.
//   package.json, README.md
// Usage: node libs/audiohook-protocol/scripts/build.mjs   (or: npx nx build audiohook-protocol)

import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const project = resolve(here, '..');
const root = resolve(project, '../..');
const out = join(root, 'dist/libs/audiohook-protocol');
const scratch = join(root, 'tmp/audiohook-protocol-build');
const RUNTIME_DEPENDENCIES = ['zod', 'structured-headers'];

rmSync(out, { recursive: true, force: true });
rmSync(scratch, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
mkdirSync(scratch, { recursive: true });

// 1. Bundles.
const common = {
  entryPoints: [join(project, 'src/index.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: RUNTIME_DEPENDENCIES,
  tsconfig: join(project, 'tsconfig.json'),
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
};
await build({ ...common, format: 'esm', outfile: join(out, 'index.mjs') });
await build({ ...common, format: 'cjs', outfile: join(out, 'index.cjs') });

// 2. Declarations of this library and of @org/audio.
const typesTsconfig = join(scratch, 'tsconfig.types.json');
writeFileSync(
  typesTsconfig,
  JSON.stringify(
    {
      extends: join(root, 'tsconfig.base.json'),
      compilerOptions: {
        rootDir: join(root, 'libs'),
        outDir: join(scratch, 'types'),
        declaration: true,
        emitDeclarationOnly: true,
        noEmit: false,
        sourceMap: false,
        types: ['node'],
      },
      files: [join(project, 'src/index.ts')],
    },
    null,
    2,
  ),
);
execFileSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', typesTsconfig],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
const typesOut = join(out, 'types');
cpSync(join(scratch, 'types'), typesOut, { recursive: true });
const audioIndex = join(typesOut, 'audio/src/index');
for (const file of walk(typesOut)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(file, 'utf8');
  let rel = relative(dirname(file), audioIndex).split('\\').join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  const rewritten = text.replace(/(['"])@org\/audio\1/g, `'${rel}'`);
  if (rewritten !== text) writeFileSync(file, rewritten);
}

// 3. package.json with exact runtime dependencies taken from the workspace.
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const base = JSON.parse(readFileSync(join(here, 'package.base.json'), 'utf8'));
const dependencies = Object.fromEntries(
  RUNTIME_DEPENDENCIES.map((name) => {
    const version = rootPackage.dependencies?.[name] ?? rootPackage.devDependencies?.[name];
    if (version === undefined) throw new Error(`${name} is not a workspace dependency`);
    return [name, version];
  }),
);
const types = './types/audiohook-protocol/src/index.d.ts';
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify(
    {
      ...base,
      main: './index.cjs',
      module: './index.mjs',
      types,
      exports: {
        '.': { types, import: './index.mjs', require: './index.cjs' },
        './package.json': './package.json',
      },
      files: ['index.mjs', 'index.mjs.map', 'index.cjs', 'index.cjs.map', 'types', 'README.md'],
      dependencies,
    },
    null,
    2,
  )}\n`,
);
cpSync(join(project, 'README.md'), join(out, 'README.md'));
rmSync(scratch, { recursive: true, force: true });
console.log(`built ${relative(root, out)}`);

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

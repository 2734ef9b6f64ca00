// Builds the publishable npm package of @org/audiohook-protocol into dist/libs/audiohook-protocol.
//
// Every source file reachable from the entry points is compiled on its own (no bundling, so the
// entries share their modules and nothing is duplicated), twice:
//   esm/<file>.js + .d.ts   ES modules (esm/package.json says "type": "module")
//   cjs/<file>.js + .d.ts   CommonJS (cjs/package.json says "type": "commonjs")
// Relative imports end in .js. Both declaration trees are the same text: npm packs files by
// extension and name, so each pair ends up adjacent in the tarball and costs almost nothing twice.
// Entry points: index (everything but the test doubles), codec, session, signature, node, testing.
// The workspace library @org/audio, which is not published, is compiled into vendor/audio: only
// the modules behind the names src/lib/audio.ts takes from it (its index is read as a reduced
// copy that exports just those names), so its resampler, VAD or WAV writer are not shipped. zod
// and structured-headers stay external: ^ dependencies.
// <entry>/package.json stubs give resolvers without `exports` support (node10) the subpaths.
// Usage: node libs/audiohook-protocol/scripts/build.mjs [--out <dir>] [--js-only]
//        (or: npx nx build audiohook-protocol)

import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const project = resolve(here, '..');
const root = resolve(project, '../..');
const audio = join(root, 'libs/audio');
// `--out <dir>`: build somewhere else (the tests build into their own folders).
const outFlag = process.argv.indexOf('--out');
const out =
  outFlag === -1 ? join(root, 'dist/libs/audiohook-protocol') : resolve(process.argv[outFlag + 1]);
const scratch = join(root, 'tmp', `audiohook-protocol-build-${process.pid}`);
const jsOnly = process.argv.includes('--js-only');
const RUNTIME_DEPENDENCIES = ['zod', 'structured-headers'];
const ENTRIES = ['index', 'codec', 'session', 'signature', 'node', 'testing'];
const FORMATS = [
  { format: 'esm', dir: 'esm', type: 'module' },
  { format: 'cjs', dir: 'cjs', type: 'commonjs' },
];

rmSync(out, { recursive: true, force: true });
rmSync(scratch, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
mkdirSync(scratch, { recursive: true });

/** Output path (no extension) of a source file, relative to the package root. */
function outputOf(source) {
  const ownSrc = join(project, 'src') + sep;
  const audioSrc = join(audio, 'src') + sep;
  let rel;
  if (source.startsWith(ownSrc)) rel = source.slice(ownSrc.length);
  else if (source.startsWith(audioSrc)) rel = join('vendor/audio', source.slice(audioSrc.length));
  else throw new Error(`${source} is outside the package's sources`);
  return rel.replace(/\.ts$/, '').split(sep).join('/');
}

/** The source file a relative specifier of `importer` names. */
function resolveSource(importer, specifier) {
  const base = resolve(dirname(importer), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`cannot resolve ${specifier} from ${importer}`);
}

/** A relative specifier from one output file to another, with the format's extension. */
function specifierBetween(fromOutput, toOutput, extension) {
  let rel = relative(dirname(fromOutput), toOutput).split(sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return rel + extension;
}

const AUDIO_INDEX = join(audio, 'src/index.ts');
const AUDIO_DOOR = join(project, 'src/lib/audio.ts');

/**
 * @org/audio's index as this package sees it: only the exports src/lib/audio.ts names, each from
 * the module the real index takes it from.
 */
function reducedAudioIndex() {
  const names = (list) =>
    list
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '');
  const door = readFileSync(AUDIO_DOOR, 'utf8');
  const wanted = [...door.matchAll(/export\s*\{([^}]*)\}\s*from\s*'@org\/audio'/g)].flatMap((m) =>
    names(m[1]),
  );
  const moduleOf = new Map();
  for (const m of readFileSync(AUDIO_INDEX, 'utf8').matchAll(
    /export\s*\{([^}]*)\}\s*from\s*'([^']+)'/g,
  )) {
    for (const name of names(m[1])) moduleOf.set(name.replace(/^type\s+/, ''), m[2]);
  }
  const byModule = new Map();
  for (const name of wanted) {
    const module = moduleOf.get(name.replace(/^type\s+/, ''));
    if (module === undefined) throw new Error(`@org/audio's index does not export ${name}`);
    byModule.set(module, [...(byModule.get(module) ?? []), name]);
  }
  return [...byModule]
    .map(([module, list]) => `export { ${list.join(', ')} } from '${module}';\n`)
    .join('');
}
const AUDIO_INDEX_TEXT = reducedAudioIndex();
/** Serves the reduced index in place of @org/audio's own. */
const reducedAudio = {
  name: 'reduced-audio-index',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]libs[\\/]audio[\\/]src[\\/]index\.ts$/ }, () => ({
      contents: AUDIO_INDEX_TEXT,
      loader: 'ts',
      resolveDir: dirname(AUDIO_INDEX),
    }));
  },
};

// 1. Which files the entries reach (one bundling pass, only for its metafile).
const reach = await build({
  entryPoints: ENTRIES.map((e) => join(project, 'src', `${e}.ts`)),
  bundle: true,
  write: false,
  metafile: true,
  platform: 'neutral',
  format: 'esm',
  outdir: join(scratch, 'reach'),
  external: [...RUNTIME_DEPENDENCIES, 'node:*'],
  tsconfig: join(project, 'tsconfig.json'),
  logLevel: 'warning',
  plugins: [reducedAudio],
});
const sources = Object.keys(reach.metafile.inputs)
  .map((input) => resolve(root, input))
  .filter((file) => file.endsWith('.ts'));

// 2. JavaScript: each source on its own, its imports rewritten to the sibling outputs.
const js = '.js';
for (const { format, dir, type } of FORMATS) {
  mkdirSync(join(out, dir), { recursive: true });
  writeFileSync(join(out, dir, 'package.json'), `${JSON.stringify({ type }, null, 2)}\n`);
  await build({
    entryPoints: sources.map((source) => ({ in: source, out: outputOf(source) })),
    outdir: join(out, dir),
    bundle: true,
    format,
    platform: 'neutral',
    target: 'es2022',
    tsconfig: join(project, 'tsconfig.json'),
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [
      reducedAudio,
      {
        name: 'one-file-per-module',
        setup(pluginBuild) {
          pluginBuild.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind === 'entry-point') return undefined;
            const from = outputOf(args.importer);
            if (args.path === '@org/audio') {
              return {
                path: specifierBetween(from, outputOf(AUDIO_INDEX), js),
                external: true,
              };
            }
            if (args.path.startsWith('.')) {
              const target = outputOf(resolveSource(args.importer, args.path));
              return { path: specifierBetween(from, target, js), external: true };
            }
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
}

// esbuild names each module's source in a first-line comment: workspace paths, not for users.
for (const file of walk(out)) {
  if (!file.endsWith('.js')) continue;
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/^\/\/ libs\/[^\n]*\n/, ''));
}

// 3. Declarations, emitted once by tsc, then placed twice with the imports rewritten (skipped
//    with --js-only: the browser test needs only the JavaScript).
if (!jsOnly) {
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
        files: ENTRIES.map((e) => join(project, 'src', `${e}.ts`)),
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
  const emitted = join(scratch, 'types');
  const declarations = new Map();
  for (const file of walk(emitted)) {
    if (!file.endsWith('.d.ts')) continue;
    const source = join(root, 'libs', relative(emitted, file)).replace(/\.d\.ts$/, '.ts');
    declarations.set(
      source,
      source === AUDIO_INDEX ? AUDIO_INDEX_TEXT : readFileSync(file, 'utf8'),
    );
  }
  // Of @org/audio, the declarations of the modules shipped and of those they refer to.
  const audioSrc = join(audio, 'src') + sep;
  const shipped = new Set(sources.filter((source) => !source.startsWith(audioSrc)));
  const pending = sources.filter((source) => source.startsWith(audioSrc));
  while (pending.length > 0) {
    const source = pending.pop();
    if (shipped.has(source)) continue;
    shipped.add(source);
    const text = declarations.get(source);
    if (text === undefined) throw new Error(`no declarations for ${source}`);
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*(['"])(\.[^'"]*)\1/g)) {
      pending.push(resolveSource(source, m[2]));
    }
  }
  for (const [source, text] of declarations) {
    if (source.startsWith(audioSrc) && !shipped.has(source)) continue;
    const target = outputOf(source);
    for (const { dir } of FORMATS) {
      const rewritten = text.replace(
        /((?:from|import)\s*\(?\s*)(['"])([^'"]+)\2/g,
        (match, lead, quote, specifier) => {
          let to;
          if (specifier === '@org/audio') to = outputOf(AUDIO_INDEX);
          else if (specifier.startsWith('.')) to = outputOf(resolveSource(source, specifier));
          else return match;
          return `${lead}${quote}${specifierBetween(target, to, js)}${quote}`;
        },
      );
      const path = join(out, dir, `${target}.d.ts`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, rewritten);
    }
  }
}

// 4. package.json: the library's manifest, with ^ ranges of the workspace's runtime versions.
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
const dependencies = Object.fromEntries(
  RUNTIME_DEPENDENCIES.map((name) => {
    const version = rootPackage.dependencies?.[name] ?? rootPackage.devDependencies?.[name];
    if (version === undefined) throw new Error(`${name} is not a workspace dependency`);
    return [name, `^${version.replace(/^[\^~]/, '')}`];
  }),
);
const conditions = (entry) => ({
  import: { types: `./esm/${entry}.d.ts`, default: `./esm/${entry}.js` },
  require: { types: `./cjs/${entry}.d.ts`, default: `./cjs/${entry}.js` },
});
const exportsMap = { '.': conditions('index') };
for (const entry of ENTRIES.filter((e) => e !== 'index'))
  exportsMap[`./${entry}`] = conditions(entry);
exportsMap['./package.json'] = './package.json';
for (const entry of ENTRIES.filter((e) => e !== 'index')) {
  mkdirSync(join(out, entry), { recursive: true });
  writeFileSync(
    join(out, entry, 'package.json'),
    `${JSON.stringify({ main: `../cjs/${entry}.js`, module: `../esm/${entry}.js`, types: `../cjs/${entry}.d.ts` }, null, 2)}\n`,
  );
}
for (const name of ['README.md', 'LICENSE', 'CHANGELOG.md']) {
  if (existsSync(join(project, name))) cpSync(join(project, name), join(out, name));
}
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify(
    {
      ...manifest,
      type: 'commonjs',
      main: './cjs/index.js',
      module: './esm/index.js',
      types: './cjs/index.d.ts',
      exports: exportsMap,
      files: readdirSync(out).sort(),
      dependencies,
    },
    null,
    2,
  )}\n`,
);
rmSync(scratch, { recursive: true, force: true });
console.log(`built ${relative(root, out)} (${sources.length} modules)`);

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

// Builds the publishable package, packs it with `npm pack`, installs the tarball into a scratch
// project outside the workspace (offline, with its runtime dependencies packed from the
// workspace's node_modules and an empty npm cache) and runs a server/client exchange through it.

import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(120_000);

const root = join(__dirname, '../../..');
const dist = join(root, 'dist/libs/audiohook-protocol');
const consumer = join(__dirname, 'fixtures/package-consumer');

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
  });
}

describe('the published package', () => {
  let scratch: string;
  let app: string;
  let tarball: string;

  beforeAll(() => {
    run(process.execPath, [join(root, 'libs/audiohook-protocol/scripts/build.mjs')], root);
    scratch = mkdtempSync(join(tmpdir(), 'audiohook-protocol-pack-'));
    const tarballs = join(scratch, 'tarballs');
    const pack = (dir: string): string =>
      join(
        tarballs,
        run(
          'npm',
          ['pack', dir, '--pack-destination', tarballs, '--ignore-scripts', '--silent'],
          scratch,
        ).trim(),
      );
    mkdirSync(tarballs, { recursive: true });
    tarball = pack(dist);
    const manifest = JSON.parse(readFileSync(join(dist, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    for (const name of Object.keys(manifest.dependencies)) pack(join(root, 'node_modules', name));
    app = join(scratch, 'app');
    mkdirSync(app, { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
    const files = readdirSync(tarballs).map((f) => join(tarballs, f));
    run(
      'npm',
      [
        'install',
        '--offline',
        '--cache',
        join(scratch, 'npm-cache'),
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        ...files,
      ],
      app,
    );
    for (const file of readdirSync(consumer)) copyFileSync(join(consumer, file), join(app, file));
  }, 180_000);

  afterAll(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('ships ESM and CJS with their own declarations per entry, and ^ dependencies', () => {
    const manifest = JSON.parse(
      readFileSync(join(app, 'node_modules/@org/audiohook-protocol/package.json'), 'utf8'),
    ) as Record<string, unknown>;
    const exportsMap = manifest['exports'] as Record<string, unknown>;
    expect(Object.keys(exportsMap)).toEqual([
      '.',
      './codec',
      './session',
      './signature',
      './node',
      './testing',
      './package.json',
    ]);
    expect(exportsMap['./codec']).toEqual({
      import: { types: './esm/codec.d.ts', default: './esm/codec.js' },
      require: { types: './cjs/codec.d.ts', default: './cjs/codec.js' },
    });
    for (const version of Object.values(manifest['dependencies'] as Record<string, string>)) {
      expect(version).toMatch(/^\^\d+\.\d+\.\d+$/);
    }
  });

  it('is at most 150 kB packed, with its licence, readme and changelog', () => {
    const bytes = statSync(tarball).size;
    expect(bytes).toBeLessThanOrEqual(150_000);
    const installed = join(app, 'node_modules/@org/audiohook-protocol');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      license: string;
      sideEffects: boolean;
    };
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.sideEffects).toBe(false);
    expect(readFileSync(join(installed, 'LICENSE'), 'utf8')).toMatch(
      /^\s*Apache License\s+Version 2\.0, January 2004\s/,
    );
    for (const file of ['README.md', 'CHANGELOG.md']) {
      expect(readFileSync(join(installed, file), 'utf8')).toBe(
        readFileSync(join(__dirname, '..', file), 'utf8'),
      );
    }
  });

  it('passes @arethetypeswrong/cli in every resolution mode', () => {
    // `attw <tarball>` analyses the packed tarball, as `attw --pack` does after packing.
    const cli = join(root, 'node_modules/@arethetypeswrong/cli/dist/index.js');
    const report = JSON.parse(
      run(process.execPath, [cli, tarball, '--format', 'json'], scratch),
    ) as {
      analysis: {
        problems: unknown[];
        entrypoints: Record<string, { resolutions: Record<string, unknown> }>;
      };
    };
    expect(report.analysis.problems).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints)).toEqual([
      '.',
      './codec',
      './session',
      './signature',
      './node',
      './testing',
      './package.json',
    ]);
    for (const { resolutions } of Object.values(report.analysis.entrypoints)) {
      expect(Object.keys(resolutions).sort()).toEqual([
        'bundler',
        'node10',
        'node16-cjs',
        'node16-esm',
      ]);
    }
  });

  it('passes publint on the tarball (strict: warnings fail, suggestions listed)', () => {
    const cli = join(root, 'node_modules/publint/src/cli.js');
    const text = run(process.execPath, [cli, 'run', tarball, '--strict'], scratch);
    expect(text).toContain('All good!');
  });

  it('runs a server/client exchange through import', () => {
    const output = JSON.parse(run(process.execPath, ['exchange.mjs'], app)) as Record<
      string,
      unknown
    >;
    expect(output).toEqual({
      clean: true,
      closeReason: 'end',
      samples: 4800,
      position: 600_000_000,
      parsed: 1_500_000_000,
    });
  });

  it('runs the exchange through require', () => {
    expect(JSON.parse(run(process.execPath, ['exchange.cjs'], app))).toEqual({
      clean: true,
      audioBytes: 6400,
    });
  });

  it('type-checks a consumer against the shipped declarations', () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    expect(() =>
      run(
        process.execPath,
        [
          tsc,
          '--noEmit',
          '--strict',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          '--skipLibCheck',
          'false',
          '--types',
          'node',
          '--typeRoots',
          join(root, 'node_modules/@types'),
          'consumer.ts',
        ],
        app,
      ),
    ).not.toThrow();
  });
});

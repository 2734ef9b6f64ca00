// Builds the publishable package, packs it with `npm pack`, installs the tarball into a scratch
// project outside the workspace (offline, with its runtime dependencies packed from the
// workspace's node_modules and an empty npm cache) and runs a server/client exchange through it.

import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAudioHookHeaders } from '../src/signature';

jest.setTimeout(120_000);

const root = join(__dirname, '../../..');
const dist = join(root, 'dist/libs/audiohook-protocol');
const consumer = join(__dirname, 'fixtures/package-consumer');
/** The package's entry points, in the order of its exports map. */
const ENTRY_POINTS = [
  '.',
  './codec',
  './session',
  './signature',
  './node',
  './testing',
  './package.json',
];

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
    // `ws` for the examples (a consumer's own dependency).
    for (const name of [...Object.keys(manifest.dependencies), 'ws']) {
      pack(join(root, 'node_modules', name));
    }
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
    cpSync(join(__dirname, '../examples'), join(app, 'examples'), { recursive: true });
    cpSync(join(root, 'node_modules/@types/ws'), join(app, 'node_modules/@types/ws'), {
      recursive: true,
    });
  }, 180_000);

  afterAll(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('ships ESM and CJS with their own declarations per entry, and ^ dependencies', () => {
    const manifest = JSON.parse(
      readFileSync(join(app, 'node_modules/@org/audiohook-protocol/package.json'), 'utf8'),
    ) as Record<string, unknown>;
    const exportsMap = manifest['exports'] as Record<string, unknown>;
    expect(Object.keys(exportsMap)).toEqual(ENTRY_POINTS);
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
    expect(Object.keys(report.analysis.entrypoints)).toEqual(ENTRY_POINTS);
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

  it('type-checks a consumer and compiles the examples against the shipped declarations', () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    expect(() =>
      run(
        process.execPath,
        [
          tsc,
          '--outDir',
          'out',
          '--rootDir',
          '.',
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
          ...EXAMPLES.map((name) => `examples/${name}.ts`),
        ],
        app,
      ),
    ).not.toThrow();
  });

  it('runs the examples: the client streams to the ws server on loopback', async () => {
    const server = await startProgram(join(app, 'out/examples/server.js'));
    try {
      const client = await runProgram(join(app, 'out/examples/client.js'), [server.url, '1']);
      expect(client.code).toBe(0);
      const lines = client.stdout.trim().split('\n');
      expect(lines[0]).toBe(
        'selected media [{"type":"audio","format":"PCMU","rate":8000,"channels":["external","internal"]}]',
      );
      const result = JSON.parse(lines.at(-1) ?? '') as { sessionId: string };
      expect(result).toMatchObject({ clean: true, closeReason: 'end', audioBytes: 16_000 });
      await server.stop();
      expect(JSON.parse(server.output().trim().split('\n').at(-1) ?? '')).toEqual({
        sessionId: result.sessionId,
        samples: 8000,
      });
    } finally {
      await server.stop();
    }
  });

  it('runs the examples: the node:http verifier accepts a signed request once', async () => {
    const server = await startProgram(join(app, 'out/examples/verify-http.js'));
    try {
      const url = new URL(server.url);
      const headers = createAudioHookHeaders({
        organizationId: 'd7934305-0972-4844-938e-9060eef73d05',
        sessionId: '30b0e395-84d3-4570-ac13-9a62d8f514c0',
        correlationId: 'e160e428-53e2-487c-977d-96989bf5c99d',
        apiKey: 'my-api-key',
        clientSecret: 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=',
        requestTarget: '/api/v1/audiohook/ws',
        authority: url.host,
      });
      const target = new URL('/api/v1/audiohook/ws', url);
      const unsigned = { ...headers };
      delete unsigned['Signature'];
      delete unsigned['Signature-Input'];
      expect(await get(target, headers)).toEqual([200, 'VERIFIED']);
      expect(await get(target, headers)).toEqual([401, 'PRECONDITION']);
      const tampered = {
        ...headers,
        'Audiohook-Correlation-Id': '7ea6ff57-6b54-4cba-b8f5-cf2b3ae8f4d4',
      };
      expect(await get(target, tampered)).toEqual([401, 'FAILED']);
      expect(await get(target, unsigned)).toEqual([401, 'UNSIGNED']);
      expect(await get(target, {})).toEqual([400, 'AUDIOHOOK_ERR_INVALID_HEADERS']);
    } finally {
      await server.stop();
    }
  });
});

const EXAMPLES = ['server', 'client', 'verify-http'];

interface Program {
  readonly url: string;
  output(): string;
  stop(): Promise<void>;
}

/** Starts an example server on a free loopback port; resolves when it prints its URL. */
function startProgram(file: string): Promise<Program> {
  // `timeout`: killed even if a failing test never stops it.
  const child = spawn(process.execPath, [file, '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 90_000,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^listening on (\S+)$/m.exec(stdout);
      if (match?.[1] !== undefined) resolve({ url: match[1], output: () => stdout, stop });
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}: ${stderr}`)));
  });
}

/** Runs an example to its end. */
function runProgram(
  file: string,
  args: string[],
): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [file, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout })));
}

/** GET over loopback: the status and the `code` of the JSON body. */
function get(url: URL, headers: Record<string, string>): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () =>
        resolve([response.statusCode ?? 0, (JSON.parse(body) as { code: string }).code]),
      );
    })
      .on('error', reject)
      .end();
  });
}

// The pure entry points of the codec libraries (@org/audio, @org/audiohook-protocol) may not
// import the file system or the network stack; their `./node` entry points may. Lints probe files
// placed (virtually) in each with the root ESLint config.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '../../..');

interface Probe {
  readonly file: string;
  readonly code: string;
}

/**
 * Lints every probe as the workspace file it names, with the root config, in one ESLint run (a
 * child process: the config is an ES module, which Jest's sandbox cannot import).
 */
function lintAll(probes: readonly Probe[]): string[][] {
  const script = `
    import { ESLint } from 'eslint';
    const probes = JSON.parse(process.argv[1]);
    const eslint = new ESLint({ cwd: ${JSON.stringify(root)} });
    const out = [];
    for (const { file, code } of probes) {
      const [result] = await eslint.lintText(code, { filePath: file });
      out.push(result.messages.map((m) => (m.ruleId ?? 'parser') + ': ' + m.message));
    }
    process.stdout.write(JSON.stringify(out));
  `;
  const run = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      script,
      JSON.stringify(probes.map((p) => ({ ...p, file: join(root, p.file) }))),
    ],
    { cwd: root, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
  );
  if (run.stdout.trim() === '') throw new Error(`eslint printed nothing: ${run.stderr}`);
  return JSON.parse(run.stdout) as string[][];
}

const IO_MODULES = [
  'node:fs',
  'fs',
  'node:fs/promises',
  'node:net',
  'net',
  'node:http',
  'http',
  'node:https',
  'https',
];

const PURE = [
  'libs/audiohook-protocol/src/lib/purity-probe.ts',
  'libs/audiohook-protocol/src/lib/server/purity-probe.ts',
  'libs/audiohook-protocol/src/codec.ts',
  'libs/audio/src/lib/purity-probe.ts',
  'libs/audio/src/index.ts',
];
const NODE = [
  'libs/audiohook-protocol/src/node.ts',
  'libs/audiohook-protocol/src/lib/node/purity-probe.ts',
  'libs/audio/src/node.ts',
  'libs/audio/src/lib/node/purity-probe.ts',
];
const NODE_CODE =
  "import { readFile } from 'node:fs/promises';\nimport { connect } from 'node:net';\nexport const probe = [readFile, connect];\n";

describe('pure entry points', () => {
  const pureProbes = PURE.flatMap((file) =>
    IO_MODULES.map((name) => ({
      file,
      name,
      code: `import * as io from '${name}';\nexport const probe = io;\n`,
    })),
  );
  const nodeProbes = NODE.map((file) => ({ file, code: NODE_CODE }));
  let results: string[][] = [];

  beforeAll(() => {
    results = lintAll([...pureProbes, ...nodeProbes]);
  }, 120_000);

  it('forbid the file system and the network stack in every pure file', () => {
    pureProbes.forEach(({ file, name }, i) => {
      expect({ file, name, messages: results[i] }).toEqual({
        file,
        name,
        messages: [
          expect.stringMatching(
            new RegExp(`^no-restricted-imports: '${name}' import is restricted .*behind \\./node`),
          ),
        ],
      });
    });
  });

  it('allow them in the ./node entry points', () => {
    nodeProbes.forEach(({ file }, i) => {
      expect({ file, messages: results[pureProbes.length + i] }).toEqual({ file, messages: [] });
    });
  });
});

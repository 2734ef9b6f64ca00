import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '../../..');
const eslintBin = join(root, 'node_modules/eslint/bin/eslint.js');

interface LintResult {
  messages: { ruleId: string | null; message: string }[];
}

/**
 * Lints `code` as if it were the file `relativePath` of the workspace, with the root config.
 * ESLint runs in a child process: its config is an ES module, which Jest's sandbox cannot import.
 */
function lint(relativePath: string, code: string): string[] {
  const run = spawnSync(
    process.execPath,
    [eslintBin, '--format', 'json', '--stdin', '--stdin-filename', join(root, relativePath)],
    { cwd: root, input: code, encoding: 'utf8' },
  );
  if (run.stdout.trim() === '') throw new Error(`eslint printed nothing: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as LintResult[];
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parser'}: ${m.message}`);
}

describe('module boundaries', () => {
  it('forbids a codec library (libs/audio) from importing ws', async () => {
    const messages = await lint(
      'libs/audio/src/lib/boundary-probe.ts',
      "import { WebSocket } from 'ws';\nexport const probe = WebSocket;\n",
    );
    expect(messages).toEqual([
      expect.stringMatching(
        /@nx\/enforce-module-boundaries: .*type:codec.* not allowed to import "ws"/,
      ),
    ]);
  });

  it('forbids a library from reading process.env', async () => {
    const messages = await lint(
      'libs/audio/src/lib/boundary-probe.ts',
      "export const probe = process.env['HOME'];\n",
    );
    expect(messages).toEqual([
      expect.stringMatching(/^no-restricted-syntax: Libraries never read process\.env/),
    ]);
  });

  it('forbids a library from logging to the console', async () => {
    const messages = await lint('libs/audio/src/lib/boundary-probe.ts', "console.log('probe');\n");
    expect(messages).toEqual([expect.stringMatching(/^no-console:/)]);
  });

  it('allows a tool to import ws and a library', async () => {
    const messages = await lint(
      'tools/workspace/test/boundary-probe.ts',
      "import { WebSocket } from 'ws';\nimport { decodeUlaw } from '@org/audio';\nexport const probe = [WebSocket, decodeUlaw];\n",
    );
    expect(messages).toEqual([]);
  });

  it('allows a scope:all tool (the adversarial suite) to import the libraries of every area', async () => {
    const messages = await lint(
      'tools/adversary/src/boundary-probe.ts',
      "import { parseWav } from '@org/audio';\nimport { signRequest } from '@org/audiohook-protocol';\n" +
        "import { dtmfDigitToKey } from '@org/byova';\nimport { startFakeCrestaApi } from '@org/cresta-handoff';\n" +
        'export const probe = [parseWav, signRequest, dtmfDigitToKey, startFakeCrestaApi];\n',
    );
    expect(messages).toEqual([]);
  });

  it('forbids a library from importing the CDK helpers (@org/infra)', async () => {
    const messages = await lint(
      'libs/audio/src/lib/boundary-probe.ts',
      "import { nagFindings } from '@org/infra';\nexport const probe = nagFindings;\n",
    );
    expect(messages).toEqual([
      expect.stringMatching(/@nx\/enforce-module-boundaries: .*type:codec.*can only depend on/),
    ]);
  });

  it('forbids a tool from importing the CDK helpers (@org/infra)', async () => {
    const messages = await lint(
      'tools/workspace/test/boundary-probe.ts',
      "import { nagFindings } from '@org/infra';\nexport const probe = nagFindings;\n",
    );
    expect(messages).toEqual([
      expect.stringMatching(/@nx\/enforce-module-boundaries: .*type:tool.*can only depend on/),
    ]);
  });

  it("allows an app's stack (src/infra) to import the CDK and its helpers", async () => {
    const messages = await lint(
      'apps/event-collector/src/infra/boundary-probe.ts',
      "import { Stack } from 'aws-cdk-lib';\nimport { stateTable } from '@org/infra';\nexport const probe = [Stack, stateTable];\n",
    );
    expect(messages).toEqual([]);
  });

  it("forbids an app's runtime code from importing the CDK or its helpers", async () => {
    const messages = await lint(
      'apps/event-collector/src/lib/boundary-probe.ts',
      "import { Stack } from 'aws-cdk-lib';\nimport { stateTable } from '@org/infra';\nexport const probe = [Stack, stateTable];\n",
    );
    expect(messages).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*Deployment code belongs in src\/infra/),
      expect.stringMatching(/^no-restricted-imports: .*Deployment code belongs in src\/infra/),
    ]);
  });

  it('forbids a codec library (libs/audio) from importing the service kit', async () => {
    const messages = await lint(
      'libs/audio/src/lib/boundary-probe.ts',
      "import { createLogger } from '@org/service-kit';\nexport const probe = createLogger;\n",
    );
    expect(messages).toEqual([
      expect.stringMatching(
        /@nx\/enforce-module-boundaries: .*type:codec.* can only depend on libs tagged with "type:codec", "type:util"/,
      ),
    ]);
  });

  it('forbids a client library (libs/cresta-handoff) from importing the service kit', async () => {
    const messages = await lint(
      'libs/cresta-handoff/src/lib/boundary-probe.ts',
      "import { parseEnv } from '@org/service-kit/env';\nexport const probe = parseEnv;\n",
    );
    expect(messages).toEqual([
      expect.stringMatching(/@nx\/enforce-module-boundaries: .*type:client.* can only depend on/),
    ]);
  });

  it('allows an app to import the service kit and its subpaths', async () => {
    const messages = await lint(
      'apps/event-collector/src/boundary-probe.ts',
      [
        "import { createLogger } from '@org/service-kit';",
        "import { parseEnv } from '@org/service-kit/env';",
        'export const probe = [createLogger, parseEnv];',
        '',
      ].join('\n'),
    );
    expect(messages).toEqual([]);
  });

  it('holds the service kit to the library rules: no process.env, no console', async () => {
    const messages = await lint(
      'libs/service-kit/src/lib/boundary-probe.ts',
      "console.log(process.env['HOME']);\n",
    );
    expect(messages).toEqual([
      expect.stringMatching(/^no-console:/),
      expect.stringMatching(/^no-restricted-syntax: Libraries never read process\.env/),
    ]);
  });

  it('forbids focused tests', async () => {
    const messages = await lint(
      'libs/audio/test/boundary-probe.spec.ts',
      // Built from parts so that a plain search for focused tests does not flag this probe.
      `${['describe', 'only'].join('.')}('x', () => undefined);\n`,
    );
    expect(messages).toEqual([expect.stringMatching(/^no-restricted-properties: .*Focused tests/)]);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sdkActionsOf } from '../src';
import fixture from './fixtures/sdk-actions.json';

// The fixture app's sources are written to a temporary folder (as .ts files they would be linted
// as part of this library); SDK packages resolve from the workspace.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sdk-actions-'));
  for (const [path, text] of Object.entries(fixture as Record<string, string>)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sdkActionsOf', () => {
  it('lists the IAM action of every SDK command the reachable code constructs, and nothing in comments', () => {
    expect(sdkActionsOf(join(dir, 'main.ts'), __dirname)).toEqual([
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      's3:PutObject',
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('reads only the files the entry reaches', () => {
    expect(sdkActionsOf(join(dir, 'lib', 'store.ts'), __dirname)).toEqual([
      's3:PutObject',
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('refuses a command it cannot attribute to an imported SDK package', () => {
    writeFileSync(join(dir, 'odd.ts'), 'export const x = () => new MysteryCommand({});\n');
    expect(() => sdkActionsOf(join(dir, 'odd.ts'), __dirname)).toThrow(
      'cannot tell the IAM action of MysteryCommand',
    );
  });
});

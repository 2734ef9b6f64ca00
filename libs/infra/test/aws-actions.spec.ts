import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsActionsCalledIn, InfraErrorCode, sourceFiles } from '../src';

const fixtures = join(__dirname, 'fixtures/aws-calls');

describe('awsActionsCalledIn', () => {
  it('maps document-client commands, aliases, lib-storage uploads and namespace imports to IAM actions', () => {
    expect(
      awsActionsCalledIn([join(fixtures, 'store.ts.txt'), join(fixtures, 'secrets.ts.txt')]),
    ).toEqual([
      'dynamodb:PutItem',
      'dynamodb:Query',
      's3:AbortMultipartUpload',
      's3:PutObject',
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('follows a client loaded lazily with require', () => {
    expect(awsActionsCalledIn([join(fixtures, 'lazy.ts.txt')])).toEqual([
      'secretsmanager:DescribeSecret',
    ]);
  });

  it('refuses an SDK package it knows no IAM prefix for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aws-actions-'));
    try {
      const file = join(dir, 'x.ts');
      writeFileSync(
        file,
        "import { FooCommand } from '@aws-sdk/client-foo';\nnew FooCommand({});\n",
      );
      expect(() => awsActionsCalledIn([file])).toThrow(
        expect.objectContaining({ code: InfraErrorCode.InvalidProps }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sourceFiles', () => {
  it('lists TypeScript sources recursively without tests and excluded folders', () => {
    const dir = mkdtempSync(join(tmpdir(), 'source-files-'));
    try {
      for (const folder of ['lib', 'infra']) mkdirSync(join(dir, folder));
      for (const file of ['main.ts', 'lib/a.ts', 'lib/a.spec.ts', 'infra/stack.ts', 'notes.md']) {
        writeFileSync(join(dir, file), '');
      }
      expect(sourceFiles(dir, ['infra'])).toEqual([join(dir, 'lib/a.ts'), join(dir, 'main.ts')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// The IAM actions an app's runtime code can call, read from its source, so a stack test can
// assert that a role grants exactly those (least privilege that follows the code).

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

/** IAM service prefix of each AWS SDK v3 package (the document client is DynamoDB's). */
const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  '@aws-sdk/client-dynamodb': 'dynamodb',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-s3': 's3',
  '@aws-sdk/client-chime-sdk-media-pipelines': 'chime',
  '@aws-sdk/client-chime-sdk-voice': 'chime',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
  '@aws-sdk/client-ssm': 'ssm',
  '@aws-sdk/client-sqs': 'sqs',
  '@aws-sdk/client-sns': 'sns',
  '@aws-sdk/client-kinesis': 'kinesis',
  '@aws-sdk/client-transcribe-streaming': 'transcribe',
  '@aws-sdk/client-lex-runtime-v2': 'lex',
  '@aws-sdk/client-cloudwatch': 'cloudwatch',
};

/** The document client's commands and the DynamoDB operations they send. */
const DOCUMENT_CLIENT_OPERATION: Readonly<Record<string, string>> = {
  Get: 'GetItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  Query: 'Query',
  Scan: 'Scan',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
}

function resolveModule(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  return [`${base}.ts`, `${base}/index.ts`, base].find((p) => existsSync(p) && p.endsWith('.ts'));
}

/** Every source file reachable from `entry` through relative imports (type-only ones included). */
function reachableFiles(entry: string): Map<string, string> {
  const files = new Map<string, string>();
  const queue = [resolve(entry)];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    const text = stripComments(readFileSync(file, 'utf8'));
    files.set(file, text);
    for (const m of text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
      const next = resolveModule(file, m[1] as string);
      if (next !== undefined) queue.push(next);
    }
  }
  return files;
}

/**
 * The IAM actions (`dynamodb:UpdateItem`, `s3:PutObject`, …) of every AWS SDK v3 command that
 * the code reachable from `entry` constructs (`new XCommand(` or `new sdk.XCommand(`), sorted.
 * SDK packages are resolved from each file's folder, or from `resolveFrom` when given.
 * Each command is attributed to the SDK package the code imports that exports it; a command no
 * imported package exports, or a package without a known IAM prefix, is an error, so the list
 * never silently misses a call.
 *
 * @example
 * ```ts
 * expect(roleActions).toEqual(sdkActionsOf('apps/chime-recorder-lambda/src/main.ts'));
 * ```
 */
export function sdkActionsOf(entry: string, resolveFrom?: string): string[] {
  const files = reachableFiles(entry);
  const actions = new Set<string>();
  for (const [file, text] of files) {
    const packages = [...new Set([...text.matchAll(/'(@aws-sdk\/[^']+)'/g)].map((m) => m[1]))];
    const load = createRequire(resolveFrom === undefined ? file : resolve(resolveFrom, 'x.js'));
    for (const m of text.matchAll(/new\s+(?:\w+\.)?(\w+)Command\s*\(/g)) {
      const operation = m[1] as string;
      const pkg = packages.find(
        (p) => (load(p as string) as Record<string, unknown>)[`${operation}Command`] !== undefined,
      );
      const prefix = pkg === undefined ? undefined : SERVICE_PREFIX[pkg];
      if (pkg === undefined || prefix === undefined) {
        throw new Error(`${file}: cannot tell the IAM action of ${operation}Command`);
      }
      const op = pkg === '@aws-sdk/lib-dynamodb' ? DOCUMENT_CLIENT_OPERATION[operation] : operation;
      if (op === undefined)
        throw new Error(`${file}: unknown document client command ${operation}`);
      actions.add(`${prefix}:${op}`);
    }
  }
  return [...actions].sort();
}

// The IAM actions a program's source calls through the AWS SDK for JavaScript v3, found by reading
// it: a stack's test compares them with the task role's policy, so the role grants exactly what
// the code calls.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError, InfraErrorCode } from './errors';

/** IAM service prefix of each SDK package the apps use. */
const SERVICE_PREFIX: Readonly<Record<string, string>> = {
  'client-dynamodb': 'dynamodb',
  'lib-dynamodb': 'dynamodb',
  'client-s3': 's3',
  'lib-storage': 's3',
  'client-secrets-manager': 'secretsmanager',
  'client-ssm': 'ssm',
  'client-lex-runtime-v2': 'lex',
  'client-lex-models-v2': 'lex',
  'client-chime-sdk-media-pipelines': 'chime',
  'client-transcribe-streaming': 'transcribe',
  'client-cloudwatch': 'cloudwatch',
};

/** Operations whose IAM action is not named after them. */
const ACTION_OF: Readonly<Record<string, readonly string[]>> = {
  'lib-dynamodb:Put': ['PutItem'],
  'lib-dynamodb:Get': ['GetItem'],
  'lib-dynamodb:Update': ['UpdateItem'],
  'lib-dynamodb:Delete': ['DeleteItem'],
  'lib-dynamodb:BatchGet': ['BatchGetItem'],
  'lib-dynamodb:BatchWrite': ['BatchWriteItem'],
  'lib-dynamodb:TransactGet': ['TransactGetItems'],
  'lib-dynamodb:TransactWrite': ['TransactWriteItems'],
  'client-s3:CreateMultipartUpload': ['PutObject'],
  'client-s3:UploadPart': ['PutObject'],
  'client-s3:CompleteMultipartUpload': ['PutObject'],
  'client-s3:HeadObject': ['GetObject'],
  'client-s3:HeadBucket': ['ListBucket'],
  'client-s3:ListObjectsV2': ['ListBucket'],
  // lib-storage's Upload: PutObject or a multipart upload (all s3:PutObject), aborted on failure.
  'lib-storage:Upload': ['PutObject', 'AbortMultipartUpload'],
  'client-transcribe-streaming:StartStreamTranscription': [
    'StartStreamTranscriptionWebSocket',
    'StartStreamTranscription',
  ],
};

const IMPORT = /import\s+(?:type\s+)?(\{[^}]*\}|\*\s+as\s+\w+)\s+from\s+'@aws-sdk\/([\w-]+)'/g;
/** A client loaded lazily (`const sdk = require('@aws-sdk/…') as typeof Sdk`), used as a namespace. */
const LAZY_REQUIRE = /(?:const|let)\s+(\w+)\s*=\s*require\(\s*'@aws-sdk\/([\w-]+)'\s*\)/g;

/**
 * The IAM actions (`service:Action`, sorted, unique) that `files` call through the AWS SDK v3:
 * every `new <Name>Command(...)` of an imported SDK client, `new Upload(...)` of lib-storage,
 * named, through a namespace import, or through a client loaded lazily with `require`.
 *
 * @throws InfraError `INFRA_ERR_INVALID_PROPS` for an SDK package it has no IAM prefix for.
 * @example
 * ```ts
 * expect(policyActions(template)).toEqual(awsActionsCalledIn(sourceFiles('apps/x/src')));
 * ```
 */
export function awsActionsCalledIn(files: readonly string[]): string[] {
  const actions = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const named = new Map<string, { pkg: string; name: string }>();
    const namespaces = new Map<string, string>();
    for (const match of text.matchAll(IMPORT)) {
      const [, clause = '', pkg = ''] = match;
      if (clause.startsWith('*')) {
        namespaces.set(clause.split(/\s+/).at(-1) ?? '', pkg);
        continue;
      }
      for (const part of clause.slice(1, -1).split(',')) {
        const [name, alias] = part
          .replace(/^\s*type\s+/, '')
          .trim()
          .split(/\s+as\s+/);
        if (name) named.set(alias ?? name, { pkg, name });
      }
    }
    for (const [, local = '', pkg = ''] of text.matchAll(LAZY_REQUIRE)) namespaces.set(local, pkg);
    for (const match of text.matchAll(/new\s+(?:(\w+)\.)?(\w+)\s*\(/g)) {
      const [, namespace, local = ''] = match;
      const found =
        namespace === undefined
          ? named.get(local)
          : namespaces.has(namespace)
            ? { pkg: namespaces.get(namespace) ?? '', name: local }
            : undefined;
      if (found === undefined) continue;
      const operation = found.name.endsWith('Command') ? found.name.slice(0, -7) : found.name;
      if (!found.name.endsWith('Command') && found.name !== 'Upload') continue;
      const prefix = SERVICE_PREFIX[found.pkg];
      if (prefix === undefined) {
        throw new InfraError(
          InfraErrorCode.InvalidProps,
          `${file}: no IAM service prefix known for @aws-sdk/${found.pkg}`,
        );
      }
      for (const action of ACTION_OF[`${found.pkg}:${operation}`] ?? [operation]) {
        actions.add(`${prefix}:${action}`);
      }
    }
  }
  return [...actions].sort();
}

/**
 * The TypeScript source files under `directory` (recursively), without tests and without the
 * folders named in `exclude` (e.g. `infra`, `local`).
 *
 * @example
 * ```ts
 * sourceFiles('apps/audiohook-server/src', ['infra']);
 * ```
 */
export function sourceFiles(directory: string, exclude: readonly string[] = []): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!exclude.includes(entry.name)) files.push(...sourceFiles(path, exclude));
    } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
      files.push(path);
    }
  }
  return files.sort();
}

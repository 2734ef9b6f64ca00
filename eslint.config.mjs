// Root ESLint flat config. Every project is linted with it (project folders hold no ESLint
// config of their own unless they need extra rules). Module boundaries are enforced with two
// tag dimensions; see CONTRIBUTING.md "Tags" for what each tag means.
import nx from '@nx/eslint-plugin';

/** Imports that turn a pure library into something with I/O, a transport or a logger. */
const transportsCloudSdksAndLoggers = [
  'ws',
  'socket.io',
  '@grpc/*',
  '@aws-sdk/*',
  'aws-sdk',
  '@aws-lambda-powertools/*',
  'pino',
  'pino-*',
  'winston',
  'fastify',
  'express',
];

/** What any library (every project that is not an app or a tool) may depend on, by type. */
const libraryTypes = ['type:codec', 'type:contract', 'type:client', 'type:util'];

/**
 * The service kit (`type:service`): config, logging, metrics, shutdown, errors, tracing. Only
 * apps and tools may use it; no other type lists it.
 */
const serviceType = 'type:service';

/** Deployment code (AWS CDK): only an app's `src/infra/` may import it, never its runtime code. */
const infrastructureImports = [
  'aws-cdk-lib',
  'aws-cdk-lib/*',
  'constructs',
  'cdk-nag',
  'cdk-amazon-chime-resources',
  '@org/infra',
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  {
    ignores: ['**/dist', '**/coverage', '**/node_modules', '**/generated', '**/.nx', 'tmp'],
  },
  {
    // Project source only: config files (jest.config.cjs, ...) may reach into the workspace root.
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          banTransitiveDependencies: true,
          checkDynamicDependenciesExceptions: [],
          allow: [],
          depConstraints: [
            // ---- type: what kind of project may use what ----
            {
              // Apps may use the CDK helpers (type:infra), from src/infra/ only (rule below).
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                ...libraryTypes,
                serviceType,
                'type:testing',
                'type:infra',
              ],
            },
            {
              sourceTag: 'type:tool',
              onlyDependOnLibsWithTags: [...libraryTypes, serviceType, 'type:testing'],
            },
            {
              // The service kit: the I/O plumbing of a process, on pure codecs and utils only.
              sourceTag: serviceType,
              onlyDependOnLibsWithTags: ['type:codec', 'type:util'],
            },
            {
              // Pure codecs: bytes and messages in, bytes and messages out. No I/O stacks.
              sourceTag: 'type:codec',
              onlyDependOnLibsWithTags: ['type:codec', 'type:util'],
              bannedExternalImports: transportsCloudSdksAndLoggers,
            },
            {
              sourceTag: 'type:util',
              onlyDependOnLibsWithTags: ['type:util'],
              bannedExternalImports: transportsCloudSdksAndLoggers,
            },
            {
              // Wire contracts (e.g. protobuf definitions): may load schemas, never serve or log.
              sourceTag: 'type:contract',
              onlyDependOnLibsWithTags: ['type:codec', 'type:util'],
              bannedExternalImports: ['ws', '@aws-sdk/*', 'aws-sdk', 'pino', 'pino-*'],
            },
            {
              // Service clients: talk HTTP themselves, take an injected logger.
              sourceTag: 'type:client',
              onlyDependOnLibsWithTags: ['type:codec', 'type:util'],
              bannedExternalImports: ['ws', '@grpc/*', 'pino', 'pino-*', 'winston'],
            },
            {
              sourceTag: 'type:testing',
              onlyDependOnLibsWithTags: [...libraryTypes, 'type:testing'],
            },
            {
              // AWS CDK helpers: constructs and synth-time checks, never a runtime client or logger.
              sourceTag: 'type:infra',
              onlyDependOnLibsWithTags: ['type:util'],
              bannedExternalImports: transportsCloudSdksAndLoggers,
            },
            // ---- scope: which product area may use which ----
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            {
              sourceTag: 'scope:audiohook',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:audiohook'],
            },
            { sourceTag: 'scope:byova', onlyDependOnLibsWithTags: ['scope:shared', 'scope:byova'] },
            {
              sourceTag: 'scope:connect',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:connect'],
            },
            { sourceTag: 'scope:chime', onlyDependOnLibsWithTags: ['scope:shared', 'scope:chime'] },
            {
              sourceTag: 'scope:genesys',
              onlyDependOnLibsWithTags: ['scope:shared', 'scope:genesys', 'scope:audiohook'],
            },
            {
              // Tools that span every area (the adversarial suite attacks every app).
              sourceTag: 'scope:all',
              onlyDependOnLibsWithTags: [
                'scope:shared',
                'scope:audiohook',
                'scope:byova',
                'scope:connect',
                'scope:chime',
                'scope:genesys',
              ],
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/ban-ts-comment': [
        'error',
        { 'ts-expect-error': 'allow-with-description' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'no-restricted-properties': [
        'error',
        { object: 'describe', property: 'only', message: 'Focused tests hide failures.' },
        { object: 'it', property: 'only', message: 'Focused tests hide failures.' },
        { object: 'test', property: 'only', message: 'Focused tests hide failures.' },
        { object: 'describe', property: 'skip', message: 'Skipped tests hide failures.' },
        { object: 'it', property: 'skip', message: 'Skipped tests hide failures.' },
        { object: 'test', property: 'skip', message: 'Skipped tests hide failures.' },
      ],
    },
  },
  {
    // An app's runtime code never pulls the AWS CDK into its bundle: stacks live in src/infra/.
    files: ['apps/*/src/**/*.ts'],
    ignores: ['apps/*/src/infra/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: infrastructureImports,
              message:
                'Deployment code belongs in src/infra/ (the runtime bundle never imports it).',
            },
          ],
        },
      ],
    },
  },
  {
    // Pure entry points (the codec libraries' `index`, `codec`, `session`, `signature`, `testing`
    // and everything under their `src/lib`): no file system and no network stack, so they run
    // in browsers, workers and edge runtimes. Node.js-only code sits in `src/node.ts` and
    // `src/lib/node/` (the `./node` entry point); tools/workspace/test/pure-entries.spec.ts
    // proves the rule holds.
    files: ['libs/audio/src/**/*.ts', 'libs/audiohook-protocol/src/**/*.ts'],
    ignores: ['libs/*/src/node.ts', 'libs/*/src/lib/node/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            'fs',
            'fs/promises',
            'net',
            'http',
            'https',
            'http2',
            'node:fs',
            'node:fs/promises',
            'node:net',
            'node:http',
            'node:https',
            'node:http2',
          ].map((name) => ({
            name,
            message: 'Pure entry points do no I/O: put Node.js-only code behind ./node.',
          })),
        },
      ],
    },
  },
  {
    // Libraries take options and an injected logger: no environment, no console.
    files: ['libs/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Libraries never read process.env: take an option instead.',
        },
      ],
    },
  },
];

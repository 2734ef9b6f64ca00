// Synthesises the AudioHook server's stack offline into dist/apps/audiohook-server/cdk.out:
//   npx nx run audiohook-server:synth        (builds the server first)
// Parameters come from the environment (docs/deploy.md lists them). Deploy the result with
//   npx cdk deploy --app dist/apps/audiohook-server/cdk.out

import { join } from 'node:path';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { aws_ecs as ecs } from 'aws-cdk-lib';
import { createInfraApp, InfraError, stackEnvironment, stageImageContext } from '@org/infra';
import { ConfigError } from '../config';
import { EXAMPLE_DOMAIN, readAudioHookParameters } from './parameters';
import { AudioHookServerStack } from './server-stack';

const root = join(__dirname, '../../../..');
const bundle = join(root, 'dist/apps/audiohook-server');

function main(): void {
  const params = readAudioHookParameters(process.env);
  const { regionAssumed, ...env } = stackEnvironment(process.env);
  // The image is built from the bundle folder: the bundle, bufferutil (native WebSocket
  // unmasking, kept outside the bundle) and the Dockerfile, never the repository.
  const context = stageImageContext({
    directory: bundle,
    requiredFiles: ['main.js'],
    copy: [
      { from: join(root, 'apps/audiohook-server/Dockerfile'), to: 'Dockerfile' },
      { from: join(root, 'apps/audiohook-server/.dockerignore'), to: '.dockerignore' },
      { from: join(root, 'node_modules/bufferutil'), to: 'node_modules/bufferutil' },
      { from: join(root, 'node_modules/node-gyp-build'), to: 'node_modules/node-gyp-build' },
    ],
    buildHint: 'npx nx build audiohook-server',
  });
  const app = createInfraApp({ outdir: process.env['CDK_OUTDIR'] ?? join(bundle, 'cdk.out') });
  const stack = new AudioHookServerStack(app, params.STACK_NAME, {
    env,
    params,
    image: ecs.ContainerImage.fromAsset(context, {
      platform: params.ARM64 ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
    }),
  });
  const assembly = app.synth();
  if (params.APPLICATION_DOMAIN === EXAMPLE_DOMAIN) {
    console.warn(`note: APPLICATION_DOMAIN is unset, synthesised for ${EXAMPLE_DOMAIN}`);
  }
  if (regionAssumed) console.warn('note: no AWS_REGION set, synthesised for us-east-1');
  console.log(`template: ${join(assembly.directory, stack.templateFile)}`);
}

try {
  main();
} catch (error) {
  if (error instanceof InfraError || error instanceof ConfigError) {
    console.error(`audiohook-server synth: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

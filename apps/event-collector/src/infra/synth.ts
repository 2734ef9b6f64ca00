// Synthesises the event collector's stack offline into dist/apps/event-collector/cdk.out:
//   npx nx run event-collector:synth        (builds the collector first)
// Parameters come from the environment (docs/deploy.md lists them). Deploy the result with
//   npx cdk deploy --app dist/apps/event-collector/cdk.out

import { join } from 'node:path';
import { aws_ecs as ecs } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { createInfraApp, InfraError, stackEnvironment, stageImageContext } from '@org/infra';
import { CollectorError } from '../lib/errors';
import { EventCollectorStack } from './collector-stack';
import { readCollectorParameters } from './parameters';

const root = join(__dirname, '../../../..');
const bundle = join(root, 'dist/apps/event-collector');

function main(): void {
  const params = readCollectorParameters(process.env);
  const { regionAssumed, ...env } = stackEnvironment(process.env);
  const context = stageImageContext({
    directory: bundle,
    requiredFiles: ['main.js'],
    copy: [
      { from: join(root, 'apps/event-collector/Dockerfile'), to: 'Dockerfile' },
      { from: join(root, 'apps/event-collector/.dockerignore'), to: '.dockerignore' },
    ],
    buildHint: 'npx nx build event-collector',
  });
  const app = createInfraApp({ outdir: process.env['CDK_OUTDIR'] ?? join(bundle, 'cdk.out') });
  const stack = new EventCollectorStack(app, params.STACK_NAME, {
    env,
    params,
    image: ecs.ContainerImage.fromAsset(context, {
      platform: params.ARM64 ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
    }),
  });
  const assembly = app.synth();
  if (regionAssumed) console.warn('note: no AWS_REGION set, synthesised for us-east-1');
  console.log(
    `credentials: Secrets Manager secret "${params.GENESYS_SECRET_NAME}" (create it first)`,
  );
  console.log(`template: ${join(assembly.directory, stack.templateFile)}`);
}

try {
  main();
} catch (error) {
  if (error instanceof InfraError || error instanceof CollectorError) {
    console.error(`event-collector synth: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

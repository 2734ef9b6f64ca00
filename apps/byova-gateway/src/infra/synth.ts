// Synthesises the BYOVA gateway's stack offline into dist/apps/byova-gateway/cdk.out:
//   npx nx run byova-gateway:synth        (builds the gateway first)
// Parameters come from the environment (docs/deploy.md lists them); the gateway configuration
// from BYOVA_CONFIG_FILE (default: gateway.aws.yaml next to this file). Deploy the result with
//   npx cdk deploy --app dist/apps/byova-gateway/cdk.out

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { aws_ecs as ecs } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { createInfraApp, InfraError, stackEnvironment, stageImageContext } from '@org/infra';
import { ConfigError } from '../config';
import { DEFAULT_DEPLOY_CONFIG, deployConfig } from './deploy-config';
import { ByovaGatewayStack } from './gateway-stack';
import { EXAMPLE_DOMAIN, readByovaParameters } from './parameters';

const root = join(__dirname, '../../../..');
const bundle = join(root, 'dist/apps/byova-gateway');

function main(): void {
  const params = readByovaParameters(process.env);
  const { regionAssumed, ...env } = stackEnvironment(process.env);
  const configFile =
    params.BYOVA_CONFIG_FILE === undefined
      ? DEFAULT_DEPLOY_CONFIG
      : resolve(params.BYOVA_CONFIG_FILE);
  const deploy = deployConfig(readFileSync(configFile, 'utf8'), params.APPLICATION_DOMAIN);
  const context = stageImageContext({
    directory: bundle,
    requiredFiles: ['main.js', 'config/default.yaml'],
    copy: [
      { from: join(root, 'apps/byova-gateway/Dockerfile'), to: 'Dockerfile' },
      { from: join(root, 'apps/byova-gateway/.dockerignore'), to: '.dockerignore' },
    ],
    buildHint: 'npx nx build byova-gateway',
  });
  const app = createInfraApp({ outdir: process.env['CDK_OUTDIR'] ?? join(bundle, 'cdk.out') });
  const stack = new ByovaGatewayStack(app, params.STACK_NAME, {
    env,
    params,
    deploy,
    image: ecs.ContainerImage.fromAsset(context, {
      platform: params.ARM64 ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
    }),
  });
  const assembly = app.synth();
  if (params.APPLICATION_DOMAIN === EXAMPLE_DOMAIN) {
    console.warn(`note: APPLICATION_DOMAIN is unset, synthesised for ${EXAMPLE_DOMAIN}`);
  }
  if (regionAssumed) console.warn('note: no AWS_REGION set, synthesised for us-east-1');
  console.log(`configuration: ${configFile} (data source URL ${deploy.datasourceUrl})`);
  console.log(`template: ${join(assembly.directory, stack.templateFile)}`);
}

try {
  main();
} catch (error) {
  if (error instanceof InfraError || error instanceof ConfigError) {
    console.error(`byova-gateway synth: ${error.message}`);
    process.exit(2);
  }
  throw error;
}

// Synthesises the Connect Lambda's stack offline:
//   npx nx run connect-lambda:synth     (builds the Lambda ZIP first)
// Output: dist/apps/connect-lambda/cdk.out, deployed with
//   npx cdk deploy --app dist/apps/connect-lambda/cdk.out --parameters OAuthSecretArn=… …
// Synthesis fails on invalid CloudFormation and on unacknowledged cdk-nag findings.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { alarmEmailParam, createInfraApp, optionalParam, readStackParameters } from '@org/infra';
import { z } from 'zod';
import { ConnectLambdaStack } from './connect-stack';

function main(): void {
  const dist = join(__dirname, '../../../../dist/apps/connect-lambda');
  const zip = join(dist, 'connect-lambda.zip');
  if (!existsSync(zip)) {
    throw new Error(`${zip} is missing: run "npx nx build connect-lambda" first`);
  }
  const p = readStackParameters(
    z.object({
      STACK_NAME: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/)
        .default('ConnectLambda'),
      TAG_OWNER: optionalParam(),
      ALARM_EMAIL: alarmEmailParam(),
      LAMBDA_RUNTIME: z.enum(['nodejs22.x', 'nodejs24.x']).default('nodejs24.x'),
      LAMBDA_ARCHITECTURE: z.enum(['arm64', 'x86_64']).default('arm64'),
    }),
    process.env,
  );
  const app = createInfraApp({ outdir: join(dist, 'cdk.out') });
  const account = process.env['CDK_DEFAULT_ACCOUNT'];
  const region = process.env['CDK_DEFAULT_REGION'] ?? process.env['AWS_REGION'];
  const stack = new ConnectLambdaStack(app, p.STACK_NAME, {
    ...(account || region
      ? { env: { ...(account ? { account } : {}), ...(region ? { region } : {}) } }
      : {}),
    codeZip: zip,
    runtime: p.LAMBDA_RUNTIME,
    architecture: p.LAMBDA_ARCHITECTURE,
    ...(p.TAG_OWNER === undefined ? {} : { owner: p.TAG_OWNER }),
    ...(p.ALARM_EMAIL === undefined ? {} : { alarmEmail: p.ALARM_EMAIL }),
  });
  const assembly = app.synth();
  console.log(`template: ${join(assembly.directory, stack.templateFile)}`);
}

try {
  main();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}

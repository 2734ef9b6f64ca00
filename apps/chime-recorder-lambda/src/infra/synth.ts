// Synthesises the recorder's stack offline:
//   npx nx run chime-recorder-lambda:synth     (builds the Lambda ZIP first)
// Parameters come from the environment (see docs/deploy.md and parameters.ts); the output is
// dist/apps/chime-recorder-lambda/cdk.out, deployed with
//   npx cdk deploy --app dist/apps/chime-recorder-lambda/cdk.out
// Synthesis fails on invalid CloudFormation and on unacknowledged cdk-nag findings.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInfraApp, InfraError } from '@org/infra';
import { aws_lambda as lambda } from 'aws-cdk-lib';
import { readRecorderParameters } from './parameters';
import { RecorderStack } from './recorder-stack';

function main(): void {
  const root = join(__dirname, '../../../..');
  const dist = join(root, 'dist/apps/chime-recorder-lambda');
  const zip = join(dist, 'chime-recorder-lambda.zip');
  if (!existsSync(zip)) {
    throw new Error(`${zip} is missing: run "npx nx build chime-recorder-lambda" first`);
  }
  const p = readRecorderParameters(process.env);
  const app = createInfraApp({ outdir: join(dist, 'cdk.out') });
  const account = process.env['CDK_DEFAULT_ACCOUNT'];
  // The region decides the Voice Connector ranges the test PBX opens; the sample's is us-east-1.
  const region = process.env['CDK_DEFAULT_REGION'] ?? process.env['AWS_REGION'] ?? 'us-east-1';
  const stack = new RecorderStack(app, p.STACK_NAME, {
    env: { region, ...(account ? { account } : {}) },
    code: lambda.Code.fromAsset(zip),
    recordingBucketPrefix: p.RECORDING_BUCKET_PREFIX,
    removalPolicy: p.REMOVAL_POLICY,
    buildAsterisk: p.buildAsterisk,
    siprecCidrs: p.SIPREC_CIDRS,
    voiceConnectorCidrs: p.VOICE_CONNECTOR_CIDRS,
    asteriskInstanceType: p.ASTERISK_INSTANCE_TYPE,
    voiceConnectorEncryption: p.VOICE_CONNECTOR_ENCRYPTION,
    kvsRetentionHours: p.KVS_RETENTION_HOURS,
    recordingExpirationDays: p.RECORDING_EXPIRATION_DAYS,
    logLevel: p.LOG_LEVEL,
    trackPipelineStatus: p.TRACK_PIPELINE_STATUS,
    settings: p.APP_SETTINGS,
    ...(p.OUTPUT_BUCKET === undefined ? {} : { outputBucket: p.OUTPUT_BUCKET }),
    ...(p.VOICECONNECTOR_ID === undefined ? {} : { voiceConnectorId: p.VOICECONNECTOR_ID }),
    ...(p.TAG_OWNER === undefined ? {} : { owner: p.TAG_OWNER }),
    ...(p.ALARM_EMAIL === undefined ? {} : { alarmEmail: p.ALARM_EMAIL }),
  });
  const assembly = app.synth();
  console.log(`template: ${join(assembly.directory, stack.templateFile)}`);
}

try {
  main();
} catch (err) {
  console.error(err instanceof InfraError || err instanceof Error ? err.message : err);
  process.exitCode = 1;
}

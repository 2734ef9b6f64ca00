// Synthesises the CloudFormation template offline:
//   npx nx run chime-recorder-lambda:synth
// Settings come from the environment (the same names the function reads):
//   VOICECONNECTOR_ID, MEDIA_INSIGHT_PIPELINE_ARN, RECORDING_BUCKET, RECORDING_BUCKET_PREFIX
// Output: dist/apps/chime-recorder-lambda/cdk.out (deploy it with the AWS CDK CLI:
//   cdk deploy --app dist/apps/chime-recorder-lambda/cdk.out).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { App, aws_lambda as lambda } from 'aws-cdk-lib';
import { RecorderStack } from './recorder-stack';

const root = join(__dirname, '../../../..');
const dist = join(root, 'dist/apps/chime-recorder-lambda');
const zip = join(dist, 'chime-recorder-lambda.zip');
if (!existsSync(zip)) {
  console.error(`${zip} is missing: run "npx nx build chime-recorder-lambda" first`);
  process.exit(1);
}
const env = process.env;
const app = new App({ outdir: join(dist, 'cdk.out') });
const stack = new RecorderStack(app, env['STACK_NAME'] ?? 'ChimeRecorder', {
  code: lambda.Code.fromAsset(zip),
  voiceConnectorIds: (env['VOICECONNECTOR_ID'] ?? 'example0voiceconnector').split(','),
  pipelineConfigurationArn:
    env['MEDIA_INSIGHT_PIPELINE_ARN'] ??
    'arn:aws:chime:us-east-1:111122223333:media-insights-pipeline-configuration/Record',
  recordingBucketName: env['RECORDING_BUCKET'] ?? 'example-recordings-bucket',
  recordingBucketPrefix: env['RECORDING_BUCKET_PREFIX'] ?? 'originalAudio',
});
const assembly = app.synth();
console.log(`template: ${join(assembly.directory, stack.templateFile)}`);

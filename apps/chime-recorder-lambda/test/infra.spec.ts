import { App, aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RecorderStack } from '../src/infra/recorder-stack';

const CONFIG_ARN =
  'arn:aws:chime:us-east-1:112233445566:media-insights-pipeline-configuration/Record';

let template: Template;

beforeAll(() => {
  // Offline synthesis: no credentials, no lookups, inline code instead of the built ZIP.
  const app = new App();
  const stack = new RecorderStack(app, 'Recorder', {
    env: { account: '112233445566', region: 'us-east-1' },
    code: lambda.Code.fromInline('exports.handler = async () => undefined;'),
    voiceConnectorIds: ['bfggco08s5m5esgxfskzks'],
    pipelineConfigurationArn: CONFIG_ARN,
    recordingBucketName: 'recordings-bucket',
    settings: { FINALIZE_AFTER_MS: '120000' },
  });
  template = Template.fromStack(stack);
});

describe('RecorderStack', () => {
  it('has a call table with pk/sk, TTL on "ttl", on-demand billing, PITR and the keys-only due index', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'due-index',
          KeySchema: [
            { AttributeName: 'dueShard', KeyType: 'HASH' },
            { AttributeName: 'dueAtMs', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('narrows the streaming rule to the detail type, the Voice Connector and STARTED/ENDED/FAILED', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.chime'],
        'detail-type': ['Chime VoiceConnector Streaming Status'],
        detail: {
          voiceConnectorId: ['bfggco08s5m5esgxfskzks'],
          streamingStatus: ['STARTED', 'ENDED', 'FAILED'],
        },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.chime'],
        'detail-type': ['Media Insights State Change'],
        detail: { voiceConnectorId: ['bfggco08s5m5esgxfskzks'] },
      },
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    // No rule matches all of aws.chime, as the 2023 sample's did.
    for (const rule of Object.values(template.findResources('AWS::Events::Rule'))) {
      const pattern = (rule as { Properties: { EventPattern?: Record<string, unknown> } })
        .Properties.EventPattern;
      if (pattern) expect(pattern['detail-type']).toBeDefined();
    }
  });

  it('sends failed async invocations and undeliverable events to an encrypted queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
      DestinationConfig: {
        OnFailure: {
          Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FailedEvents'), 'Arn'] },
        },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        Match.objectLike({
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FailedEvents'), 'Arn'] },
          },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        }),
      ],
    });
  });

  it('runs the bundle on Node.js 22 arm64 with the sample environment variable names', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 60,
      Environment: {
        Variables: {
          CALL_TABLE: { Ref: Match.stringLikeRegexp('^CallTable') },
          RECORDING_BUCKET: 'recordings-bucket',
          RECORDING_BUCKET_PREFIX: 'originalAudio',
          MEDIA_INSIGHT_PIPELINE_ARN: CONFIG_ARN,
          VOICECONNECTOR_ID: 'bfggco08s5m5esgxfskzks',
          LOG_LEVEL: 'INFO',
          DUE_INDEX_NAME: 'due-index',
          TRACK_PIPELINE_STATUS: 'true',
          FINALIZE_AFTER_MS: '120000',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
  });

  it('grants only UpdateItem/Query on the table and CreateMediaInsightsPipeline, with no wildcard actions', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } })
          .Properties.PolicyDocument.Statement,
    );
    const actions = statements
      .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
      .sort();
    expect(actions).toEqual([
      'chime:CreateMediaInsightsPipeline',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      's3:PutObject',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'chime:CreateMediaInsightsPipeline',
            Effect: 'Allow',
            Resource: [
              CONFIG_ARN,
              {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':chime:us-east-1:112233445566:media-pipeline/*',
                  ],
                ],
              },
            ],
          },
        ]),
      },
    });
    // No managed policies (the sample attached AWSLambdaBasicExecutionRole and kinesisvideo:*).
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('refuses to deploy without a Voice Connector to narrow the rules to', () => {
    expect(
      () =>
        new RecorderStack(new App(), 'Empty', {
          code: lambda.Code.fromInline('exports.handler = async () => undefined;'),
          voiceConnectorIds: [],
          pipelineConfigurationArn: CONFIG_ARN,
          recordingBucketName: 'recordings-bucket',
        }),
    ).toThrow('RecorderStack needs at least one Voice Connector id');
  });
});

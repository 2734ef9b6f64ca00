import { join } from 'node:path';
import {
  awsActionsCalledIn,
  createInfraApp,
  InfraErrorCode,
  nagFindings,
  roleActions,
  roleStatements,
  sourceFiles,
  validationReports,
} from '@org/infra';
import { App, type aws_iam as iam, aws_lambda as lambda, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RecorderStack } from '../src/infra/recorder-stack';

const env = { account: '112233445566', region: 'us-east-1' };
const code = lambda.Code.fromInline('exports.handler = async () => undefined;');

let app: App;
let full: RecorderStack;
let siprec: RecorderStack;
let existing: RecorderStack;
let root: RecorderStack;
let fullT: Template;
let siprecT: Template;
let existingT: Template;
let rootT: Template;
let assemblyDir: string;

beforeAll(() => {
  // One app, synthesised once: the CDK's template validation (as errors) runs on every stack.
  app = createInfraApp({ nag: false });
  full = new RecorderStack(app, 'Full', {
    env,
    code,
    buildAsterisk: true,
    settings: { FINALIZE_AFTER_MS: '120000' },
    owner: 'team-voice',
  });
  siprec = new RecorderStack(app, 'Siprec', {
    env,
    code,
    outputBucket: 'pca-input-bucket',
    recordingBucketPrefix: '/originalAudio/',
    siprecCidrs: ['198.51.100.0/27', '203.0.113.0/28'],
    kvsRetentionHours: 48,
    removalPolicy: RemovalPolicy.DESTROY,
    recordingExpirationDays: 365,
  });
  existing = new RecorderStack(app, 'Existing', {
    env,
    code,
    voiceConnectorId: 'bfggco08s5m5esgxfskzks',
    recordingBucketPrefix: '',
    settings: { WRITE_METADATA_JSON: 'false' },
  });
  // RECORDING_BUCKET_PREFIX="" (the bucket root) with the metadata objects written.
  root = new RecorderStack(app, 'Root', {
    env,
    code,
    voiceConnectorId: 'bfggco08s5m5esgxfskzks',
    recordingBucketPrefix: '',
  });
  assemblyDir = app.synth().directory;
  fullT = Template.fromStack(full);
  siprecT = Template.fromStack(siprec);
  existingT = Template.fromStack(existing);
  rootT = Template.fromStack(root);
});

/** A resource of a policy as one string, e.g. `<SinkRecordings1234.Arn>/originalAudio/*`. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, unknown>;
  if ('Fn::Join' in v) return (v['Fn::Join'] as [string, unknown[]])[1].map(render).join('');
  if ('Fn::GetAtt' in v) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Ref' in v) return `<${v['Ref'] as string}>`;
  return JSON.stringify(value);
}

/** The S3 object resources the role's policies allow `s3:PutObject` on, rendered. */
function putObjectResources(stack: RecorderStack, t: Template, role: iam.Role): string[] {
  const id = stack.getLogicalId(role.node.defaultChild as iam.CfnRole);
  return roleStatements(t, id)
    .filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes('s3:PutObject'))
    .flatMap((s) => [s.Resource].flat().map(render));
}

/** The function's RECORDING_BUCKET_PREFIX in the template. */
function functionPrefix(stack: RecorderStack, t: Template): unknown {
  const id = stack.getLogicalId(stack.recorder.fn.node.defaultChild as lambda.CfnFunction);
  const fn = t.toJSON().Resources[id] as {
    Properties: { Environment: { Variables: Record<string, unknown> } };
  };
  return fn.Properties.Environment.Variables['RECORDING_BUCKET_PREFIX'];
}

/** The streaming custom resource's SDK call, parsed (its JSON is split around tokens). */
function createCall(t: Template, logicalPrefix: string): string {
  const [resource] = Object.entries(t.findResources('Custom::AWS')).filter(([id]) =>
    id.startsWith(logicalPrefix),
  );
  return JSON.stringify((resource?.[1] as { Properties: { Create: unknown } }).Properties.Create);
}

describe('RecorderStack: telephony', () => {
  it('creates a Voice Connector that streams to KVS with retention and EventBridge notifications, automatic recording off', () => {
    fullT.hasResourceProperties('AWS::Chime::VoiceConnector', {
      RequireEncryption: false,
      Name: 'Full-recorder',
    });
    const create = createCall(fullT, 'TelephonyStreaming');
    expect(create).toContain('\\"action\\":\\"PutVoiceConnectorStreamingConfiguration\\"');
    expect(create).toContain(
      '\\"StreamingConfiguration\\":{\\"Disabled\\":false,\\"DataRetentionInHours\\":24,\\"StreamingNotificationTargets\\":[{\\"NotificationTarget\\":\\"EventBridge\\"}],\\"MediaInsightsConfiguration\\":{\\"Disabled\\":true,\\"ConfigurationArn\\":\\"',
    );
    expect(create).toContain('SinkConfiguration');
    expect(createCall(siprecT, 'TelephonyStreaming')).toContain('\\"DataRetentionInHours\\":48');
  });

  it('lets the SIPREC sources send calls into the connector, and builds no test PBX then', () => {
    const create = createCall(siprecT, 'TelephonyTermination');
    expect(create).toContain('\\"CidrAllowedList\\":[\\"198.51.100.0/27\\",\\"203.0.113.0/28\\"]');
    siprecT.resourceCountIs('AWS::EC2::Instance', 0);
    siprecT.resourceCountIs('Custom::AWS', 2);
  });

  it('builds the Asterisk test PBX with the Voice Connector ranges only, and trusts its address', () => {
    fullT.hasResourceProperties('AWS::EC2::Instance', {
      InstanceType: 't4g.small',
      Monitoring: true,
      BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
    });
    fullT.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required' } },
    });
    const groups = Object.values(fullT.findResources('AWS::EC2::SecurityGroup'));
    const ingress = groups.flatMap(
      (g) =>
        (g as { Properties: { SecurityGroupIngress?: { CidrIp: string }[] } }).Properties
          .SecurityGroupIngress ?? [],
    );
    expect(new Set(ingress.map((i) => i.CidrIp))).toEqual(
      new Set([
        '3.80.16.0/23',
        '52.55.62.128/25',
        '52.55.63.0/25',
        '34.212.95.128/25',
        '34.223.21.0/25',
      ]),
    );
    expect(createCall(fullT, 'TelephonyTermination')).toContain('TestPbxAddress');
    expect(createCall(fullT, 'TelephonyOrigination')).toContain('TestPbxAddress');
  });

  it('records an existing Voice Connector without creating or reconfiguring one', () => {
    existingT.resourceCountIs('AWS::Chime::VoiceConnector', 0);
    existingT.resourceCountIs('Custom::AWS', 0);
    existingT.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: Match.objectLike({ voiceConnectorId: ['bfggco08s5m5esgxfskzks'] }),
      }),
    });
  });
});

describe('RecorderStack: recording sink', () => {
  it('configures one S3 recording sink writing to the recordings bucket, with a role the media-pipelines service assumes', () => {
    fullT.hasResourceProperties('AWS::Chime::MediaInsightsPipelineConfiguration', {
      Elements: [
        {
          Type: 'S3RecordingSink',
          S3RecordingSinkConfiguration: {
            Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SinkRecordings'), 'Arn'] },
            RecordingFileFormat: 'Wav',
          },
        },
      ],
      ResourceAccessRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SinkAccessRole'), 'Arn'] },
    });
    siprecT.hasResourceProperties('AWS::Chime::MediaInsightsPipelineConfiguration', {
      Elements: [
        Match.objectLike({
          S3RecordingSinkConfiguration: Match.objectLike({
            Destination: {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::pca-input-bucket']],
            },
          }),
        }),
      ],
    });
    fullT.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'mediapipelines.chime.amazonaws.com' },
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': '112233445566' } }),
          }),
        ],
      },
    });
    const sinkRole = full.getLogicalId(full.sink.accessRole.node.defaultChild as iam.CfnRole);
    expect(roleActions(fullT, sinkRole)).toEqual([
      'kinesisvideo:GetDataEndpoint',
      'kinesisvideo:GetMediaForFragmentList',
      'kinesisvideo:ListFragments',
      's3:PutObject',
      's3:PutObjectTagging',
    ]);
  });

  it('creates the recordings bucket encrypted, private, TLS-only, with a lifecycle, only when OUTPUT_BUCKET is not given', () => {
    fullT.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'recordings-access/' }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'recordings-to-infrequent-access',
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
          }),
        ]),
      },
    });
    fullT.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    fullT.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    siprecT.resourceCountIs('AWS::S3::Bucket', 0);
  });
});

describe('RecorderStack: recorder function', () => {
  it('runs the bundle on the newest Node.js runtime, arm64, with the sample environment variable names', () => {
    fullT.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: 60,
      Environment: {
        Variables: {
          CALL_TABLE: { Ref: Match.stringLikeRegexp('^RecorderCallTable') },
          RECORDING_BUCKET: { Ref: Match.stringLikeRegexp('^SinkRecordings') },
          RECORDING_BUCKET_PREFIX: 'originalAudio',
          MEDIA_INSIGHT_PIPELINE_ARN: {
            'Fn::GetAtt': [
              Match.stringLikeRegexp('^SinkConfiguration'),
              'MediaInsightsPipelineConfigurationArn',
            ],
          },
          VOICECONNECTOR_ID: {
            'Fn::GetAtt': [Match.stringLikeRegexp('^TelephonyVoiceConnector'), 'VoiceConnectorId'],
          },
          LOG_LEVEL: 'INFO',
          DUE_INDEX_NAME: 'due-index',
          TRACK_PIPELINE_STATUS: 'true',
          FINALIZE_AFTER_MS: '120000',
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    siprecT.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ RECORDING_BUCKET: 'pca-input-bucket' }) },
    });
  });

  it('grants exactly the actions the code calls, plus its logs and its failure queue', () => {
    // Every SDK call of the function's code (not the stack, not the local harness).
    const code = awsActionsCalledIn(sourceFiles(join(__dirname, '..', 'src'), ['infra', 'local']));
    expect(code).toEqual([
      'chime:CreateMediaInsightsPipeline',
      'chime:DeleteMediaPipeline',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      's3:PutObject',
    ]);
    // Writes of the runtime (logs) and of the Lambda on-failure destination (the queue).
    const platform = [
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ];
    const roleOf = (stack: RecorderStack) =>
      stack.getLogicalId(stack.recorder.role.node.defaultChild as iam.CfnRole);
    expect(roleActions(fullT, roleOf(full))).toEqual([...code, ...platform].sort());
    // Without metadata objects the role cannot write to the bucket at all.
    expect(roleActions(existingT, roleOf(existing))).toEqual(
      [...code.filter((a) => a !== 's3:PutObject'), ...platform].sort(),
    );
    fullT.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:PutObject',
            Resource: {
              'Fn::Join': [
                '',
                [{ 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }, '/originalAudio/*.json'],
              ],
            },
          }),
        ]),
      },
    });
    fullT.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: Match.objectLike({
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      }),
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('narrows the rules to the detail types, the Voice Connector and STARTED/ENDED/FAILED, with a dead-letter queue', () => {
    existingT.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.chime'],
        'detail-type': ['Chime VoiceConnector Streaming Status'],
        detail: {
          voiceConnectorId: ['bfggco08s5m5esgxfskzks'],
          streamingStatus: ['STARTED', 'ENDED', 'FAILED'],
        },
      },
    });
    existingT.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
    });
    existingT.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 21600,
    });
    existingT.hasResourceProperties('AWS::SQS::Queue', {
      MessageRetentionPeriod: 1209600,
      SqsManagedSseEnabled: true,
    });
  });

  it('takes the log level and pipeline-status tracking from its own properties, and subscribes to state changes only when tracking', () => {
    const stack = new RecorderStack(new App(), 'Untracked', {
      env,
      code,
      voiceConnectorId: 'abc',
      logLevel: 'DEBUG',
      trackPipelineStatus: false,
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ LOG_LEVEL: 'DEBUG', TRACK_PIPELINE_STATUS: 'false' }),
      },
    });
    const stateChangeRules = (tt: Template) =>
      Object.values(tt.findResources('AWS::Events::Rule')).filter((r) =>
        JSON.stringify(r).includes('Media Insights State Change'),
      );
    expect(stateChangeRules(t)).toEqual([]);
    expect(stateChangeRules(fullT)).toHaveLength(1);
  });

  it('keeps the call table on-demand with TTL, PITR and the due index', () => {
    fullT.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    siprecT.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });
});

describe('RecorderStack: recordings prefix', () => {
  const createdBucket = String.raw`^<SinkRecordings[0-9A-F]+\.Arn>`;

  it('gives the function originalAudio by default and grants the pipelines originalAudio/* and the metadata writes originalAudio/*.json', () => {
    expect(functionPrefix(full, fullT)).toBe('originalAudio');
    expect(putObjectResources(full, fullT, full.sink.accessRole)).toEqual([
      expect.stringMatching(new RegExp(`${createdBucket}/originalAudio/\\*$`)),
    ]);
    expect(putObjectResources(full, fullT, full.recorder.role)).toEqual([
      expect.stringMatching(new RegExp(`${createdBucket}/originalAudio/\\*\\.json$`)),
    ]);
  });

  it('with an empty prefix (the bucket root) gives the function "" and grants every key of the bucket', () => {
    expect(functionPrefix(root, rootT)).toBe('');
    expect(putObjectResources(root, rootT, root.sink.accessRole)).toEqual([
      expect.stringMatching(new RegExp(`${createdBucket}/\\*$`)),
    ]);
    expect(putObjectResources(root, rootT, root.recorder.role)).toEqual([
      expect.stringMatching(new RegExp(`${createdBucket}/\\*\\.json$`)),
    ]);
  });

  it('with the sample\'s "/originalAudio/" drops the surrounding "/" as the function does and grants under that prefix only, in an existing bucket too', () => {
    expect(functionPrefix(siprec, siprecT)).toBe('originalAudio');
    expect(putObjectResources(siprec, siprecT, siprec.sink.accessRole)).toEqual([
      'arn:<AWS::Partition>:s3:::pca-input-bucket/originalAudio/*',
    ]);
    expect(putObjectResources(siprec, siprecT, siprec.recorder.role)).toEqual([
      'arn:<AWS::Partition>:s3:::pca-input-bucket/originalAudio/*.json',
    ]);
  });

  it('refuses RECORDING_BUCKET_PREFIX and the other stack-set values in the settings (APP_SETTINGS), naming what to set instead', () => {
    const attempt = (settings: Record<string, string>) => () =>
      new RecorderStack(new App(), 'Conflict', { env, code, voiceConnectorId: 'abc', settings });
    expect(attempt({ RECORDING_BUCKET_PREFIX: '' })).toThrow(
      expect.objectContaining({
        code: InfraErrorCode.InvalidProps,
        message: expect.stringContaining(
          'RECORDING_BUCKET_PREFIX cannot be in APP_SETTINGS: set the RECORDING_BUCKET_PREFIX variable itself',
        ),
      }),
    );
    expect(attempt({ RECORDING_BUCKET: 'elsewhere', CALL_TABLE: 'other' })).toThrow(
      /RECORDING_BUCKET cannot be in APP_SETTINGS: .*OUTPUT_BUCKET[\s\S]*CALL_TABLE cannot be in APP_SETTINGS/,
    );
  });

  it("refuses LOG_LEVEL and TRACK_PIPELINE_STATUS in the settings (APP_SETTINGS): they are the stack's own parameters", () => {
    const attempt = (settings: Record<string, string>) => () =>
      new RecorderStack(new App(), 'Conflict', { env, code, voiceConnectorId: 'abc', settings });
    expect(attempt({ LOG_LEVEL: 'debug' })).toThrow(
      expect.objectContaining({
        code: InfraErrorCode.InvalidProps,
        message: expect.stringContaining(
          'LOG_LEVEL cannot be in APP_SETTINGS: set the LOG_LEVEL variable itself',
        ),
      }),
    );
    expect(attempt({ TRACK_PIPELINE_STATUS: 'false' })).toThrow(
      expect.objectContaining({
        code: InfraErrorCode.InvalidProps,
        message: expect.stringContaining(
          'TRACK_PIPELINE_STATUS cannot be in APP_SETTINGS: set the TRACK_PIPELINE_STATUS variable itself',
        ),
      }),
    );
  });

  it.each(['a/../b', '..', './x', 'audio files', 'ünicode'])(
    'refuses the prefix %j before building anything',
    (prefix) => {
      expect(
        () =>
          new RecorderStack(new App(), 'BadPrefix', {
            env,
            code,
            voiceConnectorId: 'abc',
            recordingBucketPrefix: prefix,
          }),
      ).toThrow(
        expect.objectContaining({
          code: InfraErrorCode.InvalidProps,
          message: expect.stringMatching(/^RECORDING_BUCKET_PREFIX /),
        }),
      );
    },
  );
});

describe('RecorderStack: checks', () => {
  it('has no unacknowledged cdk-nag AwsSolutions finding, and every acknowledgement gives a reason', () => {
    expect(nagFindings(full)).toEqual([]);
    expect(nagFindings(siprec)).toEqual([]);
    expect(nagFindings(existing)).toEqual([]);
    expect(nagFindings(root)).toEqual([]);
  });

  it('is valid CloudFormation by the CDK template validation: no finding, error or warning, left', () => {
    const report = { pluginReports: validationReports(assemblyDir) };
    for (const plugin of report.pluginReports) {
      expect(plugin).toMatchObject({ conclusion: 'success', violations: [] });
    }
  });

  it("runs every function, the custom resources' provider included, on Node.js 22 or newer", () => {
    for (const t of [fullT, siprecT, existingT, rootT]) {
      for (const fn of Object.values(t.findResources('AWS::Lambda::Function'))) {
        expect((fn as { Properties: { Runtime: string } }).Properties.Runtime).toMatch(
          /^nodejs(2[2-9]|[3-9]\d)\.x$/,
        );
      }
    }
    expect(Object.keys(fullT.findResources('AWS::Lambda::Function'))).toHaveLength(2);
  });

  it('tags every resource with its service and owner', () => {
    fullT.hasResourceProperties('AWS::DynamoDB::Table', {
      Tags: Match.arrayWith([
        { Key: 'Owner', Value: 'team-voice' },
        { Key: 'Service', Value: 'chime-recorder' },
      ]),
    });
  });
});

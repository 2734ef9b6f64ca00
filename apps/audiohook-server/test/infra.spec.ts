// The AudioHook server's stack, synthesised once for the file (synthesis takes seconds): what
// issue 13 asks of it, pinned on the template, plus cdk-nag and the CDK's template validation.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type App, type CfnElement, aws_ecs as ecs } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  awsActionsCalledIn,
  createInfraApp,
  nagFindings,
  roleActions,
  roleStatements,
  sourceFiles,
  validationReports,
} from '@org/infra';
import { ConfigError, loadConfig } from '../src/config';
import { shutdownDeadlineMs } from '../src/shutdown-budget';
import { readAudioHookParameters } from '../src/infra/parameters';
import { AUDIOHOOK_PING_INTERVAL } from '../src/infra/server-ingress';
import { AudioHookServerStack } from '../src/infra/server-stack';

const env = { account: '111122223333', region: 'eu-west-1' };
const zoneParams = {
  APPLICATION_DOMAIN: 'audiohook.example.com',
  HOSTED_ZONE_NAME: 'example.com',
  HOSTED_ZONE_ID: 'Z0123456789EXAMPLE',
  TAG_OWNER: 'team-voice',
};
const certificateArn = 'arn:aws:acm:eu-west-1:111122223333:certificate/abcd-1234';
// The real Dockerfile and .dockerignore: the asset keeps only what .dockerignore lets in.
const image = () => ecs.ContainerImage.fromAsset(join(__dirname, '..'));

let app: App;
let stack: AudioHookServerStack;
let imported: AudioHookServerStack;
let template: Template;
let importedTemplate: Template;

/** What the server needs after SIGTERM, from its own configuration defaults. */
function defaultDrainDeadlineSeconds(): number {
  const config = loadConfig({});
  return (config.drain.timeoutMs + config.limits.closeTimeoutMs) / 1000;
}

beforeAll(() => {
  app = createInfraApp({ nag: false });
  stack = new AudioHookServerStack(app, 'AudioHook', {
    env,
    params: readAudioHookParameters(zoneParams),
    image: image(),
  });
  imported = new AudioHookServerStack(app, 'AudioHookImported', {
    env,
    params: readAudioHookParameters({
      APPLICATION_DOMAIN: 'audiohook.example.com',
      CERTIFICATE_ARN: certificateArn,
      SECRET_NAME: 'audiohook/api-keys',
      RECORDING_RETENTION_DAYS: '365',
      INGRESS_CIDRS: '192.0.2.0/24,198.51.100.0/24',
      RECORDINGS_ON_EFS: 'true',
      APP_SETTINGS: '{"LOG_LEVEL":"debug","SERVERPORT":"9999","TRANSCRIPTION_ENGINE":"transcribe"}',
      APP_SECRETS: '{"OTEL_EXPORTER_OTLP_HEADERS":"audiohook/otel-headers"}',
    }),
    image: image(),
  });
  template = Template.fromStack(stack);
  importedTemplate = Template.fromStack(imported);
}, 180_000);

describe('AudioHookServerStack: listener and certificate', () => {
  it('listens only on 443 with HTTPS, TLS 1.2+ and the domain certificate (port 80 closed)', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: { Ref: Match.stringLikeRegexp('^DomainCertificate') } }],
      DefaultActions: [Match.objectLike({ Type: 'fixed-response' })],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'HTTPS from the calling platform',
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })],
    });
  });

  it('requests a DNS-validated certificate in the hosted zone and aliases the domain to the ALB', () => {
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'audiohook.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [
        { DomainName: 'audiohook.example.com', HostedZoneId: 'Z0123456789EXAMPLE' },
      ],
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'audiohook.example.com.',
      Type: 'A',
      AliasTarget: Match.objectLike({
        DNSName: { 'Fn::Join': ['', ['dualstack.', Match.anyValue()]] },
      }),
    });
  });

  it('uses CERTIFICATE_ARN as given, and INGRESS_CIDRS narrow who may connect', () => {
    importedTemplate.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    importedTemplate.resourceCountIs('AWS::Route53::RecordSet', 0);
    importedTemplate.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Certificates: [{ CertificateArn: certificateArn }],
    });
    importedTemplate.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'HTTPS from the calling platform',
      SecurityGroupIngress: [
        Match.objectLike({ CidrIp: '192.0.2.0/24', FromPort: 443 }),
        Match.objectLike({ CidrIp: '198.51.100.0/24', FromPort: 443 }),
      ],
    });
  });

  it('forwards only /api/v1/* on the application domain to the sessions', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: Match.arrayWith([
        { Field: 'host-header', HostHeaderConfig: { Values: ['audiohook.example.com'] } },
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/api/v1/*'] } },
      ]),
    });
  });

  it('keeps idle WebSockets open well past the AudioHook ping interval and drops invalid headers', () => {
    const attributes = loadBalancerAttributes(template);
    expect(Number(attributes['idle_timeout.timeout_seconds'])).toBeGreaterThan(
      AUDIOHOOK_PING_INTERVAL.toSeconds() * 2,
    );
    expect(attributes['routing.http.drop_invalid_header_fields.enabled']).toBe('true');
    expect(attributes['access_logs.s3.enabled']).toBe('true');
  });
});

describe('AudioHookServerStack: health and draining', () => {
  it('health-checks the targets on /health/check', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Protocol: 'HTTP',
      Port: 8080,
      TargetType: 'ip',
      HealthCheckPath: '/health/check',
      Matcher: { HttpCode: '200' },
    });
  });

  it("gives deregistration and the task's stop timeout longer than the server's drain deadline", () => {
    const deadline = defaultDrainDeadlineSeconds();
    expect(stack.drainDeadline.toSeconds()).toBe(deadline);
    const delay = Number(targetGroupAttributes(template)['deregistration_delay.timeout_seconds']);
    expect(delay).toBeGreaterThan(deadline);
    const container = containerDefinition(template);
    expect(container['StopTimeout']).toBeGreaterThan(deadline);
    expect(container['StopTimeout']).toBeLessThanOrEqual(120);
  });

  it("checks the server's own shutdown deadline (drain + close + upload margin, as main.ts uses it) against the stop timeout", () => {
    expect(stack.shutdownDeadline.toMilliseconds()).toBe(shutdownDeadlineMs(loadConfig({})));
    expect(stack.shutdownDeadline.toSeconds()).toBeLessThanOrEqual(
      containerDefinition(template)['StopTimeout'] as number,
    );
    const main = readFileSync(join(__dirname, '../src/main.ts'), 'utf8');
    expect(main).toMatch(/deadlineMs: shutdownDeadlineMs\(config\)/);
  });

  it('refuses settings whose shutdown deadline would run past SIGKILL and cut the last uploads', () => {
    // 82 s drain + 8 s close + 60 s uploads = 150 s: more than Fargate's 120 s.
    for (const drain of ['82000', '100000']) {
      expect(
        () =>
          new AudioHookServerStack(createInfraApp({ nag: false }), `TooLong${drain}`, {
            env,
            params: readAudioHookParameters({
              APP_SETTINGS: `{"DRAIN_TIMEOUT_MS":"${drain}"}`,
            }),
            image: image(),
          }),
      ).toThrow(/shutdown deadline, .* \(\d+ s\), exceeds Fargate's 120 s stop timeout/);
    }
    expect(
      () =>
        new AudioHookServerStack(createInfraApp({ nag: false }), 'ShortDelay', {
          env,
          params: readAudioHookParameters({ DEREGISTRATION_DELAY_S: '30' }),
          image: image(),
        }),
    ).toThrow(/DEREGISTRATION_DELAY_S must exceed/);
  });

  it('refuses settings the server itself would refuse, with its configuration error', () => {
    expect(
      () =>
        new AudioHookServerStack(createInfraApp({ nag: false }), 'BadLevel', {
          env,
          params: readAudioHookParameters({ APP_SETTINGS: '{"LOG_LEVEL":"loud"}' }),
          image: image(),
        }),
    ).toThrow(ConfigError);
  });
});

describe('AudioHookServerStack: recordings', () => {
  it('encrypts the recording bucket, blocks public access, versions it and logs access', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
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
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { LogFilePrefix: 'recordings-access/' },
    });
    template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({ VersioningConfiguration: { Status: 'Enabled' } }),
      DeletionPolicy: 'Retain',
    });
  });

  it('denies every request to the recording bucket without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^Recordings') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('aborts stale multipart uploads, expires old versions, and expires recordings when asked', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    importedTemplate.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 365 })]),
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('outputs the recording bucket and the wss:// URL to paste into Genesys Cloud', () => {
    template.hasOutput('recordingBucketName', {
      Value: { Ref: Match.stringLikeRegexp('^Recordings') },
    });
    template.hasOutput('audioHookUrl', {
      Value: 'wss://audiohook.example.com/api/v1/audiohook/ws',
    });
  });
});

describe('AudioHookServerStack: the container', () => {
  it('runs read-only as configured: the bucket, secret, replay table, EMF namespace and recordings volume', () => {
    const container = containerDefinition(template);
    expect(container).toMatchObject({
      ReadonlyRootFilesystem: true,
      PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp' }],
      LogConfiguration: { LogDriver: 'awslogs', Options: { mode: 'non-blocking' } },
      MountPoints: [
        { ContainerPath: '/tmp', ReadOnly: false },
        { ContainerPath: '/var/lib/audiohook/recordings', ReadOnly: false },
      ],
    });
    const variables = environment(container);
    expect(variables).toMatchObject({
      SERVERHOST: '0.0.0.0',
      SERVERPORT: '8080',
      LOG_ROOT_DIR: '/var/lib/audiohook/recordings',
      EMF_NAMESPACE: 'AudioHook',
      RECORDING_S3_BUCKET: { Ref: expect.stringMatching(/^Recordings/) },
      SECRET_NAME_OR_ARN: { Ref: expect.stringMatching(/^ApiKeys/) },
      REPLAY_CACHE_TABLE: { Ref: expect.stringMatching(/^ReplayCache/) },
    });
  });

  it('passes APP_SETTINGS through, but never over the values the stack is built around', () => {
    const variables = environment(containerDefinition(importedTemplate));
    expect(variables['LOG_LEVEL']).toBe('debug');
    expect(variables['SERVERPORT']).toBe('8080');
  });

  it('refuses secret settings in APP_SETTINGS (plain-text variables) by name, pointing to the secrets, never echoing them', () => {
    const read = () =>
      readAudioHookParameters({
        APP_SETTINGS: JSON.stringify({
          STATIC_API_KEY_MAP: '{"key":"aHVudGVyMg=="}',
          OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer xyz',
          LOG_LEVEL: 'debug',
        }),
      });
    expect(read).toThrow(
      /STATIC_API_KEY_MAP cannot be in APP_SETTINGS: it is a secret.*SECRET_NAME/,
    );
    expect(read).toThrow(/OTEL_EXPORTER_OTLP_HEADERS cannot be in APP_SETTINGS: .*APP_SECRETS/);
    expect(read).not.toThrow(/aHVudGVyMg|xyz/);
    expect(read).not.toThrow(/LOG_LEVEL/);
  });

  it('refuses a URL with credentials in APP_SETTINGS', () => {
    expect(() =>
      readAudioHookParameters({
        APP_SETTINGS: '{"OTEL_EXPORTER_OTLP_ENDPOINT":"https://user:hunter2@otel.example.com"}',
      }),
    ).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT in APP_SETTINGS is a URL with credentials/);
  });

  it('injects the secret settings named in APP_SECRETS from Secrets Manager, and only those', () => {
    const container = containerDefinition(importedTemplate);
    const secrets = container['Secrets'] as { Name: string; ValueFrom: unknown }[];
    expect(secrets.map((e) => e.Name)).toEqual(['OTEL_EXPORTER_OTLP_HEADERS']);
    expect(JSON.stringify(secrets[0]?.ValueFrom)).toContain(':secret:audiohook/otel-headers');
    expect(containerDefinition(template)['Secrets']).toBeUndefined();
    expect(Object.keys(environment(container))).not.toContain('OTEL_EXPORTER_OTLP_HEADERS');
    expect(() => readAudioHookParameters({ APP_SECRETS: '{"LOG_LEVEL":"x"}' })).toThrow(
      /APP_SECRETS: LOG_LEVEL is not a secret setting of the server \(OTEL_EXPORTER_OTLP_HEADERS, STATIC_API_KEY_MAP\)/,
    );
  });

  it('keeps the replay cache in a table with the contract key schema and TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it("keeps the API keys in Secrets Manager: a new empty key map, or the seed's SECRET_NAME", () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: '{}' });
    importedTemplate.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(
      JSON.stringify(environment(containerDefinition(importedTemplate))['SECRET_NAME_OR_ARN']),
    ).toContain(':secret:audiohook/api-keys');
  });
});

describe('AudioHookServerStack: API key secret access', () => {
  it('lets the task role read the API key secret, created or named by SECRET_NAME (any suffix)', () => {
    const resource = (t: Template, s: AudioHookServerStack) =>
      JSON.stringify(
        roleStatements(
          t,
          s.getLogicalId(s.server.taskDefinition.taskRole.node.defaultChild as CfnElement),
        ).find((st) => st.Action === 'secretsmanager:GetSecretValue')?.Resource,
      );
    expect(resource(template, stack)).toMatch(/^\{"Ref":"ApiKeys/);
    expect(resource(importedTemplate, imported)).toContain(':secret:audiohook/api-keys-??????');
  });
});

describe('AudioHookServerStack: recordings in progress', () => {
  it('keeps them on the task by default, or on shared EFS where another task adopts them', () => {
    template.resourceCountIs('AWS::EFS::FileSystem', 0);
    importedTemplate.hasResourceProperties('AWS::EFS::FileSystem', {
      Encrypted: true,
      ThroughputMode: 'elastic',
      BackupPolicy: { Status: 'ENABLED' },
    });
    const mounts = containerDefinition(importedTemplate)['MountPoints'];
    expect(mounts).toEqual([
      { ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'scratch0' },
      {
        ContainerPath: '/var/lib/audiohook/recordings',
        ReadOnly: false,
        SourceVolume: 'efs-recordingfiles',
      },
    ]);
    const role = imported.getLogicalId(
      imported.server.taskDefinition.taskRole.node.defaultChild as CfnElement,
    );
    const called = awsActionsCalledIn(sourceFiles(join(__dirname, '../src'), ['infra']));
    expect(roleActions(importedTemplate, role)).toEqual(
      [...called, 'elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'].sort(),
    );
  });
});

const TRANSCRIBE_ACTIONS =
  'transcribe:StartStreamTranscription,transcribe:StartStreamTranscriptionWebSocket';

describe('AudioHookServerStack: permissions', () => {
  it('allows the task role exactly the AWS calls in the server source, each on its resource', () => {
    const role = imported.getLogicalId(
      imported.server.taskDefinition.taskRole.node.defaultChild as CfnElement,
    );
    const called = awsActionsCalledIn(sourceFiles(join(__dirname, '../src'), ['infra']));
    const efs = ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'];
    expect(roleActions(importedTemplate, role)).toEqual([...called, ...efs].sort());
    const resources = Object.fromEntries(
      roleStatements(importedTemplate, role).map((s) => [[s.Action].flat().join(','), s.Resource]),
    );
    // Only Transcribe streaming, which has no IAM resource type, is granted on "*".
    const { [TRANSCRIBE_ACTIONS]: transcribe, ...scoped } = resources;
    expect(transcribe).toBe('*');
    expect(JSON.stringify(scoped)).not.toContain('"*"');
    template.resourcePropertiesCountIs(
      'AWS::IAM::Role',
      { ManagedPolicyArns: Match.anyValue() },
      0,
    );
  });

  it('grants Amazon Transcribe streaming only when TRANSCRIPTION_ENGINE is transcribe (default: simulator)', () => {
    const role = stack.getLogicalId(
      stack.server.taskDefinition.taskRole.node.defaultChild as CfnElement,
    );
    const called = awsActionsCalledIn(sourceFiles(join(__dirname, '../src'), ['infra']));
    expect(called).toEqual(expect.arrayContaining(TRANSCRIBE_ACTIONS.split(',')));
    expect(roleActions(template, role)).toEqual(called.filter((a) => !a.startsWith('transcribe:')));
    expect(JSON.stringify(roleStatements(template, role))).not.toContain('"*"');
  });
});

describe('AudioHookServerStack: scaling', () => {
  it('tracks ActiveSessions per task (EMF, Average) with CPU as a backstop', () => {
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 10,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 1000,
        CustomizedMetricSpecification: {
          Namespace: 'AudioHook',
          MetricName: 'ActiveSessions',
          Dimensions: [{ Name: 'Service', Value: 'audiohook-server' }],
          Statistic: 'Average',
        },
      }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 70,
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      }),
    });
  });
});

describe('AudioHookServerStack: checks', () => {
  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(nagFindings(stack)).toEqual([]);
    expect(nagFindings(imported)).toEqual([]);
  });

  it('is valid CloudFormation by the CDK template validation (errors fail synthesis)', () => {
    const report = { pluginReports: validationReports(app.synth().directory) };
    expect(report.pluginReports).toEqual([]);
  });

  it('tags every resource with the Owner from TAG_OWNER', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      Tags: Match.arrayWith([{ Key: 'Owner', Value: 'team-voice' }]),
    });
  });
});

function containerDefinition(t: Template): Record<string, unknown> {
  const definitions = Object.values(t.findResources('AWS::ECS::TaskDefinition'));
  const [container] = (definitions[0] as { Properties: { ContainerDefinitions: unknown[] } })
    .Properties.ContainerDefinitions as Record<string, unknown>[];
  return container ?? {};
}

function environment(container: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    (container['Environment'] as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
  );
}

function attributes(t: Template, type: string, key: string): Record<string, string> {
  const [resource] = Object.values(t.findResources(type)) as {
    Properties: Record<string, { Key: string; Value: string }[]>;
  }[];
  return Object.fromEntries((resource?.Properties[key] ?? []).map((a) => [a.Key, a.Value]));
}

function loadBalancerAttributes(t: Template): Record<string, string> {
  return attributes(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'LoadBalancerAttributes');
}

function targetGroupAttributes(t: Template): Record<string, string> {
  return attributes(t, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'TargetGroupAttributes');
}

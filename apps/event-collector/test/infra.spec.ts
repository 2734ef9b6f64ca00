// The event collector's stack, synthesised once for the file (synthesis takes seconds): what
// issues 13 and 14 ask of it, pinned on the template, plus cdk-nag and the template validation.

import { join } from 'node:path';
import { type App, type CfnElement, aws_ecs as ecs } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  awsActionsCalledIn,
  createInfraApp,
  InfraError,
  nagFindings,
  roleActions,
  sourceFiles,
  validationReports,
} from '@org/infra';
import { loadConfig } from '../src/config';
import { CollectorError } from '../src/lib/errors';
import { DATA_DIR, EventCollectorStack, SHARED_FILE_SETTINGS } from '../src/infra/collector-stack';
import { readCollectorParameters } from '../src/infra/parameters';

const env = { account: '111122223333', region: 'eu-west-1' };
// The real Dockerfile and .dockerignore: the asset keeps only what .dockerignore lets in.
const image = () => ecs.ContainerImage.fromAsset(join(__dirname, '..'));

let app: App;
let stack: EventCollectorStack;
let elastic: EventCollectorStack;
let template: Template;
let elasticTemplate: Template;

beforeAll(() => {
  app = createInfraApp({ nag: false });
  stack = new EventCollectorStack(app, 'Collector', {
    env,
    params: readCollectorParameters({ GENESYS_ENV: 'mypurecloud.ie', TAG_OWNER: 'team-voice' }),
    image: image(),
  });
  elastic = new EventCollectorStack(app, 'CollectorElastic', {
    env,
    params: readCollectorParameters({
      ELASTIC_URL: 'https://search.example.com',
      GENESYS_SECRET_NAME:
        'arn:aws:secretsmanager:eu-west-1:111122223333:secret:genesys/prod-AbCdEf',
      TASKS: '1',
      ALARM_EMAIL: 'oncall@example.com',
      APP_SETTINGS: '{"ELASTIC_INDEX":"audiohook-prod","HTTP_PORT":"9999"}',
    }),
    image: image(),
  });
  template = Template.fromStack(stack);
  elasticTemplate = Template.fromStack(elastic);
}, 180_000);

describe('EventCollectorStack: the service', () => {
  it('runs two tasks by default (one collects, one stands by on the lease) with no inbound access', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 2,
      LaunchType: 'FARGATE',
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }),
      },
    });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    const [group] = Object.values(
      template.findResources('AWS::EC2::SecurityGroup', {
        Properties: { GroupDescription: 'event-collector tasks' },
      }),
    ) as { Properties: Record<string, unknown> }[];
    expect(group?.Properties['SecurityGroupIngress']).toBeUndefined();
  });

  it('takes the Genesys credentials from Secrets Manager, never from plain variables', () => {
    const c = container(template);
    const secrets = (c['Secrets'] as { Name: string; ValueFrom: unknown }[]).map((s) => s.Name);
    expect(secrets).toEqual(['GENESYS_CLIENT_ID', 'GENESYS_CLIENT_SECRET']);
    expect(JSON.stringify(c['Secrets'])).toContain(
      ':secret:event-collector/genesys:GENESYS_CLIENT_ID::',
    );
    expect(Object.keys(environment(c))).not.toContain('GENESYS_CLIENT_SECRET');
  });

  it('writes the JSONL to EFS through the access point, with the lease table and region set', () => {
    const c = container(template);
    expect(environment(c)).toMatchObject({
      OUTPUT_FILE: '/data/audiohook_events.jsonl',
      GENESYS_ENV: 'mypurecloud.ie',
      HTTP_PORT: '8077',
      LEASE_TABLE: { Ref: expect.stringMatching(/^Lease/) },
      AWS_REGION: 'eu-west-1',
    });
    expect(c).toMatchObject({
      ReadonlyRootFilesystem: true,
      MountPoints: [
        { ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'scratch0' },
        { ContainerPath: '/data', ReadOnly: false, SourceVolume: 'efs-storage' },
      ],
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: Match.arrayWith([
        {
          Name: 'efs-storage',
          EFSVolumeConfiguration: {
            FilesystemId: { Ref: Match.stringLikeRegexp('^StorageFiles') },
            TransitEncryption: 'ENABLED',
            AuthorizationConfig: {
              AccessPointId: { Ref: Match.stringLikeRegexp('^StorageFilesAccess') },
              IAM: 'ENABLED',
            },
          },
        },
      ]),
    });
  });

  it('sends an optional Elasticsearch/OpenSearch endpoint, its credentials from the same secret (named by full ARN)', () => {
    const c = container(elasticTemplate);
    expect(environment(c)).toMatchObject({
      ELASTIC_URL: 'https://search.example.com',
      ELASTIC_INDEX: 'audiohook-prod',
      HTTP_PORT: '8077',
    });
    expect((c['Secrets'] as { Name: string }[]).map((s) => s.Name)).toEqual([
      'GENESYS_CLIENT_ID',
      'GENESYS_CLIENT_SECRET',
      'ELASTIC_AUTH',
    ]);
    expect(JSON.stringify(c['Secrets'])).toContain(
      'arn:aws:secretsmanager:eu-west-1:111122223333:secret:genesys/prod-AbCdEf:ELASTIC_AUTH::',
    );
    expect(environment(container(template))['ELASTIC_URL']).toBeUndefined();
  });

  it("stops no sooner than the collector's own shutdown bound, and logs to CloudWatch", () => {
    const config = loadConfig({ GENESYS_CLIENT_ID: 'id', GENESYS_CLIENT_SECRET: 'secret' });
    const deadline = config.shutdownTimeoutMs / 1000 + 5;
    expect(stack.shutdownDeadline.toSeconds()).toBe(deadline);
    const c = container(template);
    expect(c['StopTimeout']).toBeGreaterThan(deadline);
    expect(c['StopTimeout']).toBeLessThanOrEqual(120);
    expect(c['LogConfiguration']).toMatchObject({
      LogDriver: 'awslogs',
      Options: { 'awslogs-group': { Ref: expect.stringMatching(/^CollectorLogs/) } },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('checks the container on /health, where a standby that can read the lease counts as healthy', () => {
    expect(JSON.stringify(container(template)['HealthCheck'])).toContain(
      "fetch('http://127.0.0.1:8077/health')",
    );
  });

  it('refuses settings the collector itself would refuse, with its configuration error', () => {
    expect(
      () =>
        new EventCollectorStack(createInfraApp({ nag: false }), 'BadRegion', {
          env,
          params: readCollectorParameters({ GENESYS_ENV: 'moon-1' }),
          image: image(),
        }),
    ).toThrow(CollectorError);
  });

  it('refuses credentials inside ELASTIC_URL, which would sit in the template in clear, without echoing them', () => {
    const build = (): unknown =>
      new EventCollectorStack(createInfraApp({ nag: false }), 'UrlCredentials', {
        env,
        params: readCollectorParameters({
          ELASTIC_URL: 'https://elastic:hunter2@search.example.com',
        }),
        image: image(),
      });
    expect(build).toThrow(CollectorError);
    expect(build).toThrow(/ELASTIC_URL contains credentials .* ELASTIC_AUTH/);
    expect(build).not.toThrow(/hunter2/);
  });

  it('refuses an ELASTIC_URL with a query string or fragment, from the parameter or APP_SETTINGS, without echoing it', () => {
    const build = (params: Record<string, string>) => (): unknown =>
      new EventCollectorStack(createInfraApp({ nag: false }), 'UrlQuery', {
        env,
        params: readCollectorParameters(params),
        image: image(),
      });
    for (const params of [
      { ELASTIC_URL: 'https://search.example.com/?api_key=c2VjcmV0a2V5' },
      { ELASTIC_URL: 'https://search.example.com#c2VjcmV0a2V5' },
      { APP_SETTINGS: '{"ELASTIC_URL":"https://search.example.com/?api_key=c2VjcmV0a2V5"}' },
    ]) {
      expect(build(params)).toThrow(CollectorError);
      expect(build(params)).toThrow(/ELASTIC_URL must not contain a query string or fragment/);
      expect(build(params)).not.toThrow(/c2VjcmV0a2V5/);
    }
  });

  it('treats an ELASTIC_URL given in APP_SETTINGS like the parameter: credentials in it refused, ELASTIC_AUTH from the secret', () => {
    const withCredentials = () =>
      readCollectorParameters({
        APP_SETTINGS: '{"ELASTIC_URL":"https://elastic:hunter2@search.example.com"}',
      });
    expect(withCredentials).toThrow(
      /ELASTIC_URL in APP_SETTINGS is a URL with credentials .*ELASTIC_AUTH/,
    );
    expect(withCredentials).not.toThrow(/hunter2/);
    const viaSettings = new EventCollectorStack(createInfraApp({ nag: false }), 'SettingsUrl', {
      env,
      params: readCollectorParameters({
        APP_SETTINGS: '{"ELASTIC_URL":"https://search.example.com"}',
      }),
      image: image(),
    });
    const c = container(Template.fromStack(viaSettings));
    expect(environment(c)['ELASTIC_URL']).toBe('https://search.example.com');
    expect((c['Secrets'] as { Name: string }[]).map((s) => s.Name)).toContain('ELASTIC_AUTH');
  });
});

describe('EventCollectorStack: APP_SETTINGS', () => {
  it('refuses the secret settings (plain-text variables) by name, pointing to the Genesys secret, never echoing them', () => {
    const read = () =>
      readCollectorParameters({
        APP_SETTINGS: JSON.stringify({
          GENESYS_CLIENT_SECRET: 'hunter2',
          ELASTIC_AUTH: 'elastic:hunter3',
          GENESYS_CLIENT_ID: 'client',
          TOPICS: 'AUDIOHOOK-0001',
        }),
      });
    for (const name of ['GENESYS_CLIENT_SECRET', 'ELASTIC_AUTH', 'GENESYS_CLIENT_ID']) {
      expect(read).toThrow(
        new RegExp(`${name} cannot be in APP_SETTINGS: .*secret GENESYS_SECRET_NAME names`),
      );
    }
    expect(read).not.toThrow(/hunter|TOPICS/);
  });

  it('refuses credentials in any URL setting, such as the Genesys base URLs', () => {
    expect(() =>
      readCollectorParameters({
        APP_SETTINGS: '{"GENESYS_API_BASE_URL":"https://u:hunter2@api.example.com"}',
      }),
    ).toThrow(/GENESYS_API_BASE_URL in APP_SETTINGS is a URL with credentials/);
  });

  it('refuses at synth a shared-state file outside the EFS mount path, naming the setting and the mount path', () => {
    const build = (settings: Record<string, string>) => () =>
      new EventCollectorStack(createInfraApp({ nag: false }), 'Misplaced', {
        env,
        params: readCollectorParameters({ APP_SETTINGS: JSON.stringify(settings) }),
        image: image(),
      });
    expect(DATA_DIR).toBe('/data');
    const outside = {
      OUTPUT_FILE: '/tmp/audiohook_events.jsonl',
      CHECKPOINT_FILE: '/data/../var/checkpoint.json',
      ELASTIC_SPOOL_FILE: './elastic-spool.jsonl',
      ELASTIC_DEAD_LETTER_FILE: '/database/dead.jsonl',
    };
    for (const name of SHARED_FILE_SETTINGS) {
      expect(build({ [name]: outside[name] })).toThrow(InfraError);
      expect(build({ [name]: outside[name] })).toThrow(
        new RegExp(
          `APP_SETTINGS: ${name} cannot be in APP_SETTINGS: a path outside /data, the EFS mount path`,
        ),
      );
    }
    expect(build(outside)).not.toThrow(/tmp|var|database|elastic-spool/); // names, never values
    // Under the mount path (the defaults' folder), they are accepted.
    expect(
      build({
        CHECKPOINT_FILE: '/data/state/checkpoint.json',
        ELASTIC_SPOOL_FILE: '/data/elastic-spool.jsonl',
        ELASTIC_DEAD_LETTER_FILE: '/data/./dead.jsonl',
        ELASTIC_INDEX: 'audiohook-prod',
      }),
    ).not.toThrow();
  });
});

describe('EventCollectorStack: alarms', () => {
  const alarmsOf = (t: Template) =>
    Object.values(t.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: Record<string, unknown>;
    }[];

  it('alarms when fewer tasks run than desired, notifying the encrypted topic', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    const alarm = alarmsOf(template).find((a) =>
      String(a.Properties['AlarmName']).endsWith('-RunningTasks'),
    );
    expect(alarm?.Properties).toMatchObject({
      AlarmName: 'Collector-Collector-RunningTasks',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 5,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
      OKActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
    });
    expect(JSON.stringify(alarm?.Properties['Metrics'])).toContain('RunningTaskCount');
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasOutput('alarmTopicArn', { Value: { Ref: Match.stringLikeRegexp('^AlarmsTopic') } });
  });

  it('alarms when no task reports Leader 1 (nobody holds the lease and collects) for 3 minutes, or none publishes', () => {
    const alarm = alarmsOf(template).find((a) =>
      String(a.Properties['AlarmName']).endsWith('-NoLeader'),
    );
    expect(alarm?.Properties).toMatchObject({
      AlarmName: 'Collector-NoLeader',
      Namespace: 'EventCollector',
      MetricName: 'Leader',
      Dimensions: [{ Name: 'Service', Value: 'event-collector' }],
      Statistic: 'Maximum',
      Period: 60,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 3,
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
      OKActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
    });
    expect(String(alarm?.Properties['AlarmDescription'])).toContain('not being collected');
  });

  it('alarms when no task reports Receiving 1 for 5 minutes (a lease holder whose Genesys channel stays down), leaving missing data to NoLeader', () => {
    const alarm = alarmsOf(template).find((a) =>
      String(a.Properties['AlarmName']).endsWith('-NotReceiving'),
    );
    expect(alarm?.Properties).toMatchObject({
      AlarmName: 'Collector-NotReceiving',
      Namespace: 'EventCollector',
      MetricName: 'Receiving',
      Dimensions: [{ Name: 'Service', Value: 'event-collector' }],
      Statistic: 'Maximum',
      Period: 60,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 5,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
      OKActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
    });
    expect(String(alarm?.Properties['AlarmDescription'])).toContain('not being collected');
  });

  it('sets EMF_NAMESPACE from METRIC_NAMESPACE, the namespace NoLeader watches, and refuses it in APP_SETTINGS', () => {
    const [task] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as {
      Properties: { ContainerDefinitions: { Environment: { Name: string; Value: unknown }[] }[] };
    }[];
    const environment = task?.Properties.ContainerDefinitions[0]?.Environment ?? [];
    expect(environment).toContainEqual({ Name: 'EMF_NAMESPACE', Value: 'EventCollector' });
    expect(() =>
      readCollectorParameters({ APP_SETTINGS: JSON.stringify({ EMF_NAMESPACE: 'Other' }) }),
    ).toThrow(/METRIC_NAMESPACE/);
  });

  it('subscribes ALARM_EMAIL to the topic only when it is set', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    elasticTemplate.resourceCountIs('AWS::SNS::Subscription', 1);
    elasticTemplate.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });
});

describe('EventCollectorStack: storage and state', () => {
  it('encrypts the file system, backs it up, and lets in only IAM clients over TLS', () => {
    template.hasResourceProperties('AWS::EFS::FileSystem', {
      Encrypted: true,
      BackupPolicy: { Status: 'ENABLED' },
      FileSystemPolicy: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      },
    });
    template.hasResource('AWS::EFS::FileSystem', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::EFS::AccessPoint', {
      PosixUser: { Uid: '1000', Gid: '1000' },
      RootDirectory: {
        Path: '/event-collector',
        CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '750' },
      },
    });
  });

  it('keeps the lease in a table with the contract key schema and TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  it("allows the task role exactly the AWS calls in the collector's source, plus mounting its EFS access point", () => {
    const role = stack.getLogicalId(
      stack.collector.taskDefinition.taskRole.node.defaultChild as CfnElement,
    );
    const called = awsActionsCalledIn(sourceFiles(join(__dirname, '../src'), ['infra']));
    expect(roleActions(template, role)).toEqual(
      [...called, 'elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'].sort(),
    );
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
            Condition: {
              StringEquals: {
                'elasticfilesystem:AccessPointArn': Match.anyValue(),
              },
            },
          }),
        ]),
      },
    });
  });
});

describe('EventCollectorStack: checks', () => {
  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(nagFindings(stack)).toEqual([]);
    expect(nagFindings(elastic)).toEqual([]);
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

function container(t: Template): Record<string, unknown> {
  const [definition] = Object.values(t.findResources('AWS::ECS::TaskDefinition')) as {
    Properties: { ContainerDefinitions: Record<string, unknown>[] };
  }[];
  return definition?.Properties.ContainerDefinitions[0] ?? {};
}

function environment(c: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    (c['Environment'] as { Name: string; Value: unknown }[]).map((e) => [e.Name, e.Value]),
  );
}

// The BYOVA gateway's stack, synthesised once for the file (synthesis takes seconds): what
// issue 13 asks of it, pinned on the template, plus cdk-nag and the CDK's template validation.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  App,
  type CfnElement,
  Stack,
  aws_dynamodb as dynamodb,
  aws_ecs as ecs,
  aws_iam as iam,
} from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  awsActionsCalledIn,
  createInfraApp,
  InfraErrorCode,
  nagFindings,
  roleActions,
  sourceFiles,
  validationReports,
} from '@org/infra';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../src/config';
import {
  DEFAULT_DEPLOY_CONFIG,
  deployConfig,
  RECORDINGS_NOT_DEPLOYABLE,
} from '../src/infra/deploy-config';
import { grantGatewayCalls } from '../src/infra/gateway-permissions';
import { ByovaGatewayStack } from '../src/infra/gateway-stack';
import { readByovaParameters } from '../src/infra/parameters';

const env = { account: '111122223333', region: 'eu-west-1' };
const domain = 'byova.example.com';
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures/deploy', name), 'utf8');
// The real Dockerfile and .dockerignore: the asset keeps only what .dockerignore lets in.
const image = () => ecs.ContainerImage.fromAsset(join(__dirname, '..'));

let app: App;
let plain: ByovaGatewayStack;
let full: ByovaGatewayStack;
let template: Template;
let fullTemplate: Template;

beforeAll(() => {
  app = createInfraApp({ nag: false });
  plain = new ByovaGatewayStack(app, 'Byova', {
    env,
    params: readByovaParameters({
      APPLICATION_DOMAIN: domain,
      HOSTED_ZONE_NAME: 'example.com',
      HOSTED_ZONE_ID: 'Z0123456789EXAMPLE',
    }),
    deploy: deployConfig(readFileSync(DEFAULT_DEPLOY_CONFIG, 'utf8'), domain),
    image: image(),
  });
  full = new ByovaGatewayStack(app, 'ByovaFull', {
    env,
    params: readByovaParameters({
      APPLICATION_DOMAIN: domain,
      CERTIFICATE_ARN: 'arn:aws:acm:eu-west-1:111122223333:certificate/abcd-1234',
      BYOVA_SECRET_NAME: 'byova/secrets',
    }),
    deploy: deployConfig(fixture('lex-dashboard.yaml'), domain),
    image: image(),
  });
  template = Template.fromStack(plain);
  fullTemplate = Template.fromStack(full);
}, 180_000);

describe('ByovaGatewayStack: gRPC over TLS', () => {
  it('terminates TLS 1.2+ on 443 with the domain certificate (port 80 closed)', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: { Ref: Match.stringLikeRegexp('^DomainCertificate') } }],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'routing.http2.enabled', Value: 'true' }]),
    });
  });

  it('forwards only the VoiceVirtualAgent service to a gRPC target group, not the unauthenticated health service', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      ProtocolVersion: 'GRPC',
      Protocol: 'HTTP',
      Port: 50051,
      TargetType: 'ip',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: Match.arrayWith([
        { Field: 'host-header', HostHeaderConfig: { Values: [domain] } },
        {
          Field: 'path-pattern',
          PathPatternConfig: {
            Values: ['/com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent/*'],
          },
        },
      ]),
    });
  });

  it('health-checks the targets with the gRPC health service, expecting status OK', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      ProtocolVersion: 'GRPC',
      HealthCheckPath: '/grpc.health.v1.Health/Check',
      Matcher: { GrpcCode: '0' },
    });
  });

  it('checks container liveness with /health, not the ping that a connector still being retried makes 503', () => {
    for (const t of [template, fullTemplate]) {
      const check = container(t)['HealthCheck'] as { Command: string[] } | undefined;
      if (check === undefined) continue;
      const command = check.Command.join(' ');
      expect(command).toContain('/health');
      expect(command).not.toContain('/voiceva/v1/ping');
    }
    expect([template, fullTemplate].some((t) => container(t)['HealthCheck'] !== undefined)).toBe(
      true,
    );
  });

  it("lets a leaving task's streams outlast the gateway's shutdown grace", () => {
    const grace = plain.shutdownGrace.toSeconds();
    expect(grace).toBe(10);
    const [group] = Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'),
    );
    const attributes = Object.fromEntries(
      (
        group as { Properties: { TargetGroupAttributes: { Key: string; Value: string }[] } }
      ).Properties.TargetGroupAttributes.map((a) => [a.Key, a.Value]),
    );
    expect(Number(attributes['deregistration_delay.timeout_seconds'])).toBeGreaterThan(grace);
    expect(container(template)['StopTimeout']).toBeGreaterThan(grace);
    expect(container(fullTemplate)['StopTimeout']).toBeGreaterThan(full.shutdownGrace.toSeconds());
  });
});

describe('ByovaGatewayStack: configuration and security', () => {
  it('injects the YAML from SSM Parameter Store, with JWT validation on and the data source URL of the domain', () => {
    const parameter = Object.values(template.findResources('AWS::SSM::Parameter'))[0] as {
      Properties: { Value: string; Type: string };
    };
    expect(parameter.Properties.Type).toBe('String');
    const deployed = parseYaml(parameter.Properties.Value) as {
      jwt_validation: Record<string, unknown>;
    };
    expect(deployed.jwt_validation).toMatchObject({
      enabled: true,
      enforce_validation: true,
      datasource_url: `https://${domain}`,
    });
    expect(container(template)['Secrets']).toEqual([
      { Name: 'BYOVA_CONFIG_YAML', ValueFrom: expect.anything() },
    ]);
    expect(JSON.stringify(container(template)['Secrets'])).toMatch(/parameter.*Config/);
    template.hasOutput('dataSourceUrl', { Value: `https://${domain}` });
  });

  it('replaces the tasks when the configuration changes (its hash is a container label)', () => {
    const label = (t: Template) =>
      (container(t)['DockerLabels'] as Record<string, string>)['org.byova.config-sha256'];
    expect(label(template)).toMatch(/^[0-9a-f]{64}$/);
    expect(label(fullTemplate)).not.toBe(label(template));
  });

  it('keeps the dashboard on loopback and unrouted while its login is not configured', () => {
    expect(environment(container(template))['BYOVA_MONITORING_HOST']).toBe('127.0.0.1');
    expect(environment(container(template))['BYOVA_GRPC_HOST']).toBe('0.0.0.0');
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 1);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 1);
  });

  it('routes the dashboard once its login is configured, with the login secrets from Secrets Manager', () => {
    expect(environment(container(fullTemplate))['BYOVA_MONITORING_HOST']).toBe('0.0.0.0');
    fullTemplate.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8081,
      HealthCheckPath: '/health',
    });
    fullTemplate.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 20,
      Conditions: Match.arrayWith([
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } },
      ]),
    });
    const secrets = (
      container(fullTemplate)['Secrets'] as { Name: string; ValueFrom: unknown }[]
    ).map((s) => [s.Name, JSON.stringify(s.ValueFrom)]);
    expect(secrets.map(([name]) => name).sort()).toEqual([
      'BYOVA_CONFIG_YAML',
      'BYOVA_DASHBOARD_TOKEN',
      'BYOVA_SESSION_SECRET',
    ]);
    for (const [name, from] of secrets) {
      if (name !== 'BYOVA_CONFIG_YAML') expect(from).toContain(`:secret:byova/secrets:${name}::`);
    }
    fullTemplate.hasOutput('dashboardUrl', { Value: `https://${domain}/` });
  });

  it('refuses configurations that would expose the gateway without authentication', () => {
    expect(() => deployConfig(fixture('jwt-off.yaml'), domain)).toThrow(
      expect.objectContaining({
        code: InfraErrorCode.Parameters,
        message: expect.stringMatching(/jwt_validation\.enabled/),
      }),
    );
    expect(() => deployConfig(fixture('health-needs-token.yaml'), domain)).toThrow(/exempt_health/);
    expect(() => deployConfig('connectors: {}\njwt_validation: {enabled: true}\n', domain)).toThrow(
      ConfigError,
    );
  });

  it('refuses a configuration that reads secrets when BYOVA_SECRET_NAME names none', () => {
    expect(
      () =>
        new ByovaGatewayStack(createInfraApp({ nag: false }), 'NoSecret', {
          env,
          params: readByovaParameters({ APPLICATION_DOMAIN: domain }),
          deploy: deployConfig(fixture('lex-dashboard.yaml'), domain),
          image: image(),
        }),
    ).toThrow(/BYOVA_SECRET_NAME: .*BYOVA_DASHBOARD_TOKEN, BYOVA_SESSION_SECRET/);
  });

  it('writes nothing outside /tmp (read-only root, no recording volume)', () => {
    for (const t of [template, fullTemplate]) {
      expect(container(t)).toMatchObject({
        ReadonlyRootFilesystem: true,
        MountPoints: [{ ContainerPath: '/tmp', ReadOnly: false }],
      });
    }
  });
});

describe('ByovaGatewayStack: recordings (a local/dev feature, refused at synth)', () => {
  const refusal = (name: string) => {
    try {
      deployConfig(fixture(name), domain);
    } catch (error) {
      return error as { code?: string; message: string };
    }
    throw new Error(`${name} was accepted`);
  };

  it.each([
    ['recording-elsewhere.yaml', '/app/logs/audio'],
    ['recording-on-volume.yaml', '/var/lib/byova/audio'],
  ])(
    'refuses the gateway-wide audio_recording (%s), naming the setting and its folder',
    (name, dir) => {
      const error = refusal(name);
      expect(error.code).toBe(InfraErrorCode.Parameters);
      expect(error.message).toContain(
        `audio_recording.enabled (gateway-wide recording): writes under ${dir}`,
      );
      expect(error.message).toContain(RECORDINGS_NOT_DEPLOYABLE);
    },
  );

  it("refuses the Lex connector's audio_logging of the Python sample config, naming the connector", () => {
    const error = refusal('lex-audio-logging.yaml');
    expect(error.code).toBe(InfraErrorCode.Parameters);
    expect(error.message).toContain(
      'connectors.aws_lex_connector.config.audio_logging.enabled (Lex connector "aws_lex_connector"): writes under /app/config/logs/audio_recordings',
    );
    expect(error.message).toContain(RECORDINGS_NOT_DEPLOYABLE);
  });

  it("refuses the local audio connector's record_caller_audio, even on the image's volume", () => {
    const error = refusal('local-record-caller.yaml');
    expect(error.code).toBe(InfraErrorCode.Parameters);
    expect(error.message).toContain(
      'connectors.local_audio_connector.config.record_caller_audio (local audio connector "local_audio_connector"): writes under /var/lib/byova/audio',
    );
  });

  it('refuses the recording keys on a plugin connector too, and lists every refused setting at once', () => {
    const yaml = [
      'connectors:',
      '  mine:',
      '    module: my_connectors.bot',
      '    class: MyBot',
      '    config: {audio_logging: {enabled: true}, record_caller_audio: true}',
      'jwt_validation: {enabled: true}',
      'audio_recording: {enabled: true}',
    ].join('\n');
    expect(() => deployConfig(yaml, domain)).toThrow(
      /^BYOVA_CONFIG_FILE: audio_recording\.enabled \(gateway-wide recording\).*; connectors\.mine\.config\.audio_logging\.enabled \(plugin connector "mine"\); connectors\.mine\.config\.record_caller_audio \(plugin connector "mine"\)\. recordings are a local\/dev feature/,
    );
  });

  it('synthesises a configuration whose recording settings are all off, with no volume but /tmp', () => {
    const stack = new ByovaGatewayStack(createInfraApp({ nag: false }), 'RecordingsOff', {
      env,
      params: readByovaParameters({ APPLICATION_DOMAIN: domain }),
      deploy: deployConfig(fixture('recordings-off.yaml'), domain),
      image: image(),
    });
    const t = Template.fromStack(stack);
    expect(container(t)).toMatchObject({
      ReadonlyRootFilesystem: true,
      MountPoints: [{ ContainerPath: '/tmp', ReadOnly: false }],
    });
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: [{ Name: 'scratch0' }],
    });
    t.resourceCountIs('AWS::EFS::FileSystem', 0);
  });

  it('deploys the shipped gateway.aws.yaml, which records nothing', () => {
    const deployed = parseYaml(
      deployConfig(readFileSync(DEFAULT_DEPLOY_CONFIG, 'utf8'), domain).yaml,
    );
    expect(deployed).toMatchObject({ audio_recording: { enabled: false } });
  });
});

describe('ByovaGatewayStack: state and permissions', () => {
  it('shares conversations through a table with the contract key schema and TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
    expect(environment(container(template))['CONVERSATION_TABLE']).toEqual({
      Ref: expect.stringMatching(/^Conversations/),
    });
  });

  it("allows the task role exactly the AWS calls in the gateway's source that its configuration uses", () => {
    const called = awsActionsCalledIn(sourceFiles(join(__dirname, '../src'), ['infra']));
    const taskRole = (stack: ByovaGatewayStack) =>
      stack.getLogicalId(stack.gateway.taskDefinition.taskRole.node.defaultChild as CfnElement);
    // Lex discovery configured: every call the source makes.
    expect(roleActions(fullTemplate, taskRole(full))).toEqual(called);
    // The local audio connector only: everything but Lex.
    expect(roleActions(template, taskRole(plain))).toEqual(
      called.filter((action) => !action.startsWith('lex:')),
    );
  });

  it('limits a fixed Lex bot to RecognizeUtterance on its alias', () => {
    const bots = deployConfig(fixture('fixed-bot.yaml'), domain).lexBots;
    expect(bots).toEqual([{ region: 'us-west-2', botId: 'ABCDEFGHIJ', botAliasId: 'TSTALIASID' }]);
    const scratch = new Stack(new App(), 'Scratch', { env });
    const role = new iam.Role(scratch, 'Role', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
    });
    const conversationTable = dynamodb.Table.fromTableName(scratch, 'Table', 'conversations');
    const policy = grantGatewayCalls({ role, conversationTable, lexBots: bots });
    expect(scratch.resolve(policy.document.toJSON())).toEqual({
      Version: '2012-10-17',
      Statement: [
        expect.objectContaining({
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
        }),
        {
          Action: 'lex:RecognizeUtterance',
          Effect: 'Allow',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':lex:us-west-2:111122223333:bot-alias/ABCDEFGHIJ/TSTALIASID',
              ],
            ],
          },
        },
      ],
    });
  });
});

describe('ByovaGatewayStack: checks', () => {
  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(nagFindings(plain)).toEqual([]);
    expect(nagFindings(full)).toEqual([]);
  });

  it('is valid CloudFormation by the CDK template validation (errors fail synthesis)', () => {
    const report = { pluginReports: validationReports(app.synth().directory) };
    expect(report.pluginReports).toEqual([]);
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

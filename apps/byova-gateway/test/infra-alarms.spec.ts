// The BYOVA gateway stack's alarms, what the load balancer forwards, and the secrets a gateway
// YAML may not carry into the template; one synthesis for the file.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { aws_ecs as ecs } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { createInfraApp, InfraErrorCode } from '@org/infra';
import { DEFAULT_DEPLOY_CONFIG, deployConfig, inlineSecretKeys } from '../src/infra/deploy-config';
import { GRPC_HEALTH_PATH, GRPC_PATHS } from '../src/infra/gateway-ingress';
import { ByovaGatewayStack } from '../src/infra/gateway-stack';
import { readByovaParameters } from '../src/infra/parameters';

const env = { account: '111122223333', region: 'eu-west-1' };
const domain = 'byova.example.com';
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures/deploy', name), 'utf8');
const image = () => ecs.ContainerImage.fromAsset(join(__dirname, '..'));

let template: Template;
let mailed: Template;

beforeAll(() => {
  const app = createInfraApp({ nag: false });
  const deploy = deployConfig(readFileSync(DEFAULT_DEPLOY_CONFIG, 'utf8'), domain);
  const stack = new ByovaGatewayStack(app, 'Byova', {
    env,
    params: readByovaParameters({ APPLICATION_DOMAIN: domain }),
    deploy,
    image: image(),
  });
  const withEmail = new ByovaGatewayStack(app, 'Mailed', {
    env,
    params: readByovaParameters({ APPLICATION_DOMAIN: domain, ALARM_EMAIL: 'oncall@example.com' }),
    deploy,
    image: image(),
  });
  template = Template.fromStack(stack);
  mailed = Template.fromStack(withEmail);
}, 180_000);

function alarm(t: Template, name: string): Record<string, unknown> {
  const found = Object.values(
    t.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }),
  ) as { Properties: Record<string, unknown> }[];
  expect(found).toHaveLength(1);
  return found[0]?.Properties ?? {};
}

describe('ByovaGatewayStack: alarms', () => {
  it('has four alarms, each notifying the encrypted alarm topic on ALARM and OK', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    for (const a of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(a['Properties']).toMatchObject({
        AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
        OKActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
      });
    }
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasOutput('alarmTopicArn', { Value: { Ref: Match.stringLikeRegexp('^AlarmsTopic') } });
  });

  it('alarms on no healthy gRPC target, on target and load balancer 5XX, and on fewer running tasks than desired', () => {
    const healthy = alarm(template, 'Byova-Grpc-HealthyHosts');
    expect(healthy).toMatchObject({
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HealthyHostCount',
      Statistic: 'Minimum',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    expect(JSON.stringify(healthy['Dimensions'])).toMatch(
      /"Name":"TargetGroup","Value":\{"Fn::GetAtt":\["Grpc[0-9A-F]+","TargetGroupFullName"\]/,
    );
    expect(alarm(template, 'Byova-Grpc-Target5xx')).toMatchObject({
      MetricName: 'HTTPCode_Target_5XX_Count',
      TreatMissingData: 'notBreaching',
    });
    expect(alarm(template, 'Byova-Ingress-Elb5xx')).toMatchObject({
      MetricName: 'HTTPCode_ELB_5XX_Count',
      Statistic: 'Sum',
      Threshold: 5,
      TreatMissingData: 'notBreaching',
    });
    expect(JSON.stringify(alarm(template, 'Byova-Gateway-RunningTasks'))).toContain(
      'ECS/ContainerInsights',
    );
  });

  it("rolls a deployment back when the gRPC targets answer with 5XX, not on the load balancer's own 5XX (no healthy target: a fix must deploy)", () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Alarms: {
          AlarmNames: ['Byova-Grpc-Target5xx'],
          Enable: true,
          Rollback: true,
        },
      }),
    });
  });

  it('subscribes ALARM_EMAIL to the topic only when it is set', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    mailed.resourceCountIs('AWS::SNS::Subscription', 1);
    mailed.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    expect(() => readByovaParameters({ ALARM_EMAIL: 'oncall' })).toThrow(
      /ALARM_EMAIL: expected an email address/,
    );
  });
});

describe('ByovaGatewayStack: what the load balancer forwards', () => {
  it('routes no health service path publicly, while the target health check still uses Health/Check', () => {
    expect(GRPC_PATHS).toEqual(['/com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent/*']);
    const rules = Object.values(
      template.findResources('AWS::ElasticLoadBalancingV2::ListenerRule'),
    );
    const paths = JSON.stringify(rules);
    expect(paths).not.toContain('grpc.health.v1');
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      ProtocolVersion: 'GRPC',
      HealthCheckPath: GRPC_HEALTH_PATH,
      Matcher: { GrpcCode: '0' },
    });
  });
});

describe('deployConfig: secrets written in the YAML', () => {
  it("refuses AWS keys in a Lex connector's config, naming each key and never its value", () => {
    let error: unknown;
    try {
      deployConfig(fixture('lex-inline-keys.yaml'), domain);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: InfraErrorCode.Parameters });
    const message = (error as Error).message;
    expect(message).toContain('connectors.lex.config.aws_access_key_id');
    expect(message).toContain('connectors.lex.config.aws_secret_access_key');
    expect(message).toMatch(/task role.*BYOVA_SECRET_NAME/);
    expect(message).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(message).not.toContain('wJalrXUtnFEMI');
  });

  it('refuses any key the gateway treats as a secret, and keeps *_env keys, empty values and mappings such as data_source.auth', () => {
    expect(
      inlineSecretKeys({
        authentication: {
          enabled: true,
          mode: 'token',
          token_env: 'BYOVA_DASHBOARD_TOKEN',
          session: { secret_key_env: 'S' },
        },
        data_source: { auth: { type: 'static', access_token_env: 'T', access_token: 'abc' } },
        connectors: { crm: { config: { apiKey: 'k', password: '', api_keys: ['a'], port: 1 } } },
      }),
    ).toEqual([
      'data_source.auth.access_token',
      'connectors.crm.config.apiKey',
      'connectors.crm.config.api_keys',
    ]);
    expect(inlineSecretKeys(undefined)).toEqual([]);
    expect(() => deployConfig(fixture('lex-dashboard.yaml'), domain)).not.toThrow();
  });

  it('keeps quantities whose name holds a secret word (data_source.token_lifetime_minutes), refusing a numeric password', () => {
    expect(
      inlineSecretKeys({
        data_source: { token_lifetime_minutes: 60, renewal_lead_time_minutes: 30 },
        connectors: { crm: { config: { token_ttl_seconds: 5, password: 123456 } } },
      }),
    ).toEqual(['connectors.crm.config.password']);
  });
});

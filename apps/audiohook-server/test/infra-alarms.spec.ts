// The AudioHook server stack's alarms (issue: no CloudWatch alarms in any stack), synthesised
// once for the file: the topic, the ALARM_EMAIL subscription, each alarm's metric and window, and
// the deployment alarms that roll a failing version back.

import { join } from 'node:path';
import { aws_ecs as ecs } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { createInfraApp } from '@org/infra';
import { readAudioHookParameters } from '../src/infra/parameters';
import { AudioHookServerStack } from '../src/infra/server-stack';

const env = { account: '111122223333', region: 'eu-west-1' };
const image = () => ecs.ContainerImage.fromAsset(join(__dirname, '..'));

let template: Template;
let mailed: Template;

beforeAll(() => {
  const app = createInfraApp({ nag: false });
  const stack = new AudioHookServerStack(app, 'AudioHook', {
    env,
    params: readAudioHookParameters({}),
    image: image(),
  });
  const withEmail = new AudioHookServerStack(app, 'Mailed', {
    env,
    params: readAudioHookParameters({
      ALARM_EMAIL: 'oncall@example.com',
      METRIC_NAMESPACE: 'AudioHookProd',
      APP_SETTINGS: '{"MAX_SESSIONS":"2000","EMF_INTERVAL_SECONDS":"120"}',
    }),
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

describe('AudioHookServerStack: alarms', () => {
  it('has five alarms, each notifying the encrypted alarm topic on ALARM and OK', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
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

  it('subscribes ALARM_EMAIL to the topic only when it is set', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    mailed.resourceCountIs('AWS::SNS::Subscription', 1);
    mailed.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    expect(() => readAudioHookParameters({ ALARM_EMAIL: 'not-an-address' })).toThrow(
      /ALARM_EMAIL: expected an email address/,
    );
  });

  it('alarms on no healthy target, on target and load balancer 5XX, and on fewer running tasks than desired', () => {
    expect(alarm(template, 'AudioHook-Sessions-HealthyHosts')).toMatchObject({
      MetricName: 'HealthyHostCount',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    expect(alarm(template, 'AudioHook-Sessions-Target5xx')).toMatchObject({
      MetricName: 'HTTPCode_Target_5XX_Count',
      TreatMissingData: 'notBreaching',
    });
    expect(alarm(template, 'AudioHook-Ingress-Elb5xx')).toMatchObject({
      MetricName: 'HTTPCode_ELB_5XX_Count',
      TreatMissingData: 'notBreaching',
    });
    expect(JSON.stringify(alarm(template, 'AudioHook-Server-RunningTasks'))).toContain(
      'ECS/ContainerInsights',
    );
  });

  it('alarms when the busiest task nears MAX_SESSIONS (EMF ActiveSessions, per EMF interval)', () => {
    expect(alarm(template, 'AudioHook-SessionsNearLimit')).toMatchObject({
      Namespace: 'AudioHook',
      MetricName: 'ActiveSessions',
      Dimensions: [{ Name: 'Service', Value: 'audiohook-server' }],
      Statistic: 'Maximum',
      Period: 60,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 4500,
      EvaluationPeriods: 3,
      TreatMissingData: 'notBreaching',
    });
    expect(alarm(mailed, 'Mailed-SessionsNearLimit')).toMatchObject({
      Namespace: 'AudioHookProd',
      Period: 120,
      Threshold: 1800,
    });
  });

  it("rolls a deployment back when the targets answer with 5XX, not on the load balancer's own 5XX (no healthy target: a fix must deploy)", () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Alarms: {
          AlarmNames: ['AudioHook-Sessions-Target5xx'],
          Enable: true,
          Rollback: true,
        },
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
    });
  });
});

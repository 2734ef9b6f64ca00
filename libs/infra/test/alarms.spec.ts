// OperationalAlarms and ContainerService.rollBackOnAlarms, synthesised once for the file: the
// topic (encrypted, TLS only, CloudWatch may publish), the email subscription only when asked,
// every preset's metric, threshold, window and missing-data treatment, and the deployment alarms.

import { join } from 'node:path';
import {
  type App,
  Duration,
  Lazy,
  Stack,
  aws_cloudwatch as cloudwatch,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_lambda as lambda,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { z } from 'zod';
import {
  accessLogsBucket,
  ALARM_DEFAULTS,
  alarmEmailParam,
  ContainerService,
  createInfraApp,
  HttpsLoadBalancer,
  InfraErrorCode,
  nagFindings,
  OperationalAlarms,
  PublicDomain,
  readStackParameters,
  StandardNetwork,
  validationReports,
} from '../src';

const env = { account: '111122223333', region: 'eu-west-1' };
let app: App;
let stack: Stack;
let quiet: Stack;
let template: Template;
let quietTemplate: Template;
let alarms: OperationalAlarms;
let service: ContainerService;

beforeAll(() => {
  app = createInfraApp({ nag: false });
  stack = new Stack(app, 'Watched', { env });
  const logs = accessLogsBucket(stack, 'AccessLogs');
  const network = new StandardNetwork(stack, 'Network', { flowLogsBucket: logs });
  const ingress = new HttpsLoadBalancer(stack, 'Ingress', {
    vpc: network.vpc,
    domain: new PublicDomain(stack, 'Domain', {
      domainName: 'svc.example.com',
      certificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/0000-1111',
    }),
    accessLogs: logs,
    accessLogsPrefix: 'alb',
    idleTimeout: Duration.seconds(60),
    ingressCidrs: [],
  });
  service = new ContainerService(stack, 'App', {
    cluster: network.cluster,
    name: 'app',
    image: ecs.ContainerImage.fromAsset(join(__dirname, 'fixtures/image')),
    cpu: 256,
    memoryLimitMiB: 512,
    ports: [8080],
    environment: {},
    stopTimeout: Duration.seconds(30),
  });
  const group = new elbv2.ApplicationTargetGroup(stack, 'Targets', {
    vpc: network.vpc,
    targetType: elbv2.TargetType.IP,
    port: 8080,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targets: [service.service],
  });
  ingress.route('Api', 10, ['/api/*'], group);

  alarms = new OperationalAlarms(stack, 'Alarms', { email: 'oncall@example.com' });
  const { target5xx } = alarms.addTargetGroupAlarms('Api', group);
  const { elb5xx } = alarms.addLoadBalancerAlarms('Ingress', ingress.loadBalancer, {
    elb5xx: { threshold: 20, evaluationPeriods: 3 },
  });
  alarms.addServiceAlarms('App', service.service);
  alarms.addFunctionAlarms(
    'Handler',
    lambda.Function.fromFunctionName(stack, 'Handler', 'handler'),
  );
  alarms.addDeadLetterQueueAlarm(
    'Failed',
    sqs.Queue.fromQueueArn(stack, 'Failed', 'arn:aws:sqs:eu-west-1:111122223333:failed'),
  );
  alarms.addCustomMetricAlarm('Busy', {
    namespace: 'App',
    metricName: 'ActiveSessions',
    dimensions: { Service: 'app' },
    statistic: cloudwatch.Stats.MAXIMUM,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    threshold: 900,
    evaluationPeriods: 3,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description: 'A task is near its session limit.',
  });
  service.rollBackOnAlarms([target5xx, elb5xx]);

  quiet = new Stack(app, 'Quiet', { env });
  new OperationalAlarms(quiet, 'Alarms').addDeadLetterQueueAlarm(
    'Failed',
    sqs.Queue.fromQueueArn(quiet, 'Failed', 'arn:aws:sqs:eu-west-1:111122223333:failed'),
  );
  template = Template.fromStack(stack);
  quietTemplate = Template.fromStack(quiet);
}, 120_000);

/** The alarm named `<stack>-<id>`. */
function alarm(t: Template, name: string): Record<string, unknown> {
  const found = Object.values(
    t.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }),
  ) as { Properties: Record<string, unknown> }[];
  expect(found).toHaveLength(1);
  return found[0]?.Properties ?? {};
}

const topicRef = { Ref: Match.stringLikeRegexp('^AlarmsTopic') };

describe('OperationalAlarms: the topic', () => {
  it('encrypts the topic with a rotated customer managed key that CloudWatch may use', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AlarmsTopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
  });

  it("refuses requests without TLS and lets only this account's CloudWatch alarms publish", () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              ArnLike: { 'aws:SourceArn': Match.anyValue() },
              StringEquals: { 'aws:SourceAccount': '111122223333' },
            },
          }),
        ]),
      },
    });
  });

  it('subscribes the email address only when one is given', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: topicRef,
    });
    quietTemplate.resourceCountIs('AWS::SNS::Topic', 1);
    quietTemplate.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('notifies an existing topic instead of creating one', () => {
    const other = new Stack(createInfraApp({ nag: false }), 'Existing', { env });
    const existing = sns.Topic.fromTopicArn(
      other,
      'OnCall',
      'arn:aws:sns:eu-west-1:111122223333:on-call',
    );
    const own = new OperationalAlarms(other, 'Alarms', { topic: existing });
    expect(own.topic).toBe(existing);
    expect(own.topicKey).toBeUndefined();
    expect(other.node.findAll().some((c) => c instanceof sns.Topic)).toBe(false);
  });

  it('reads ALARM_EMAIL as an optional email address', () => {
    const schema = z.object({ ALARM_EMAIL: alarmEmailParam() });
    expect(readStackParameters(schema, {}).ALARM_EMAIL).toBeUndefined();
    expect(readStackParameters(schema, { ALARM_EMAIL: ' ops@example.com ' }).ALARM_EMAIL).toBe(
      'ops@example.com',
    );
    expect(() => readStackParameters(schema, { ALARM_EMAIL: 'ops' })).toThrow(
      /ALARM_EMAIL: expected an email address/,
    );
  });
});

describe('OperationalAlarms: the presets', () => {
  it('creates one named alarm per check, each notifying the topic on ALARM and on OK', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    for (const a of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(a['Properties']).toMatchObject({
        AlarmName: expect.stringMatching(/^Watched-/),
        AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
        OKActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
        AlarmDescription: expect.stringContaining('docs/deploy.md'),
      });
    }
    expect(alarms.alarms).toHaveLength(8);
  });

  it('alarms when a target group has no healthy target for 3 minutes, missing data counting as unhealthy', () => {
    expect(alarm(template, 'Watched-Api-HealthyHosts')).toMatchObject({
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HealthyHostCount',
      Statistic: 'Minimum',
      Period: 60,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'breaching',
    });
  });

  it('alarms on 5XX from the targets and from the load balancer (defaults and overrides), silence being fine', () => {
    expect(alarm(template, 'Watched-Api-Target5xx')).toMatchObject({
      MetricName: 'HTTPCode_Target_5XX_Count',
      Statistic: 'Sum',
      Period: 300,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: ALARM_DEFAULTS.target5xx.threshold,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarm(template, 'Watched-Ingress-Elb5xx')).toMatchObject({
      MetricName: 'HTTPCode_ELB_5XX_Count',
      Statistic: 'Sum',
      Threshold: 20,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
    });
  });

  it('alarms when fewer ECS tasks run than desired for 5 minutes (Container Insights), missing data breaching', () => {
    const running = alarm(template, 'Watched-App-RunningTasks');
    expect(running).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      TreatMissingData: 'breaching',
    });
    const metrics = running['Metrics'] as Record<string, unknown>[];
    expect(metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Expression: 'desired - running' }),
        expect.objectContaining({
          Id: 'running',
          MetricStat: expect.objectContaining({
            Metric: expect.objectContaining({
              Namespace: 'ECS/ContainerInsights',
              MetricName: 'RunningTaskCount',
            }),
          }),
        }),
        expect.objectContaining({
          Id: 'desired',
          MetricStat: expect.objectContaining({
            Metric: expect.objectContaining({ MetricName: 'DesiredTaskCount' }),
          }),
        }),
      ]),
    );
  });

  it('alarms on any Lambda error or throttle and on any message in a dead-letter queue', () => {
    expect(alarm(template, 'Watched-Handler-Errors')).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(alarm(template, 'Watched-Handler-Throttles')).toMatchObject({
      MetricName: 'Throttles',
      Threshold: 1,
    });
    expect(alarm(template, 'Watched-Failed-DeadLetters')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
  });

  it("alarms on an app's own metric as described", () => {
    expect(alarm(template, 'Watched-Busy')).toMatchObject({
      Namespace: 'App',
      MetricName: 'ActiveSessions',
      Dimensions: [{ Name: 'Service', Value: 'app' }],
      Statistic: 'Maximum',
      Period: 60,
      Threshold: 900,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
      AlarmDescription: expect.stringContaining('A task is near its session limit.'),
    });
  });

  it('refuses an alarm name that is not a literal', () => {
    const other = new Stack(createInfraApp({ nag: false }), 'Lazy', { env });
    const lazy = new OperationalAlarms(other, 'Alarms', {
      namePrefix: Lazy.string({ produce: () => 'x' }),
    });
    expect(() =>
      lazy.addDeadLetterQueueAlarm(
        'Failed',
        sqs.Queue.fromQueueArn(other, 'Q', 'arn:aws:sqs:eu-west-1:111122223333:q'),
      ),
    ).toThrow(/its name must be a literal/);
    try {
      lazy.addAlarm('Other', {
        metric: new cloudwatch.Metric({ namespace: 'App', metricName: 'Errors' }),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        threshold: 0,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        description: 'Errors.',
      });
      throw new Error('accepted');
    } catch (error) {
      expect((error as { code?: string }).code).toBe(InfraErrorCode.InvalidProps);
    }
  });
});

describe('ContainerService.rollBackOnAlarms', () => {
  it('rolls a deployment back when one of the named alarms fires', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Alarms: {
          AlarmNames: ['Watched-Api-Target5xx', 'Watched-Ingress-Elb5xx'],
          Enable: true,
          Rollback: true,
        },
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
      }),
    });
  });

  it('refuses an alarm without a literal name', () => {
    const other = new Stack(createInfraApp({ nag: false }), 'Generated', { env });
    const generated = new cloudwatch.Alarm(other, 'Generated', {
      metric: new cloudwatch.Metric({ namespace: 'App', metricName: 'Errors' }),
      threshold: 1,
      evaluationPeriods: 1,
    });
    expect(() => service.rollBackOnAlarms([generated])).toThrow(/needs a literal alarmName/);
  });
});

describe('OperationalAlarms: checks', () => {
  it('has no unacknowledged cdk-nag finding and passes the template validation', () => {
    expect(nagFindings(stack)).toEqual([]);
    expect(nagFindings(quiet)).toEqual([]);
    expect(validationReports(app.synth().directory)).toEqual([]);
  });
});

// The Connect Lambda's alarms and credentials, in the CDK stack and in the standalone template
// (deploy/template.yaml, deployed with `aws cloudformation deploy`): one synthesis for the file.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import { acknowledge, createInfraApp, nagFindings, validationReports } from '@org/infra';
import {
  ConnectLambdaStack,
  PLAIN_TEXT_CREDENTIALS,
  SECRET_ARN_PATTERN,
  TEMPLATE_ALARMS,
  TEMPLATE_FILE,
} from '../src/infra/connect-stack';
import { readTemplate, resolveValue, type TemplateValues } from './support/cloudformation';

const env = { account: '112233445566', region: 'us-east-1' };

let dir: string;
let plain: Template;
let mailed: Template;
let standalone: Stack;
let standaloneT: Template;
let assemblyDir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'connect-alarms-'));
  const zip = join(dir, 'connect-lambda.zip');
  writeFileSync(zip, 'not a real zip');
  const app = createInfraApp({ nag: false });
  const stack = new ConnectLambdaStack(app, 'Connect', { env, codeZip: zip });
  const withEmail = new ConnectLambdaStack(app, 'Mailed', {
    env,
    codeZip: zip,
    alarmEmail: 'oncall@example.com',
  });
  // The template as `aws cloudformation deploy` takes it: every parameter left to deploy time.
  standalone = new Stack(app, 'Standalone', { env });
  const included = new CfnInclude(standalone, 'Template', { templateFile: TEMPLATE_FILE });
  // The same two notes the CDK stack acknowledges, and the runtime left to a parameter.
  Validations.of(standalone).acknowledge(
    { id: 'CloudFormation-Validate::W1030', reason: 'ConnectInstanceArn is optional' },
    { id: 'CloudFormation-Validate::W2509', reason: 'a secret ARN and a duration, not secrets' },
  );
  acknowledge(included.getResource('Function'), {
    id: 'AwsSolutions-L1',
    reason: 'Runtime is a parameter whose AllowedValues are nodejs22.x and nodejs24.x only.',
  });
  assemblyDir = app.synth().directory;
  plain = Template.fromStack(stack);
  mailed = Template.fromStack(withEmail);
  standaloneT = Template.fromStack(standalone);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function alarm(t: Template, name: string): Record<string, unknown> {
  const found = Object.values(
    t.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }),
  ) as { Properties: Record<string, unknown> }[];
  expect(found).toHaveLength(1);
  return found[0]?.Properties ?? {};
}

describe('ConnectLambdaStack: alarms', () => {
  it("alarms on the included function's errors and throttles, once each, notifying the encrypted topic on ALARM and OK", () => {
    plain.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    plain.resourceCountIs('AWS::SNS::Topic', 1);
    plain.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    for (const [name, metric] of [
      ['Connect-Function-Errors', 'Errors'],
      ['Connect-Function-Throttles', 'Throttles'],
    ] as const) {
      expect(alarm(plain, name)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: expect.anything() }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
        OKActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
      });
      // The dimension is the included function's name (from its ARN).
      expect(JSON.stringify(alarm(plain, name)['Dimensions'])).toContain('"Function","Arn"');
    }
    plain.hasOutput('AlarmTopicArn', { Value: { Ref: Match.stringLikeRegexp('^AlarmsTopic') } });
  });

  it("leaves out the standalone template's own topic and alarms, their condition and output", () => {
    const json = plain.toJSON() as Record<string, Record<string, unknown>>;
    for (const resource of TEMPLATE_ALARMS.resources) {
      expect(Object.keys(json['Resources'] ?? {})).not.toContain(resource);
    }
    expect(Object.keys(json['Conditions'] ?? {})).not.toContain('HasAlarmEmail');
    expect(Object.keys(json['Parameters'] ?? {})).not.toContain('AlarmEmail');
  });

  it('subscribes ALARM_EMAIL to the topic only when it is set', () => {
    plain.resourceCountIs('AWS::SNS::Subscription', 0);
    mailed.resourceCountIs('AWS::SNS::Subscription', 1);
    mailed.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });
});

describe('ConnectLambdaStack: credentials from Secrets Manager only', () => {
  it('has no credential parameter and requires OAuthSecretArn, a Secrets Manager ARN without default', () => {
    const parameters = plain.toJSON()['Parameters'] as Record<string, Record<string, unknown>>;
    for (const name of [...Object.keys(PLAIN_TEXT_CREDENTIALS), 'PlainTextCredentials']) {
      expect(Object.keys(parameters)).not.toContain(name);
    }
    expect(parameters['OAuthSecretArn']).toMatchObject({
      Type: 'String',
      AllowedPattern: SECRET_ARN_PATTERN,
    });
    expect(parameters['OAuthSecretArn']?.['Default']).toBeUndefined();
    const pattern = new RegExp(SECRET_ARN_PATTERN);
    expect(
      pattern.test('arn:aws:secretsmanager:us-east-1:112233445566:secret:cresta-oauth-AbCdEf'),
    ).toBe(true);
    expect(pattern.test('')).toBe(false);
    expect(pattern.test('cresta-oauth')).toBe(false);
  });

  it('sets no oauthClientId, oauthClientSecret or apiKey variable on the function', () => {
    const fns = plain.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns)).toEqual(['Function']);
    const variables = (
      fns['Function'] as { Properties: { Environment: { Variables: Record<string, unknown> } } }
    ).Properties.Environment.Variables;
    for (const variable of Object.values(PLAIN_TEXT_CREDENTIALS)) {
      expect(Object.keys(variables)).not.toContain(variable);
    }
    expect(variables['oauthSecretArn']).toEqual({ Ref: 'OAuthSecretArn' });
  });
});

describe('deploy/template.yaml on its own', () => {
  const yaml = readTemplate('deploy', 'template.yaml');
  const rule = (yaml['Rules'] as Record<string, Record<string, unknown>>)[
    'CredentialsNotInPlainText'
  ];

  /** Whether the rule lets a stack with the parameter values `given` through. */
  function ruleAllows(given: Record<string, string>): boolean {
    const t = yaml as unknown as TemplateValues;
    if (resolveValue(t, rule?.['RuleCondition'], given) !== true) return true;
    const assertions = rule?.['Assertions'] as { Assert: unknown }[];
    return assertions.every((a) => resolveValue(t, a.Assert, given) === true);
  }

  it('refuses OAuthClientSecret or ApiKey as parameters unless PlainTextCredentials=true says it is a test stack', () => {
    expect(ruleAllows({ OAuthSecretArn: 'arn:aws:secretsmanager:x' })).toBe(true);
    expect(ruleAllows({ OAuthClientId: 'id', OAuthClientSecret: 's' })).toBe(false);
    expect(ruleAllows({ ApiKey: 'k' })).toBe(false);
    expect(ruleAllows({ ApiKey: 'k', PlainTextCredentials: 'true' })).toBe(true);
    const assertion = (rule?.['Assertions'] as { AssertDescription: string }[])[0];
    expect(assertion?.AssertDescription).toMatch(
      /lambda:GetFunctionConfiguration.*OAuthSecretArn/s,
    );
  });

  it('creates the same topic and alarms, subscribing AlarmEmail only when it is given', () => {
    standaloneT.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    for (const metric of ['Errors', 'Throttles']) {
      standaloneT.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: { 'Fn::Sub': `\${AWS::StackName}-Function-${metric}` },
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'Function' } }],
        Threshold: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
        OKActions: [{ Ref: 'AlarmTopic' }],
      });
    }
    standaloneT.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { Ref: 'AlarmTopicKey' },
    });
    standaloneT.hasResource('AWS::SNS::Subscription', {
      Condition: 'HasAlarmEmail',
      Properties: { Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' } },
    });
    standaloneT.hasParameter('AlarmEmail', { Default: '' });
  });

  it('passes cdk-nag and the CDK template validation', () => {
    expect(nagFindings(standalone)).toEqual([]);
    const reports = validationReports(assemblyDir);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ conclusion: 'success', violations: [] });
  });
});

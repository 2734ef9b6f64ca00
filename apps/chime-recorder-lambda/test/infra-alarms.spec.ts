// The recorder stack's alarms (the function's errors and throttles, the failed-events queue) and
// the test PBX's Asterisk logging from LOG_LEVEL, synthesised once for the file.

import { createInfraApp, nagFindings } from '@org/infra';
import { aws_lambda as lambda } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { readRecorderParameters } from '../src/infra/parameters';
import { RecorderStack } from '../src/infra/recorder-stack';
import { ASTERISK_LOGGING, asteriskLogging } from '../src/infra/test-pbx';

const env = { account: '112233445566', region: 'us-east-1' };
const code = lambda.Code.fromInline('exports.handler = async () => undefined;');

let siprec: RecorderStack;
let siprecT: Template;
let pbxT: Template;

beforeAll(() => {
  const app = createInfraApp({ nag: false });
  siprec = new RecorderStack(app, 'Siprec', { env, code, siprecCidrs: ['198.51.100.0/27'] });
  const pbx = new RecorderStack(app, 'Pbx', {
    env,
    code,
    buildAsterisk: true,
    logLevel: 'debug',
    alarmEmail: 'oncall@example.com',
  });
  app.synth();
  siprecT = Template.fromStack(siprec);
  pbxT = Template.fromStack(pbx);
});

function alarm(t: Template, name: string): Record<string, unknown> {
  const found = Object.values(
    t.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }),
  ) as { Properties: Record<string, unknown> }[];
  expect(found).toHaveLength(1);
  return found[0]?.Properties ?? {};
}

/** The user data script of the test PBX, with the tokens rendered as `<Ref>`. */
function userData(t: Template): string {
  const [instance] = Object.values(t.findResources('AWS::EC2::Instance')) as {
    Properties: { UserData: { 'Fn::Base64': { 'Fn::Join': [string, unknown[]] } } };
  }[];
  const parts = instance?.Properties.UserData['Fn::Base64']['Fn::Join'][1] ?? [];
  return parts.map((p) => (typeof p === 'string' ? p : '<token>')).join('');
}

describe('RecorderStack: alarms', () => {
  it('alarms on the recorder function errors and throttles and on any message in the failed-events queue, notifying the encrypted topic', () => {
    siprecT.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    const fn = { Ref: Match.stringLikeRegexp('^RecorderFunction') };
    for (const [name, metric] of [
      ['Siprec-Recorder-Errors', 'Errors'],
      ['Siprec-Recorder-Throttles', 'Throttles'],
    ] as const) {
      expect(alarm(siprecT, name)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      siprecT.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name,
        Dimensions: [{ Name: 'FunctionName', Value: fn }],
      });
    }
    expect(alarm(siprecT, 'Siprec-FailedEvents-DeadLetters')).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Statistic: 'Maximum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [expect.stringMatching(/^RecorderFailedEvents/), 'QueueName'] },
        },
      ],
    });
    for (const a of Object.values(siprecT.findResources('AWS::CloudWatch::Alarm'))) {
      expect(a['Properties']).toMatchObject({
        AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
        OKActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
      });
    }
    siprecT.resourceCountIs('AWS::SNS::Topic', 1);
    siprecT.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    siprecT.hasOutput('alarmTopicArn', { Value: { Ref: Match.stringLikeRegexp('^AlarmsTopic') } });
  });

  it('subscribes ALARM_EMAIL to the topic only when it is set, and refuses one that is no address', () => {
    siprecT.resourceCountIs('AWS::SNS::Subscription', 0);
    pbxT.resourceCountIs('AWS::SNS::Subscription', 1);
    pbxT.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    expect(readRecorderParameters({ ALARM_EMAIL: 'oncall@example.com' }).ALARM_EMAIL).toBe(
      'oncall@example.com',
    );
    expect(() => readRecorderParameters({ ALARM_EMAIL: 'oncall' })).toThrow(
      /ALARM_EMAIL: expected an email address/,
    );
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding with the alarms', () => {
    expect(nagFindings(siprec)).toEqual([]);
  });
});

describe('TestPbx: Asterisk logging from LOG_LEVEL', () => {
  it("writes logger.conf and asterisk.conf's verbose/debug levels for the stack's LOG_LEVEL, and sets them in the running Asterisk", () => {
    const script = userData(pbxT);
    expect(script).toContain(
      "printf '%s\\n' '[general]' 'dateformat=%F %T.%3q' '' '[logfiles]' 'console => notice,warning,error,debug,verbose' 'messages => notice,warning,error,debug,verbose' > /etc/asterisk/logger.conf",
    );
    expect(script).toContain('verbose = 3/');
    expect(script).toContain('debug = 1/');
    expect(script).toContain("asterisk -rx 'core set verbose 3'");
    expect(script).toContain("asterisk -rx 'core set debug 1'");
    // Configured before Asterisk is (re)started, applied again once it runs.
    expect(script.indexOf('/etc/asterisk/logger.conf')).toBeLessThan(
      script.indexOf('systemctl restart asterisk'),
    );
  });

  it('replaces the test PBX when LOG_LEVEL changes (user data runs at first boot only)', () => {
    const app = createInfraApp({ nag: false });
    const quiet = new RecorderStack(app, 'Quiet', {
      env,
      code,
      buildAsterisk: true,
      logLevel: 'error',
    });
    app.synth();
    const ids = (t: Template) => Object.keys(t.findResources('AWS::EC2::Instance'));
    const [debugId] = ids(pbxT);
    const [errorId] = ids(Template.fromStack(quiet));
    expect(debugId).toBeDefined();
    expect(errorId).toBeDefined();
    // A new logical id is a new instance (the Elastic IP association follows it).
    expect(debugId).not.toBe(errorId);
  });

  it('maps every LOG_LEVEL the stack accepts, in any case, and logs nothing at SILENT', () => {
    for (const level of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'WARNING', 'ERROR', 'FATAL', 'SILENT']) {
      expect(asteriskLogging(level.toLowerCase())).toBe(ASTERISK_LOGGING[level]);
    }
    expect(asteriskLogging('info')).toEqual({
      levels: ['notice', 'warning', 'error', 'verbose'],
      verbose: 3,
      debug: 0,
    });
    expect(asteriskLogging('ERROR')).toMatchObject({ levels: ['error'], verbose: 0, debug: 0 });
    expect(asteriskLogging('SILENT').levels).toEqual([]);
    expect(() => asteriskLogging('LOUD')).toThrow(/LOG_LEVEL "LOUD"/);
  });
});

import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { z } from 'zod';
import {
  boolParam,
  InfraError,
  InfraErrorCode,
  intParam,
  listParam,
  logRetentionParam,
  optionalParam,
  readStackParameters,
  removalPolicyParam,
  importSecret,
  stackEnvironment,
} from '../src';

const schema = z.object({
  APPLICATION_DOMAIN: z.string({ error: 'is required' }),
  TAG_OWNER: optionalParam(),
  MAX_TASKS: intParam(4, 1, 100),
  PUBLIC: boolParam(false),
  REMOVAL_POLICY: removalPolicyParam(),
  CIDRS: listParam(),
});

describe('readStackParameters', () => {
  it('applies the defaults for unset and empty variables', () => {
    expect(
      readStackParameters(schema, { APPLICATION_DOMAIN: 'a.example.com', TAG_OWNER: '' }),
    ).toEqual({
      APPLICATION_DOMAIN: 'a.example.com',
      TAG_OWNER: undefined,
      MAX_TASKS: 4,
      PUBLIC: false,
      REMOVAL_POLICY: RemovalPolicy.RETAIN,
      CIDRS: [],
    });
  });

  it('converts numbers, booleans, removal policies and lists, trimming whitespace', () => {
    expect(
      readStackParameters(schema, {
        APPLICATION_DOMAIN: ' a.example.com ',
        TAG_OWNER: 'team-voice',
        MAX_TASKS: '12',
        PUBLIC: 'yes',
        REMOVAL_POLICY: 'destroy',
        CIDRS: '10.0.0.0/8, ,192.0.2.0/24',
        UNRELATED: 'ignored',
      }),
    ).toEqual({
      APPLICATION_DOMAIN: 'a.example.com',
      TAG_OWNER: 'team-voice',
      MAX_TASKS: 12,
      PUBLIC: true,
      REMOVAL_POLICY: RemovalPolicy.DESTROY,
      CIDRS: ['10.0.0.0/8', '192.0.2.0/24'],
    });
  });

  it('reads list items quoted as the seeds write them (\'a\',\'b\' or "a", "b"), dropping a quote at either end of each item', () => {
    const lists = z.object({ CIDRS: listParam() });
    expect(
      readStackParameters(lists, { CIDRS: "'198.51.100.0/27','198.51.100.128/27'" }).CIDRS,
    ).toEqual(['198.51.100.0/27', '198.51.100.128/27']);
    expect(readStackParameters(lists, { CIDRS: '"10.0.0.0/8", 192.0.2.0/24 ,\'\'' }).CIDRS).toEqual(
      ['10.0.0.0/8', '192.0.2.0/24'],
    );
    // A .env loader (dotenv, which Nx uses) takes off the outer pair of the seed's line first.
    expect(
      readStackParameters(lists, { CIDRS: "198.51.100.0/27','198.51.100.128/27" }).CIDRS,
    ).toEqual(['198.51.100.0/27', '198.51.100.128/27']);
  });

  it('passes a set-but-empty variable listed in keepEmpty to the schema as "", leaving unset and the others as they were', () => {
    const prefixed = z.object({
      KEY_PREFIX: z.string().default('in'),
      TAG_OWNER: optionalParam(),
    });
    const options = { keepEmpty: ['KEY_PREFIX'] as const };
    expect(readStackParameters(prefixed, { KEY_PREFIX: '', TAG_OWNER: '' }, options)).toEqual({
      KEY_PREFIX: '',
      TAG_OWNER: undefined,
    });
    expect(readStackParameters(prefixed, { KEY_PREFIX: '  ' }, options).KEY_PREFIX).toBe('');
    expect(readStackParameters(prefixed, {}, options).KEY_PREFIX).toBe('in');
    expect(readStackParameters(prefixed, { KEY_PREFIX: ' out ' }, options).KEY_PREFIX).toBe('out');
    // Without the option, empty still means unset.
    expect(readStackParameters(prefixed, { KEY_PREFIX: '' }).KEY_PREFIX).toBe('in');
  });

  it('names every bad variable in one coded error', () => {
    let error: unknown;
    try {
      readStackParameters(schema, { MAX_TASKS: '0', PUBLIC: 'maybe', REMOVAL_POLICY: 'keep' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InfraError);
    expect((error as InfraError).code).toBe(InfraErrorCode.Parameters);
    const message = (error as InfraError).message;
    expect(message).toMatch(/^invalid stack parameters:/);
    for (const name of [
      'APPLICATION_DOMAIN: is required',
      'MAX_TASKS',
      'PUBLIC',
      'REMOVAL_POLICY',
    ]) {
      expect(message).toContain(`  ${name}`);
    }
  });
});

describe('logRetentionParam', () => {
  const retention = z.object({ LOG_RETENTION_DAYS: logRetentionParam(30) });

  it('accepts the periods CloudWatch Logs offers and refuses others', () => {
    expect(readStackParameters(retention, {})).toEqual({ LOG_RETENTION_DAYS: 30 });
    expect(readStackParameters(retention, { LOG_RETENTION_DAYS: '365' })).toEqual({
      LOG_RETENTION_DAYS: 365,
    });
    expect(() => readStackParameters(retention, { LOG_RETENTION_DAYS: '31' })).toThrow(
      /LOG_RETENTION_DAYS: must be one of 1, 3, 5, 7, 14, 30/,
    );
  });
});

describe('stackEnvironment', () => {
  it('takes the account from the CDK CLI and the first region variable that is set', () => {
    expect(
      stackEnvironment({
        CDK_DEFAULT_ACCOUNT: '111122223333',
        AWS_DEFAULT_REGION: 'eu-west-1',
        CDK_DEFAULT_REGION: 'eu-central-1',
      }),
    ).toEqual({ account: '111122223333', region: 'eu-west-1', regionAssumed: false });
  });

  it('assumes us-east-1 without a region and leaves the account to the credentials', () => {
    expect(stackEnvironment({ AWS_REGION: ' ' })).toEqual({
      region: 'us-east-1',
      regionAssumed: true,
    });
  });
});

describe('importSecret', () => {
  it('imports a full ARN as it is and a name as a partial ARN', () => {
    const stack = new Stack(new App(), 'Secrets', {
      env: { account: '111122223333', region: 'eu-west-1' },
    });
    const full = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/keys-AbCdEf';
    expect(importSecret(stack, 'Full', full).secretFullArn).toBe(full);
    const byName = importSecret(stack, 'Named', 'app/keys');
    expect(byName.secretFullArn).toBeUndefined();
    expect(JSON.stringify(stack.resolve(byName.secretArn))).toContain(':secret:app/keys"');
  });
});

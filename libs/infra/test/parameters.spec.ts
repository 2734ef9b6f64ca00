import { RemovalPolicy } from 'aws-cdk-lib';
import { z } from 'zod';
import {
  boolParam,
  InfraError,
  InfraErrorCode,
  intParam,
  listParam,
  optionalParam,
  readStackParameters,
  removalPolicyParam,
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

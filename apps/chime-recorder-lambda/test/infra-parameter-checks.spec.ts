// Stack parameters checked against each other at synth: the claim lease and the deadline reserve
// against the function's timeout, the KVS retention against the recorder's longest wait, and the
// seed's quoted lists.

import { InfraErrorCode } from '@org/infra';
import { readRecorderParameters, timingProblems } from '../src/infra/parameters';
import { FUNCTION_TIMEOUT } from '../src/infra/recorder-function';

describe('readRecorderParameters: timings', () => {
  it('accepts the defaults: a 5 min claim lease over a 60 s function, 24 h of KVS over 8 h + 1 min + 5 × 1 min', () => {
    expect(FUNCTION_TIMEOUT.toSeconds()).toBe(60);
    expect(timingProblems({}, 24)).toEqual([]);
    expect(() => readRecorderParameters({})).not.toThrow();
  });

  it("refuses a CLAIM_LEASE_MS that does not exceed the function's timeout, naming both", () => {
    expect(() => readRecorderParameters({ APP_SETTINGS: '{"CLAIM_LEASE_MS":"60000"}' })).toThrow(
      expect.objectContaining({
        code: InfraErrorCode.Parameters,
        message: expect.stringMatching(
          /APP_SETTINGS: CLAIM_LEASE_MS \(60000 ms\) must exceed the function's timeout \(60000 ms\)/,
        ),
      }),
    );
    expect(() =>
      readRecorderParameters({ APP_SETTINGS: '{"CLAIM_LEASE_MS":"60001"}' }),
    ).not.toThrow();
  });

  it('refuses a KVS retention that ends before the last create attempt of the longest call', () => {
    // 8 h + 60 s + 5 × 60 s = 29,160,000 ms > 8 h.
    expect(() => readRecorderParameters({ KVS_RETENTION_HOURS: '8' })).toThrow(
      /KVS_RETENTION_HOURS: 8 h \(28800000 ms\) must exceed MAX_CALL_DURATION_MS \+ FINALIZE_AFTER_MS \+ CREATE_RETRY_AFTER_MS × MAX_CREATE_ATTEMPTS \(28800000 \+ 60000 \+ 60000 × 5 = 29160000 ms\)/,
    );
    expect(() =>
      readRecorderParameters({
        KVS_RETENTION_HOURS: '2',
        APP_SETTINGS: JSON.stringify({
          MAX_CALL_DURATION_MS: String(3_600_000),
          CREATE_RETRY_AFTER_MS: '600000',
          MAX_CREATE_ATTEMPTS: '6',
        }),
      }),
    ).toThrow(/3600000 \+ 60000 \+ 600000 × 6 = 7260000 ms/);
    expect(timingProblems({ MAX_CALL_DURATION_MS: String(3_600_000) }, 2)).toEqual([]);
  });

  it("leaves the KVS retention alone for an existing Voice Connector (VOICECONNECTOR_ID), whose retention is its owner's", () => {
    expect(timingProblems({}, undefined)).toEqual([]);
    expect(() =>
      readRecorderParameters({
        KVS_RETENTION_HOURS: '8',
        VOICECONNECTOR_ID: 'abcdefghijklmnopqrstuv',
        BUILD_ASTERISK: 'false',
      }),
    ).not.toThrow();
  });

  it("refuses a DEADLINE_RESERVE_MS that leaves less than half the function's timeout to work in", () => {
    expect(() =>
      readRecorderParameters({ APP_SETTINGS: '{"DEADLINE_RESERVE_MS":"25000"}' }),
    ).toThrow(
      /APP_SETTINGS: DEADLINE_RESERVE_MS \(25000 ms\) \+ 5000 ms must be under half the function's timeout \(60000 ms\)/,
    );
    expect(() =>
      readRecorderParameters({ APP_SETTINGS: '{"DEADLINE_RESERVE_MS":"24999"}' }),
    ).not.toThrow();
  });

  it('lists both problems at once', () => {
    expect(timingProblems({ CLAIM_LEASE_MS: '30000' }, 1)).toHaveLength(2);
  });
});

describe('readRecorderParameters: APP_SETTINGS', () => {
  it("refuses AWS credentials (they would replace the function's role) without echoing them, like every stack", () => {
    expect(() =>
      readRecorderParameters({ APP_SETTINGS: '{"AWS_SECRET_ACCESS_KEY":"hunter2"}' }),
    ).toThrow(/AWS_SECRET_ACCESS_KEY cannot be in APP_SETTINGS: AWS credentials/);
    expect(() =>
      readRecorderParameters({ APP_SETTINGS: '{"AWS_SECRET_ACCESS_KEY":"hunter2"}' }),
    ).not.toThrow(/hunter2/);
  });
});

describe('readRecorderParameters: SIPREC_CIDRS as the seed writes it', () => {
  it("accepts the seed's quoted list '198.51.100.0/27','198.51.100.128/27'", () => {
    const p = readRecorderParameters({
      SIPREC_CIDRS: "'198.51.100.0/27','198.51.100.128/27'",
    });
    expect(p.SIPREC_CIDRS).toEqual(['198.51.100.0/27', '198.51.100.128/27']);
    expect(p.buildAsterisk).toBe(false);
  });
});

import { InfraErrorCode } from '@org/infra';
import { buildDestination, normalizePrefix, parseKeyTemplate } from '../src/lib/destination';
import {
  normalizeRecordingPrefix,
  recordingPrefixProblem,
  stackSetSettingProblems,
} from '../src/infra/recorder-settings';

/** Whether `key` is one of the object keys the grant pattern (`*` = any characters) covers. */
function covers(pattern: string, key: string): boolean {
  const regex = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${regex}$`).test(key);
}

describe('normalizeRecordingPrefix', () => {
  it('gives originalAudio when unset and the bucket root ("") when set but empty', () => {
    expect(normalizeRecordingPrefix(undefined)).toBe('originalAudio');
    expect(normalizeRecordingPrefix('')).toBe('');
    expect(normalizeRecordingPrefix(' ')).toBe('');
  });

  it('reads the value as the recorder does: trimmed, surrounding and doubled "/" dropped', () => {
    expect(normalizeRecordingPrefix(' calls/2024// ')).toBe('calls/2024');
    expect(normalizeRecordingPrefix('a.b-c_d/E9')).toBe('a.b-c_d/E9');
    expect(normalizeRecordingPrefix('/originalAudio/')).toBe('originalAudio');
    expect(normalizeRecordingPrefix('a//b')).toBe('a/b');
    expect(normalizeRecordingPrefix('/')).toBe('');
    for (const raw of ['/originalAudio/', 'a//b', '/', ' calls/2024// ']) {
      expect(normalizePrefix(raw)).toBe(
        normalizeRecordingPrefix(raw) === '' ? '' : `/${normalizeRecordingPrefix(raw)}`,
      );
    }
  });

  it.each([
    ['..', 'must not hold ".."'],
    ['a/../b', 'must not hold ".."'],
    ['a..b', 'must not hold ".."'],
    ['./a', 'must not hold ".." or a "." segment'],
    ['audio files', 'may only hold letters, digits, "-", "_", "." and "/"'],
    ['a+b', 'may only hold letters'],
    ['x'.repeat(513), 'must be at most 512 characters'],
  ])('refuses %j with a coded error saying why', (raw, reason) => {
    expect(recordingPrefixProblem(raw)).toContain(reason);
    expect(() => normalizeRecordingPrefix(raw)).toThrow(
      expect.objectContaining({
        code: InfraErrorCode.InvalidProps,
        message: expect.stringContaining(`RECORDING_BUCKET_PREFIX ${reason}`),
      }),
    );
  });

  it.each([undefined, '', 'originalAudio', 'calls/chime/', '/originalAudio/'])(
    'for %j, the keys the recorder writes are the ones the stack grants',
    (raw) => {
      const prefix = normalizeRecordingPrefix(raw);
      // The patterns of the sink role's and the function role's grants (recording-sink.ts,
      // recorder-function.ts), and the function's own reading of the same value.
      const recordings = prefix === '' ? '*' : `${prefix}/*`;
      const metadata = prefix === '' ? '*.json' : `${prefix}/*.json`;
      const destination = buildDestination(
        { transactionId: 't-1', callId: 'c-1', voiceConnectorId: 'vc', startMs: 0 },
        {
          bucket: 'b',
          prefix: normalizePrefix(prefix),
          template: parseKeyTemplate('{yyyy}/{mm}/{dd}/{callId}'),
          extension: 'wav',
        },
      );
      expect(destination.key).toBe(`${prefix === '' ? '' : `${prefix}/`}1970/01/01/c-1.wav`);
      expect(covers(recordings, destination.key)).toBe(true);
      expect(covers(metadata, destination.metadataKey)).toBe(true);
      expect(destination.arn).toBe(`arn:aws:s3:::b/${destination.key}`);
    },
  );
});

describe('stackSetSettingProblems', () => {
  it('accepts the recorder settings the stack does not set', () => {
    expect(
      stackSetSettingProblems({ FINALIZE_AFTER_MS: '120000', LOG_REDACT_PII: 'false' }),
    ).toEqual([]);
  });

  it('refuses LOG_LEVEL and TRACK_PIPELINE_STATUS, which the stack sets from its own parameters', () => {
    expect(stackSetSettingProblems({ LOG_LEVEL: 'debug', TRACK_PIPELINE_STATUS: 'false' })).toEqual(
      [
        'LOG_LEVEL cannot be in APP_SETTINGS: set the LOG_LEVEL variable itself (the stack gives the function that value)',
        'TRACK_PIPELINE_STATUS cannot be in APP_SETTINGS: set the TRACK_PIPELINE_STATUS variable itself (the stack subscribes the function to Media Insights State Change events by it)',
      ],
    );
  });

  it('names every stack-set value found, with where it comes from instead', () => {
    expect(
      stackSetSettingProblems({ RECORDING_BUCKET_PREFIX: '', MEDIA_INSIGHT_PIPELINE_ARN: 'x' }),
    ).toEqual([
      'RECORDING_BUCKET_PREFIX cannot be in APP_SETTINGS: set the RECORDING_BUCKET_PREFIX variable itself (the S3 permissions are derived from it)',
      'MEDIA_INSIGHT_PIPELINE_ARN cannot be in APP_SETTINGS: set by the stack (the pipeline configuration it creates)',
    ]);
  });
});

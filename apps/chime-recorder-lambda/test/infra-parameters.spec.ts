import { InfraErrorCode } from '@org/infra';
import { RemovalPolicy } from 'aws-cdk-lib';
import { readRecorderParameters } from '../src/infra/parameters';

describe('readRecorderParameters', () => {
  it('defaults as the sample does, except that data is retained on teardown', () => {
    expect(readRecorderParameters({})).toMatchObject({
      STACK_NAME: 'ChimeRecorder',
      RECORDING_BUCKET_PREFIX: 'originalAudio',
      REMOVAL_POLICY: RemovalPolicy.RETAIN,
      SIPREC_CIDRS: [],
      KVS_RETENTION_HOURS: 24,
      RECORDING_EXPIRATION_DAYS: 0,
      LOG_LEVEL: 'INFO',
      TRACK_PIPELINE_STATUS: true,
      VOICE_CONNECTOR_ENCRYPTION: false,
      APP_SETTINGS: {},
      buildAsterisk: true,
    });
    expect(
      readRecorderParameters({ APP_SETTINGS: '{"FINALIZE_AFTER_MS":"120000"}' }).APP_SETTINGS,
    ).toEqual({ FINALIZE_AFTER_MS: '120000' });
  });

  it("reads the sample's values: REMOVAL_POLICY in any case, SIPREC_CIDRS turning the test PBX off", () => {
    const p = readRecorderParameters({
      REMOVAL_POLICY: 'DESTROY',
      SIPREC_CIDRS: '198.51.100.0/27, 198.51.100.128/27',
      OUTPUT_BUCKET: 'pca-input',
    });
    expect(p).toMatchObject({
      REMOVAL_POLICY: RemovalPolicy.DESTROY,
      SIPREC_CIDRS: ['198.51.100.0/27', '198.51.100.128/27'],
      OUTPUT_BUCKET: 'pca-input',
      buildAsterisk: false,
    });
    expect(readRecorderParameters({ REMOVAL_POLICY: 'snapshot' }).REMOVAL_POLICY).toBe(
      RemovalPolicy.RETAIN,
    );
  });

  it('reads RECORDING_BUCKET_PREFIX set but empty as the bucket root, unlike unset (originalAudio)', () => {
    expect(readRecorderParameters({}).RECORDING_BUCKET_PREFIX).toBe('originalAudio');
    expect(readRecorderParameters({ RECORDING_BUCKET_PREFIX: '' }).RECORDING_BUCKET_PREFIX).toBe(
      '',
    );
    expect(readRecorderParameters({ RECORDING_BUCKET_PREFIX: '  ' }).RECORDING_BUCKET_PREFIX).toBe(
      '',
    );
    expect(
      readRecorderParameters({ RECORDING_BUCKET_PREFIX: ' calls/chime/ ' }).RECORDING_BUCKET_PREFIX,
    ).toBe('calls/chime');
    expect(
      readRecorderParameters({ RECORDING_BUCKET_PREFIX: '/originalAudio/' })
        .RECORDING_BUCKET_PREFIX,
    ).toBe('originalAudio');
    // The other parameters still treat empty as unset.
    expect(readRecorderParameters({ STACK_NAME: '', LOG_LEVEL: '' })).toMatchObject({
      STACK_NAME: 'ChimeRecorder',
      LOG_LEVEL: 'INFO',
    });
  });

  it('reads LOG_LEVEL (every level the recorder knows, any case) and TRACK_PIPELINE_STATUS as parameters of their own', () => {
    expect(
      readRecorderParameters({ LOG_LEVEL: 'trace', TRACK_PIPELINE_STATUS: 'false' }),
    ).toMatchObject({ LOG_LEVEL: 'TRACE', TRACK_PIPELINE_STATUS: false });
    expect(readRecorderParameters({ LOG_LEVEL: 'Warning' }).LOG_LEVEL).toBe('WARNING');
  });

  it.each([
    [
      { BUILD_ASTERISK: 'true', SIPREC_CIDRS: '198.51.100.0/27' },
      'BUILD_ASTERISK: cannot be true together with SIPREC_CIDRS',
    ],
    [
      { BUILD_ASTERISK: 'yes', VOICECONNECTOR_ID: 'abc123' },
      'BUILD_ASTERISK: the test PBX needs the Voice Connector',
    ],
    [{ SIPREC_CIDRS: '198.51.100.0/24' }, 'SIPREC_CIDRS: expected IPv4 CIDRs'],
    [{ SIPREC_CIDRS: '198.51.300.0/27' }, 'SIPREC_CIDRS: expected IPv4 CIDRs'],
    [{ OUTPUT_BUCKET: 'Not_A_Bucket' }, 'OUTPUT_BUCKET: expected an S3 bucket name'],
    [{ REMOVAL_POLICY: 'keep' }, 'REMOVAL_POLICY'],
    [{ KVS_RETENTION_HOURS: '0' }, 'KVS_RETENTION_HOURS'],
    [{ APP_SETTINGS: '{"FINALIZE_AFTER_MS":"soon"}' }, 'FINALIZE_AFTER_MS: must be a whole number'],
    [{ APP_SETTINGS: '[1]' }, 'APP_SETTINGS: expected a JSON object of string values'],
    [
      { APP_SETTINGS: '{"RECORDING_BUCKET_PREFIX":""}' },
      'APP_SETTINGS: RECORDING_BUCKET_PREFIX cannot be in APP_SETTINGS: set the RECORDING_BUCKET_PREFIX variable itself',
    ],
    [
      { APP_SETTINGS: '{"CALL_TABLE":"other"}' },
      'APP_SETTINGS: CALL_TABLE cannot be in APP_SETTINGS: set by the stack',
    ],
    [
      { APP_SETTINGS: '{"LOG_LEVEL":"debug"}' },
      'APP_SETTINGS: LOG_LEVEL cannot be in APP_SETTINGS: set the LOG_LEVEL variable itself',
    ],
    [
      { APP_SETTINGS: '{"TRACK_PIPELINE_STATUS":"false"}' },
      'APP_SETTINGS: TRACK_PIPELINE_STATUS cannot be in APP_SETTINGS: set the TRACK_PIPELINE_STATUS variable itself',
    ],
    [{ TRACK_PIPELINE_STATUS: 'off' }, 'TRACK_PIPELINE_STATUS'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ RECORDING_BUCKET_PREFIX: 'a/../b' }, 'RECORDING_BUCKET_PREFIX: must not hold ".."'],
    [{ RECORDING_BUCKET_PREFIX: 'a b' }, 'RECORDING_BUCKET_PREFIX: may only hold letters, digits'],
  ])('refuses %j', (env, message) => {
    let error: unknown;
    try {
      readRecorderParameters(env);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: InfraErrorCode.Parameters });
    expect((error as Error).message).toContain(message);
  });
});

import { loadConfig } from '../src/config';
import { RecorderErrorCode } from '../src/lib/errors';

const REQUIRED = {
  CALL_TABLE: 'calls',
  RECORDING_BUCKET: 'recordings-bucket',
  MEDIA_INSIGHT_PIPELINE_ARN:
    'arn:aws:chime:us-east-1:112233445566:media-insights-pipeline-configuration/Record',
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(REQUIRED);
    expect(c).toMatchObject({
      tableName: 'calls',
      dueIndexName: 'due-index',
      bucket: 'recordings-bucket',
      prefix: '/originalAudio',
      partition: 'aws',
      voiceConnectorIds: [],
      logLevel: 'info',
      streamOrder: 'caller-first',
      finalizePolicy: 'both-legs',
      finalizeAfterMs: 60_000,
      maxCallDurationMs: 28_800_000,
      marginMs: 1_000,
      fragmentSelectorType: 'ProducerTimestamp',
      recordingFileFormat: 'Wav',
      invalidChars: 'sanitize',
      clientRequestToken: 'transactionId',
      requireBothLegs: false,
      stateTtlHours: 168,
      consistentReads: true,
      redactPii: true,
      trackPipelineStatus: true,
      writeMetadataJson: true,
      s3ForcePathStyle: false,
      pipelineMaxAttempts: 4,
      maxCreateAttempts: 5,
      claimLeaseMs: 300_000,
      sweepShards: 4,
    });
    // The 2023 sample's object name, `<callId>.wav`.
    expect(c.keyTemplate.source).toBe('{callId}');
  });

  it('lists every missing required variable at once', () => {
    expect(() => loadConfig({})).toThrow(
      'invalid configuration: CALL_TABLE: is required; RECORDING_BUCKET: is required; MEDIA_INSIGHT_PIPELINE_ARN: is required',
    );
  });

  it.each([
    [{ MEDIA_INSIGHT_PIPELINE_ARN: 'arn:aws:s3:::bucket' }, 'MEDIA_INSIGHT_PIPELINE_ARN: must be'],
    [{ RECORDING_BUCKET: 'Bad_Bucket' }, 'RECORDING_BUCKET: must be an S3 bucket name'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL: must be one of'],
    [{ REQUIRE_BOTH_LEGS: 'maybe' }, 'REQUIRE_BOTH_LEGS: must be true, false'],
    [{ FINALIZE_AFTER_MS: '1m' }, 'FINALIZE_AFTER_MS: must be a whole number'],
    [{ SWEEP_SHARDS: '0' }, 'SWEEP_SHARDS: must be at least 1'],
    [{ STREAM_ORDER: 'random' }, 'STREAM_ORDER: must be one of caller-first, callee-first'],
    [{ RECORDING_BUCKET_PREFIX: 'a b' }, 'RECORDING_BUCKET_PREFIX may only hold'],
    [{ RECORDING_KEY_TEMPLATE: '{date}' }, 'unknown placeholder {date}'],
  ])('rejects %j', (env, message) => {
    expect(() => loadConfig({ ...REQUIRED, ...env })).toThrow(
      expect.objectContaining({
        code: RecorderErrorCode.ConfigInvalid,
        message: expect.stringContaining(message),
      }),
    );
  });

  it('parses flags explicitly, so "false" is false', () => {
    const c = loadConfig({ ...REQUIRED, CONSISTENT_READS: 'false', REQUIRE_BOTH_LEGS: 'TRUE' });
    expect(c.consistentReads).toBe(false);
    expect(c.requireBothLegs).toBe(true);
  });

  it('keeps an explicitly empty prefix (bucket root) apart from an unset one', () => {
    expect(loadConfig({ ...REQUIRED, RECORDING_BUCKET_PREFIX: '' }).prefix).toBe('');
    expect(loadConfig({ ...REQUIRED, RECORDING_BUCKET_PREFIX: 'calls/' }).prefix).toBe('/calls');
  });

  it('reads comma-separated Voice Connectors, lower-case log levels and WARNING', () => {
    const c = loadConfig({ ...REQUIRED, VOICECONNECTOR_ID: ' a1, b2 ,', LOG_LEVEL: 'warning' });
    expect(c.voiceConnectorIds).toEqual(['a1', 'b2']);
    expect(c.logLevel).toBe('warn');
    expect(loadConfig({ ...REQUIRED, LOG_LEVEL: 'DEBUG' }).logLevel).toBe('debug');
  });

  it('takes the partition from the configuration ARN', () => {
    expect(
      loadConfig({
        ...REQUIRED,
        MEDIA_INSIGHT_PIPELINE_ARN:
          'arn:aws-us-gov:chime:us-gov-west-1:112233445566:media-insights-pipeline-configuration/R',
      }).partition,
    ).toBe('aws-us-gov');
  });
});

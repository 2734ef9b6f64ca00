import {
  ConfigError,
  envBool,
  envEnum,
  envInt,
  envList,
  envLogLevel,
  envString,
  type EnvOf,
  type LogLevel,
  parseEnv,
} from '@org/service-kit/env';
import {
  normalizePrefix,
  parseKeyTemplate,
  type InvalidCharsPolicy,
  type KeyTemplate,
} from './lib/destination';
import { RecorderError, RecorderErrorCode } from './lib/errors';

/** Default `RECORDING_KEY_TEMPLATE`: the object name the 2023 sample used. */
export const DEFAULT_KEY_TEMPLATE = '{callId}';

export type { LogLevel } from '@org/service-kit/env';

/** Everything the recorder needs, read once at cold start by {@link loadConfig}. */
export interface RecorderConfig {
  /** `CALL_TABLE`: the DynamoDB table (keys `pk`/`sk`, TTL attribute `ttl`). */
  tableName: string;
  /** `DUE_INDEX_NAME`: the sparse GSI (`dueShard`, `dueAtMs`) the finalize sweep reads. */
  dueIndexName: string;
  /** `RECORDING_BUCKET`. */
  bucket: string;
  /** `RECORDING_BUCKET_PREFIX`, normalised: `''` or `/a/b`. */
  prefix: string;
  /** `MEDIA_INSIGHT_PIPELINE_ARN`: the Media Insights Pipeline Configuration. */
  pipelineConfigurationArn: string;
  /** AWS partition of the configuration ARN; used for the S3 destination ARN. */
  partition: string;
  /** `VOICECONNECTOR_ID` (comma-separated); empty accepts every Voice Connector. */
  voiceConnectorIds: readonly string[];
  /** `LOG_LEVEL`. */
  logLevel: LogLevel;
  /** `STREAM_ORDER`: which leg's stream is first in `Streams`. */
  streamOrder: 'caller-first' | 'callee-first';
  /** `FINALIZE_POLICY`: when an event may create the pipeline without waiting for the sweep. */
  finalizePolicy: 'both-legs' | 'caller-ended';
  /** `FINALIZE_AFTER_MS`: how long after the first ENDED/FAILED the sweep records what exists. */
  finalizeAfterMs: number;
  /** `MAX_CALL_DURATION_MS`: a call with no ENDED at all is recorded this long after it started. */
  maxCallDurationMs: number;
  /** `RECORDING_MARGIN_MS`: added before the earliest start and after the latest end. */
  marginMs: number;
  /** `FRAGMENT_SELECTOR_TYPE`. */
  fragmentSelectorType: 'ProducerTimestamp' | 'ServerTimestamp';
  /** `RECORDING_FILE_FORMAT`. */
  recordingFileFormat: 'Wav' | 'Opus';
  /** `RECORDING_KEY_TEMPLATE`, parsed. */
  keyTemplate: KeyTemplate;
  /** `WRITE_METADATA_JSON`: write `<key>.json` next to each recording. */
  writeMetadataJson: boolean;
  /** `S3_FORCE_PATH_STYLE`: path-style S3 URLs (local S3 servers such as s3rver). */
  s3ForcePathStyle: boolean;
  /** `DESTINATION_INVALID_CHARS`. */
  invalidChars: InvalidCharsPolicy;
  /** `CLIENT_REQUEST_TOKEN`: `transactionId` (idempotent) or `none` (the SDK's random token). */
  clientRequestToken: 'transactionId' | 'none';
  /** `REQUIRE_BOTH_LEGS`: fail one-leg calls instead of recording the one stream. */
  requireBothLegs: boolean;
  /** `STATE_TTL_HOURS`: items expire this long after their last update. */
  stateTtlHours: number;
  /** `CONSISTENT_READS`. */
  consistentReads: boolean;
  /** `LOG_REDACT_PII`: keep phone numbers and SIP headers out of DEBUG event dumps too. */
  redactPii: boolean;
  /** `TRACK_PIPELINE_STATUS`: act on `Media Insights State Change` events. */
  trackPipelineStatus: boolean;
  /** `PIPELINE_MAX_ATTEMPTS`: SDK attempts per create (throttling, 5xx, network). */
  pipelineMaxAttempts: number;
  /** `PIPELINE_RETRY_BASE_MS`: first back-off of the in-invocation retries (doubles each time). */
  pipelineRetryBaseMs: number;
  /** `MAX_CREATE_ATTEMPTS`: invocations that may try a create before the call is marked failed. */
  maxCreateAttempts: number;
  /** `CREATE_RETRY_AFTER_MS`: when the sweep retries a create that stayed unavailable. */
  createRetryAfterMs: number;
  /** `CLAIM_LEASE_MS`: a claim older than this is taken over (a crashed invocation). */
  claimLeaseMs: number;
  /** `SWEEP_SHARDS`: partitions of the due index. */
  sweepShards: number;
  /** `SWEEP_BATCH_SIZE`: due calls read per page. */
  sweepBatchSize: number;
  /** `SDK_CONNECTION_TIMEOUT_MS`: every AWS SDK client gives up connecting after this long. */
  sdkConnectionTimeoutMs: number;
  /** `SDK_REQUEST_TIMEOUT_MS`: every AWS SDK request attempt fails after this long (TimeoutError). */
  sdkRequestTimeoutMs: number;
  /**
   * `DEADLINE_RESERVE_MS`: left to record outcomes at the end of an invocation; media-pipelines
   * and S3 calls still running when only this is left are aborted.
   */
  deadlineReserveMs: number;
}

const PIPELINE_CONFIG_ARN =
  /^arn:(aws[a-z-]*):chime:[a-z0-9-]+:\d{12}:media-insights-pipeline-configuration\/[\w.-]+$/;

const count = (def: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  envInt({ default: def, min, max });
const flag = (def: boolean) => envBool({ default: def });

// The service kit's helpers: trimmed values, empty = unset, one error naming every bad variable.
const envSchema = {
  CALL_TABLE: envString({
    pattern: /^[a-zA-Z0-9_.-]{3,255}$/,
    patternReason: 'must be a DynamoDB table name',
  }),
  DUE_INDEX_NAME: envString({
    default: 'due-index',
    pattern: /^[a-zA-Z0-9_.-]{3,255}$/,
    patternReason: 'must be an index name',
  }),
  RECORDING_BUCKET: envString({
    pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    patternReason: 'must be an S3 bucket name',
  }),
  // Read raw as well (see loadConfig): set-but-empty means the bucket root.
  RECORDING_BUCKET_PREFIX: envString({ optional: true }),
  MEDIA_INSIGHT_PIPELINE_ARN: envString({
    pattern: PIPELINE_CONFIG_ARN,
    patternReason:
      'must be arn:aws:chime:<region>:<account>:media-insights-pipeline-configuration/<name>',
  }),
  VOICECONNECTOR_ID: envList({ default: [] }),
  LOG_LEVEL: envLogLevel({ default: 'info' }),
  STREAM_ORDER: envEnum(['caller-first', 'callee-first'], { default: 'caller-first' }),
  FINALIZE_POLICY: envEnum(['both-legs', 'caller-ended'], { default: 'both-legs' }),
  FINALIZE_AFTER_MS: count(60_000, 0),
  MAX_CALL_DURATION_MS: count(8 * 3_600_000, 60_000),
  RECORDING_MARGIN_MS: count(1_000, 0, 600_000),
  FRAGMENT_SELECTOR_TYPE: envEnum(['ProducerTimestamp', 'ServerTimestamp'], {
    default: 'ProducerTimestamp',
  }),
  RECORDING_FILE_FORMAT: envEnum(['Wav', 'Opus'], { default: 'Wav' }),
  RECORDING_KEY_TEMPLATE: envString({ default: DEFAULT_KEY_TEMPLATE }),
  WRITE_METADATA_JSON: flag(true),
  S3_FORCE_PATH_STYLE: flag(false),
  DESTINATION_INVALID_CHARS: envEnum(['sanitize', 'reject'], { default: 'sanitize' }),
  CLIENT_REQUEST_TOKEN: envEnum(['transactionId', 'none'], { default: 'transactionId' }),
  REQUIRE_BOTH_LEGS: flag(false),
  STATE_TTL_HOURS: count(168, 1),
  CONSISTENT_READS: flag(true),
  LOG_REDACT_PII: flag(true),
  TRACK_PIPELINE_STATUS: flag(true),
  PIPELINE_MAX_ATTEMPTS: count(4, 1, 20),
  PIPELINE_RETRY_BASE_MS: count(200, 0, 60_000),
  MAX_CREATE_ATTEMPTS: count(5, 1, 100),
  CREATE_RETRY_AFTER_MS: count(60_000, 0),
  CLAIM_LEASE_MS: count(300_000, 1_000),
  SWEEP_SHARDS: count(4, 1, 64),
  SWEEP_BATCH_SIZE: count(50, 1, 1_000),
  SDK_CONNECTION_TIMEOUT_MS: count(1_000, 100, 60_000),
  SDK_REQUEST_TIMEOUT_MS: count(3_000, 100, 60_000),
  DEADLINE_RESERVE_MS: count(10_000, 0, 600_000),
};

/**
 * Reads and validates the recorder's environment once, at cold start. Variable names match the
 * 2023 sample (`CALL_TABLE`, `RECORDING_BUCKET`, `RECORDING_BUCKET_PREFIX`,
 * `MEDIA_INSIGHT_PIPELINE_ARN`, `VOICECONNECTOR_ID`, `LOG_LEVEL`); the rest are optional settings
 * with the defaults the README lists. AWS SDK variables (`AWS_REGION`, `AWS_ENDPOINT_URL*`) are
 * left to the SDK.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env);
 * ```
 * @throws RecorderError `CHIME_REC_ERR_CONFIG_INVALID` listing every bad or missing variable.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): RecorderConfig {
  let e: EnvOf<typeof envSchema>;
  try {
    e = parseEnv(envSchema, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new RecorderError(RecorderErrorCode.ConfigInvalid, err.message, {
      cause: err,
      details: { variables: err.issues.map((i) => i.variable) },
    });
  }
  const partition = PIPELINE_CONFIG_ARN.exec(e.MEDIA_INSIGHT_PIPELINE_ARN)?.[1] ?? 'aws';
  // Unset means the sample's CDK default; an explicit empty string means the bucket root.
  const rawPrefix = env['RECORDING_BUCKET_PREFIX'];
  return {
    tableName: e.CALL_TABLE,
    dueIndexName: e.DUE_INDEX_NAME,
    bucket: e.RECORDING_BUCKET,
    prefix: normalizePrefix(rawPrefix === undefined ? 'originalAudio' : rawPrefix),
    pipelineConfigurationArn: e.MEDIA_INSIGHT_PIPELINE_ARN,
    partition,
    voiceConnectorIds: e.VOICECONNECTOR_ID,
    logLevel: e.LOG_LEVEL,
    streamOrder: e.STREAM_ORDER,
    finalizePolicy: e.FINALIZE_POLICY,
    finalizeAfterMs: e.FINALIZE_AFTER_MS,
    maxCallDurationMs: e.MAX_CALL_DURATION_MS,
    marginMs: e.RECORDING_MARGIN_MS,
    fragmentSelectorType: e.FRAGMENT_SELECTOR_TYPE,
    recordingFileFormat: e.RECORDING_FILE_FORMAT,
    // The 2023 sample's name (`<callId>.wav`); see the README for why not the spec's transactionId.
    keyTemplate: parseKeyTemplate(e.RECORDING_KEY_TEMPLATE),
    writeMetadataJson: e.WRITE_METADATA_JSON,
    s3ForcePathStyle: e.S3_FORCE_PATH_STYLE,
    invalidChars: e.DESTINATION_INVALID_CHARS,
    clientRequestToken: e.CLIENT_REQUEST_TOKEN,
    requireBothLegs: e.REQUIRE_BOTH_LEGS,
    stateTtlHours: e.STATE_TTL_HOURS,
    consistentReads: e.CONSISTENT_READS,
    redactPii: e.LOG_REDACT_PII,
    trackPipelineStatus: e.TRACK_PIPELINE_STATUS,
    pipelineMaxAttempts: e.PIPELINE_MAX_ATTEMPTS,
    pipelineRetryBaseMs: e.PIPELINE_RETRY_BASE_MS,
    maxCreateAttempts: e.MAX_CREATE_ATTEMPTS,
    createRetryAfterMs: e.CREATE_RETRY_AFTER_MS,
    claimLeaseMs: e.CLAIM_LEASE_MS,
    sweepShards: e.SWEEP_SHARDS,
    sweepBatchSize: e.SWEEP_BATCH_SIZE,
    sdkConnectionTimeoutMs: e.SDK_CONNECTION_TIMEOUT_MS,
    sdkRequestTimeoutMs: e.SDK_REQUEST_TIMEOUT_MS,
    deadlineReserveMs: e.DEADLINE_RESERVE_MS,
  };
}

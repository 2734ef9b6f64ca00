import { z } from 'zod';
import {
  normalizePrefix,
  parseKeyTemplate,
  type InvalidCharsPolicy,
  type KeyTemplate,
} from './lib/destination';
import { RecorderError, RecorderErrorCode } from './lib/errors';

/** Default `RECORDING_KEY_TEMPLATE`: the object name the 2023 sample used. */
export const DEFAULT_KEY_TEMPLATE = '{callId}';

/** Log levels `LOG_LEVEL` accepts (case-insensitive). */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

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
}

const positiveInt = (name: string, def: number, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, `${name} must be at least ${min}`)
        .max(max, `${name} must be at most ${max}`),
    )
    .optional()
    .transform((v) => v ?? def);

const flag = (name: string, def: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    // Explicit, unlike the sample's Boolean("false") === true.
    .refine((v) => v === 'true' || v === 'false', `${name} must be "true" or "false"`)
    .transform((v) => v === 'true')
    .optional()
    .transform((v) => v ?? def);

const oneOf = <const T extends readonly [string, ...string[]]>(
  name: string,
  values: T,
  def: T[number],
) =>
  z
    .string()
    .trim()
    .refine((v): v is T[number] => (values as readonly string[]).includes(v), {
      message: `${name} must be one of ${values.join(', ')}`,
    })
    .optional()
    .transform((v) => (v ?? def) as T[number]);

const PIPELINE_CONFIG_ARN =
  /^arn:(aws[a-z-]*):chime:[a-z0-9-]+:\d{12}:media-insights-pipeline-configuration\/[\w.-]+$/;

const envSchema = z.object({
  CALL_TABLE: z
    .string()
    .trim()
    .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'CALL_TABLE must be a DynamoDB table name'),
  DUE_INDEX_NAME: z
    .string()
    .trim()
    .regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'DUE_INDEX_NAME must be an index name')
    .optional()
    .transform((v) => v ?? 'due-index'),
  RECORDING_BUCKET: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'RECORDING_BUCKET must be an S3 bucket name'),
  RECORDING_BUCKET_PREFIX: z.string().optional(),
  MEDIA_INSIGHT_PIPELINE_ARN: z
    .string()
    .trim()
    .regex(
      PIPELINE_CONFIG_ARN,
      'MEDIA_INSIGHT_PIPELINE_ARN must be arn:aws:chime:<region>:<account>:media-insights-pipeline-configuration/<name>',
    ),
  VOICECONNECTOR_ID: z.string().optional(),
  LOG_LEVEL: z
    .string()
    .trim()
    .toUpperCase()
    .transform((v) => (v === 'WARNING' ? 'WARN' : v))
    .refine(
      (v) => ['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(v),
      'LOG_LEVEL must be DEBUG, INFO, WARN or ERROR',
    )
    .optional()
    .transform((v) => (v ?? 'INFO') as LogLevel),
  STREAM_ORDER: oneOf('STREAM_ORDER', ['caller-first', 'callee-first'], 'caller-first'),
  FINALIZE_POLICY: oneOf('FINALIZE_POLICY', ['both-legs', 'caller-ended'], 'both-legs'),
  FINALIZE_AFTER_MS: positiveInt('FINALIZE_AFTER_MS', 60_000, 0),
  MAX_CALL_DURATION_MS: positiveInt('MAX_CALL_DURATION_MS', 8 * 3_600_000, 60_000),
  RECORDING_MARGIN_MS: positiveInt('RECORDING_MARGIN_MS', 1_000, 0, 600_000),
  FRAGMENT_SELECTOR_TYPE: oneOf(
    'FRAGMENT_SELECTOR_TYPE',
    ['ProducerTimestamp', 'ServerTimestamp'],
    'ProducerTimestamp',
  ),
  RECORDING_FILE_FORMAT: oneOf('RECORDING_FILE_FORMAT', ['Wav', 'Opus'], 'Wav'),
  RECORDING_KEY_TEMPLATE: z.string().trim().min(1).optional(),
  WRITE_METADATA_JSON: flag('WRITE_METADATA_JSON', true),
  S3_FORCE_PATH_STYLE: flag('S3_FORCE_PATH_STYLE', false),
  DESTINATION_INVALID_CHARS: oneOf('DESTINATION_INVALID_CHARS', ['sanitize', 'reject'], 'sanitize'),
  CLIENT_REQUEST_TOKEN: oneOf('CLIENT_REQUEST_TOKEN', ['transactionId', 'none'], 'transactionId'),
  REQUIRE_BOTH_LEGS: flag('REQUIRE_BOTH_LEGS', false),
  STATE_TTL_HOURS: positiveInt('STATE_TTL_HOURS', 168, 1),
  CONSISTENT_READS: flag('CONSISTENT_READS', true),
  LOG_REDACT_PII: flag('LOG_REDACT_PII', true),
  TRACK_PIPELINE_STATUS: flag('TRACK_PIPELINE_STATUS', true),
  PIPELINE_MAX_ATTEMPTS: positiveInt('PIPELINE_MAX_ATTEMPTS', 4, 1, 20),
  PIPELINE_RETRY_BASE_MS: positiveInt('PIPELINE_RETRY_BASE_MS', 200, 0, 60_000),
  MAX_CREATE_ATTEMPTS: positiveInt('MAX_CREATE_ATTEMPTS', 5, 1, 100),
  CREATE_RETRY_AFTER_MS: positiveInt('CREATE_RETRY_AFTER_MS', 60_000, 0),
  CLAIM_LEASE_MS: positiveInt('CLAIM_LEASE_MS', 300_000, 1_000),
  SWEEP_SHARDS: positiveInt('SWEEP_SHARDS', 4, 1, 64),
  SWEEP_BATCH_SIZE: positiveInt('SWEEP_BATCH_SIZE', 50, 1, 1_000),
});

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
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.code === 'invalid_type' && i.path.length === 1
        ? `${String(i.path[0])} is required`
        : i.message,
    );
    throw new RecorderError(
      RecorderErrorCode.ConfigInvalid,
      `invalid configuration: ${problems.join('; ')}`,
      { details: { variables: parsed.error.issues.map((i) => i.path.join('.')) } },
    );
  }
  const e = parsed.data;
  const partition = PIPELINE_CONFIG_ARN.exec(e.MEDIA_INSIGHT_PIPELINE_ARN)?.[1] ?? 'aws';
  return {
    tableName: e.CALL_TABLE,
    dueIndexName: e.DUE_INDEX_NAME,
    bucket: e.RECORDING_BUCKET,
    // Unset means the CDK default of the sample; an explicit empty string means the bucket root.
    prefix: normalizePrefix(e.RECORDING_BUCKET_PREFIX ?? 'originalAudio'),
    pipelineConfigurationArn: e.MEDIA_INSIGHT_PIPELINE_ARN,
    partition,
    voiceConnectorIds: (e.VOICECONNECTOR_ID ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    logLevel: e.LOG_LEVEL,
    streamOrder: e.STREAM_ORDER,
    finalizePolicy: e.FINALIZE_POLICY,
    finalizeAfterMs: e.FINALIZE_AFTER_MS,
    maxCallDurationMs: e.MAX_CALL_DURATION_MS,
    marginMs: e.RECORDING_MARGIN_MS,
    fragmentSelectorType: e.FRAGMENT_SELECTOR_TYPE,
    recordingFileFormat: e.RECORDING_FILE_FORMAT,
    // The 2023 sample's name (`<callId>.wav`); see the README for why not the spec's transactionId.
    keyTemplate: parseKeyTemplate(e.RECORDING_KEY_TEMPLATE ?? DEFAULT_KEY_TEMPLATE),
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
  };
}

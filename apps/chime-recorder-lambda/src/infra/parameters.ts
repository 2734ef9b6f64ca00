// The stack parameters: environment variables read once by `nx run chime-recorder-lambda:synth`,
// with the 2023 sample's names where it had them (OUTPUT_BUCKET, RECORDING_BUCKET_PREFIX,
// BUILD_ASTERISK, SIPREC_CIDRS, LOG_LEVEL, REMOVAL_POLICY).
import {
  alarmEmailParam,
  appSettingsParam,
  boolParam,
  intParam,
  invalidParameters,
  listParam,
  optionalParam,
  type ParameterEnv,
  readStackParameters,
} from '@org/infra';
import { RemovalPolicy } from 'aws-cdk-lib';
import { z } from 'zod';
import { loadConfig } from '../config';
import { FUNCTION_TIMEOUT } from './recorder-function';
import {
  normalizeRecordingPrefix,
  recordingPrefixProblem,
  STACK_SET_SETTINGS,
} from './recorder-settings';

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** A comma-separated list of IPv4 CIDRs; the Voice Connector's allowlist takes /27 or larger prefixes only. */
function cidrList(minPrefix: number) {
  return listParam().refine(
    (items) =>
      items.every((c) => {
        const m = CIDR.exec(c);
        return (
          m !== null &&
          m.slice(1, 5).every((o) => Number(o) <= 255) &&
          Number(m[5]) >= minPrefix &&
          Number(m[5]) <= 32
        );
      }),
    { message: `expected IPv4 CIDRs such as 198.51.100.0/27 (prefix ${minPrefix}–32)` },
  );
}

/** Placeholders for the values the stack sets itself, so APP_SETTINGS can be checked at synth. */
const STACK_SET = {
  CALL_TABLE: 'synth-check',
  RECORDING_BUCKET: 'synth-check-bucket',
  MEDIA_INSIGHT_PIPELINE_ARN:
    'arn:aws:chime:us-east-1:111122223333:media-insights-pipeline-configuration/synth-check',
};

// Further recorder settings as JSON (the stack's own values cannot be overridden here: its
// permissions follow them), checked by the recorder's own configuration loader.
const settings = appSettingsParam({ refused: STACK_SET_SETTINGS }).transform((parsed, ctx) => {
  try {
    loadConfig({ ...parsed, ...STACK_SET });
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : String(err) });
    return z.NEVER;
  }
  return parsed;
});

const schema = z
  .object({
    STACK_NAME: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/)
      .default('ChimeRecorder'),
    TAG_OWNER: optionalParam(),
    // Subscribed to the alarm topic (the function's errors and throttles, the failure queue).
    ALARM_EMAIL: alarmEmailParam(),
    OUTPUT_BUCKET: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name')
      .optional(),
    // Unset: originalAudio; set but empty (kept by readRecorderParameters): the bucket root.
    RECORDING_BUCKET_PREFIX: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const problem = v === undefined ? undefined : recordingPrefixProblem(v);
        if (problem !== undefined) {
          ctx.addIssue({ code: 'custom', message: problem });
          return z.NEVER;
        }
        return normalizeRecordingPrefix(v);
      }),
    // Accepted as in the sample (DESTROY, RETAIN, SNAPSHOT; any case). SNAPSHOT means RETAIN here:
    // nothing in this stack can be snapshotted. The default is RETAIN, not the sample's DESTROY.
    REMOVAL_POLICY: z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(['destroy', 'retain', 'snapshot']))
      .default('retain')
      .transform((v) => (v === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN)),
    // Unset: on unless SIPREC_CIDRS is set (see readRecorderParameters).
    BUILD_ASTERISK: z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .optional()
      .transform((v) => (v === undefined ? undefined : ['true', '1', 'yes'].includes(v))),
    SIPREC_CIDRS: cidrList(27),
    VOICECONNECTOR_ID: z
      .string()
      .regex(/^[a-z0-9]{1,64}$/, 'expected a Voice Connector id')
      .optional(),
    VOICE_CONNECTOR_ENCRYPTION: boolParam(false),
    KVS_RETENTION_HOURS: intParam(24, 1, 87_600),
    RECORDING_EXPIRATION_DAYS: intParam(0, 0, 36_500),
    // Every level the recorder reads (the sample's four among them), as APP_SETTINGS cannot set it.
    LOG_LEVEL: z
      .string()
      .transform((v) => v.toUpperCase())
      .pipe(z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'WARNING', 'ERROR', 'FATAL', 'SILENT']))
      .default('INFO'),
    // Subscribe to Media Insights State Change and act on it (the function's TRACK_PIPELINE_STATUS).
    TRACK_PIPELINE_STATUS: boolParam(true),
    ASTERISK_INSTANCE_TYPE: z
      .string()
      .regex(/^[a-z0-9]+\.[a-z0-9]+$/)
      .default('t4g.small'),
    VOICE_CONNECTOR_CIDRS: cidrList(8),
    APP_SETTINGS: settings,
  })
  .superRefine((p, ctx) => {
    const asterisk = p.BUILD_ASTERISK ?? p.SIPREC_CIDRS.length === 0;
    if (asterisk && p.SIPREC_CIDRS.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['BUILD_ASTERISK'],
        message: 'cannot be true together with SIPREC_CIDRS (the sample allows one or the other)',
      });
    }
    if (asterisk && p.VOICECONNECTOR_ID !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['BUILD_ASTERISK'],
        message:
          'the test PBX needs the Voice Connector this stack creates (unset VOICECONNECTOR_ID)',
      });
    }
  });

/**
 * The timing rules between the recorder's settings (APP_SETTINGS, else their defaults), the
 * function's timeout and the KVS retention that synthesis checks, as one problem line each:
 * - `CLAIM_LEASE_MS` longer than the function's timeout, or a claim lapses while its invocation
 *   still runs and another one takes the call over (two creates for one call);
 * - `DEADLINE_RESERVE_MS` + 5 s (the sweep's margin) at least half the function's timeout, or an
 *   invocation aborts its calls, or stops its sweep, almost as soon as it starts;
 * - the KVS retention longer than the latest moment a create may still read the call's audio:
 *   `MAX_CALL_DURATION_MS` + `FINALIZE_AFTER_MS` + `CREATE_RETRY_AFTER_MS` × `MAX_CREATE_ATTEMPTS`
 *   (only when the stack sets that retention: `kvsRetentionHours` is undefined for an existing
 *   Voice Connector, `VOICECONNECTOR_ID`, whose streaming settings are its owner's).
 *
 * @example
 * ```ts
 * timingProblems({ CLAIM_LEASE_MS: '30000' }, 24); // ['APP_SETTINGS: CLAIM_LEASE_MS (30000 ms) must exceed …']
 * ```
 */
export function timingProblems(
  settings: Readonly<Record<string, string>>,
  kvsRetentionHours: number | undefined,
): string[] {
  const c = loadConfig({ ...settings, ...STACK_SET });
  const problems: string[] = [];
  const timeoutMs = FUNCTION_TIMEOUT.toMilliseconds();
  if (c.claimLeaseMs <= timeoutMs) {
    problems.push(
      `APP_SETTINGS: CLAIM_LEASE_MS (${c.claimLeaseMs} ms) must exceed the function's timeout (${timeoutMs} ms): a claim that lapses while its invocation runs is taken over, and the call's pipeline is created twice`,
    );
  }
  // The sweep stops with the reserve + 5 s left; a reserve near the timeout leaves no sweep.
  if (c.deadlineReserveMs + 5_000 >= timeoutMs / 2) {
    problems.push(
      `APP_SETTINGS: DEADLINE_RESERVE_MS (${c.deadlineReserveMs} ms) + 5000 ms must be under half the function's timeout (${timeoutMs} ms): every invocation would abort its calls, or stop its sweep, almost at once`,
    );
  }
  const lastCreateMs =
    c.maxCallDurationMs + c.finalizeAfterMs + c.createRetryAfterMs * c.maxCreateAttempts;
  if (kvsRetentionHours === undefined) return problems;
  const retentionMs = kvsRetentionHours * 3_600_000;
  if (retentionMs <= lastCreateMs) {
    problems.push(
      `KVS_RETENTION_HOURS: ${kvsRetentionHours} h (${retentionMs} ms) must exceed MAX_CALL_DURATION_MS + FINALIZE_AFTER_MS + CREATE_RETRY_AFTER_MS × MAX_CREATE_ATTEMPTS (${c.maxCallDurationMs} + ${c.finalizeAfterMs} + ${c.createRetryAfterMs} × ${c.maxCreateAttempts} = ${lastCreateMs} ms): KVS would drop a long call's audio before its last create attempt; raise KVS_RETENTION_HOURS or lower those settings`,
    );
  }
  return problems;
}

/** The validated stack parameters. */
export type RecorderStackParameters = z.output<typeof schema> & {
  /** Whether the test PBX is built (BUILD_ASTERISK, default: on unless SIPREC_CIDRS is set). */
  buildAsterisk: boolean;
};

/**
 * Reads the stack parameters from the environment. `BUILD_ASTERISK` defaults to `true` (as in
 * the sample) unless `SIPREC_CIDRS` is set; asking for both is an error, as the sample says.
 * `RECORDING_BUCKET_PREFIX` unset is `originalAudio`, set but empty is `''` (the bucket root);
 * `APP_SETTINGS` may not name a setting the stack sets itself (see `STACK_SET_SETTINGS`), and
 * the timings must fit together (see {@link timingProblems}).
 *
 * @example
 * ```ts
 * const params = readRecorderParameters(process.env);
 * ```
 * @throws InfraError `INFRA_ERR_PARAMETERS` naming every bad variable.
 */
export function readRecorderParameters(env: ParameterEnv): RecorderStackParameters {
  const p = readStackParameters(schema, env, { keepEmpty: ['RECORDING_BUCKET_PREFIX'] });
  // An existing Voice Connector (VOICECONNECTOR_ID) keeps its own streaming retention.
  const retention = p.VOICECONNECTOR_ID === undefined ? p.KVS_RETENTION_HOURS : undefined;
  const timing = timingProblems(p.APP_SETTINGS, retention);
  if (timing.length > 0) throw invalidParameters(timing);
  return { ...p, buildAsterisk: p.BUILD_ASTERISK ?? p.SIPREC_CIDRS.length === 0 };
}

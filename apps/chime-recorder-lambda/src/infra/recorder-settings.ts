// The values the stack derives both the recorder's environment and its permissions from: the
// recordings' key prefix (one normalised value for the Lambda's RECORDING_BUCKET_PREFIX, the
// pipelines' S3 grant and the metadata writer's S3 grant) and the settings only the stack sets.
import { appSettingsProblems, InfraError, InfraErrorCode } from '@org/infra';
import { PREFIX_PATTERN, trimPrefix } from '../lib/destination';

/** The prefix when `RECORDING_BUCKET_PREFIX` is unset (the 2023 sample's). */
export const DEFAULT_RECORDING_PREFIX = 'originalAudio';

/** Longest prefix accepted: leaves room for the bucket and object name in the 1,024-character destination ARN. */
const MAX_PREFIX_LENGTH = 512;

/**
 * Why `prefix` (trimmed by the recorder's own `trimPrefix`) cannot be the recordings' key
 * prefix, or `undefined` when it can. `''` (the bucket root) can.
 */
function prefixProblem(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  if (!PREFIX_PATTERN.test(prefix)) {
    return 'may only hold letters, digits, "-", "_", "." and "/" (the characters CreateMediaInsightsPipeline accepts in a recording destination)';
  }
  const segments = prefix.split('/');
  if (segments.some((s) => s === '.' || s.includes('..'))) {
    return 'must not hold ".." or a "." segment (S3 tools read them as relative paths)';
  }
  if (prefix.length > MAX_PREFIX_LENGTH) {
    return `must be at most ${MAX_PREFIX_LENGTH} characters (the recording destination ARN is limited to 1,024)`;
  }
  return undefined;
}

/**
 * Why `raw` cannot be the recordings' key prefix (ending with the value itself), or `undefined`
 * when it can; `''` (the bucket root) can.
 *
 * @example
 * ```ts
 * recordingPrefixProblem('a/../b'); // 'must not hold ".." or a "." segment (…): "a/../b"'
 * ```
 */
export function recordingPrefixProblem(raw: string): string | undefined {
  const problem = prefixProblem(trimPrefix(raw));
  return problem === undefined ? undefined : `${problem}: ${JSON.stringify(raw)}`;
}

/**
 * The recordings' key prefix as the stack uses it everywhere: unset gives
 * {@link DEFAULT_RECORDING_PREFIX}, `''` (set but empty, or only `/`) the bucket root, anything
 * else is trimmed and loses its surrounding `/` (and doubled ones). The result has no surrounding
 * `/`, so the recorder's own normalisation (`normalizePrefix`) gives the keys the S3 grants cover.
 *
 * @example
 * ```ts
 * normalizeRecordingPrefix(undefined); // 'originalAudio'
 * normalizeRecordingPrefix(''); // '' (bucket root)
 * normalizeRecordingPrefix('/calls//2024/'); // 'calls/2024'
 * ```
 * @throws InfraError `INFRA_ERR_INVALID_PROPS` for `..` or a `.` segment, characters outside
 *   `[-_.a-zA-Z0-9/]`, or more than 512 characters.
 */
export function normalizeRecordingPrefix(raw: string | undefined): string {
  if (raw === undefined) return DEFAULT_RECORDING_PREFIX;
  const problem = recordingPrefixProblem(raw);
  if (problem !== undefined) {
    throw new InfraError(InfraErrorCode.InvalidProps, `RECORDING_BUCKET_PREFIX ${problem}`);
  }
  return trimPrefix(raw);
}

/**
 * Recorder settings the stack sets from its own resources and parameters, with where each comes
 * from. `APP_SETTINGS` may not name them: the permissions and resources follow the stack's value,
 * so a different one in the function's environment would make them disagree (and a value in
 * `APP_SETTINGS` would silently win over the parameter of the same name).
 */
export const STACK_SET_SETTINGS: Readonly<Record<string, string>> = {
  RECORDING_BUCKET_PREFIX:
    'set the RECORDING_BUCKET_PREFIX variable itself (the S3 permissions are derived from it)',
  RECORDING_BUCKET: 'set by the stack (its bucket, or OUTPUT_BUCKET)',
  CALL_TABLE: 'set by the stack (the call table it creates)',
  DUE_INDEX_NAME: "set by the stack (the call table's index)",
  MEDIA_INSIGHT_PIPELINE_ARN: 'set by the stack (the pipeline configuration it creates)',
  VOICECONNECTOR_ID: 'set by the stack (the connector it creates, or VOICECONNECTOR_ID)',
  LOG_LEVEL: 'set the LOG_LEVEL variable itself (the stack gives the function that value)',
  TRACK_PIPELINE_STATUS:
    'set the TRACK_PIPELINE_STATUS variable itself (the stack subscribes the function to Media Insights State Change events by it)',
};

/**
 * One line per setting in `settings` that only the stack may set (see
 * {@link STACK_SET_SETTINGS}), and per setting no stack takes from APP_SETTINGS (AWS credentials,
 * a URL with credentials: `@org/infra`'s `appSettingsProblems`); empty when there is none.
 *
 * @example
 * ```ts
 * stackSetSettingProblems({ RECORDING_BUCKET_PREFIX: '' });
 * // ['RECORDING_BUCKET_PREFIX cannot be in APP_SETTINGS: set the RECORDING_BUCKET_PREFIX variable itself (…)']
 * ```
 */
export function stackSetSettingProblems(settings: Readonly<Record<string, string>>): string[] {
  return appSettingsProblems(settings, { refused: STACK_SET_SETTINGS });
}

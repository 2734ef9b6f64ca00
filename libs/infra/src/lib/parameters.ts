// Stack parameters: environment variables read once when a stack is synthesised, validated with
// zod. The caller (an app's synth entry) passes the environment; this library never reads it.

import { RemovalPolicy, aws_logs as logs } from 'aws-cdk-lib';
import { z } from 'zod';
import { InfraError, InfraErrorCode } from './errors';

/** The environment variables as the app's entry point passes them (name → value or unset). */
export type ParameterEnv = Readonly<Record<string, string | undefined>>;

/** Options of {@link readStackParameters}. */
export interface ReadStackParametersOptions<K extends string> {
  /**
   * Variables whose set-but-empty value (`VAR=`, or only spaces) reaches the schema as `''`
   * instead of counting as unset, for parameters where empty has its own documented meaning
   * (e.g. a key prefix where `''` is the bucket root). Unset variables stay `undefined`.
   * @default []
   */
  readonly keepEmpty?: readonly K[];
}

/**
 * Validates the stack parameters in `env` against `schema` (a zod object whose keys are the
 * variable names). Values are trimmed; empty strings count as unset, so `VAR=` keeps a default,
 * except for the variables listed in `options.keepEmpty`, which receive `''`.
 *
 * @throws InfraError `INFRA_ERR_PARAMETERS` naming every bad variable on one line each.
 * @example
 * ```ts
 * const params = readStackParameters(
 *   z.object({ APPLICATION_DOMAIN: z.string(), TAG_OWNER: optionalParam() }),
 *   environment, // given by the app's synth entry
 * );
 * // `KEY_PREFIX=` gives '' (not the default) to the schema:
 * readStackParameters(z.object({ KEY_PREFIX: z.string().default('in') }), environment, {
 *   keepEmpty: ['KEY_PREFIX'],
 * });
 * ```
 */
export function readStackParameters<S extends z.ZodObject>(
  schema: S,
  env: ParameterEnv,
  options: ReadStackParametersOptions<Extract<keyof S['shape'], string>> = {},
): z.output<S> {
  const keepEmpty = new Set<string>(options.keepEmpty ?? []);
  const source: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key]?.trim();
    source[key] = value === '' && !keepEmpty.has(key) ? undefined : value;
  }
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw invalidParameters(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`),
    );
  }
  return parsed.data;
}

/**
 * The `INFRA_ERR_PARAMETERS` error for problems found after {@link readStackParameters} (settings
 * that do not fit together): `invalid stack parameters:` and one indented line per problem, as
 * {@link readStackParameters} words its own.
 *
 * @example
 * ```ts
 * const problems = ['APP_SETTINGS: CLAIM_LEASE_MS (30000 ms) must exceed the timeout (60000 ms)'];
 * if (problems.length > 0) throw invalidParameters(problems);
 * ```
 */
export function invalidParameters(problems: readonly string[]): InfraError {
  return new InfraError(
    InfraErrorCode.Parameters,
    `invalid stack parameters:\n${problems.map((p) => `  ${p}`).join('\n')}`,
  );
}

/**
 * An optional text parameter (`undefined` when unset).
 * @example
 * ```ts
 * z.object({ TAG_OWNER: optionalParam() });
 * ```
 */
export function optionalParam() {
  return z.string().min(1).optional();
}

/**
 * A whole number parameter with a default and bounds.
 * @example
 * ```ts
 * z.object({ MAX_TASKS: intParam(4, 1, 100) });
 * ```
 */
export function intParam(fallback: number, min: number, max: number) {
  return z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .optional()
    .transform((v) => (v === undefined ? fallback : Number(v)))
    .pipe(z.number().int().min(min).max(max));
}

/**
 * A boolean parameter (`true`/`false`, `1`/`0`, `yes`/`no`) with a default.
 * @example
 * ```ts
 * z.object({ DASHBOARD_PUBLIC: boolParam(false) });
 * ```
 */
export function boolParam(fallback: boolean) {
  return z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes'].includes(v)));
}

/**
 * `retain` (default) or `destroy`: what a teardown does with the stores that hold data
 * (buckets, file systems, log groups).
 * @example
 * ```ts
 * z.object({ REMOVAL_POLICY: removalPolicyParam() });
 * ```
 */
export function removalPolicyParam() {
  return z
    .enum(['retain', 'destroy'])
    .default('retain')
    .transform((v) => (v === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN));
}

/**
 * An item without a single or double quote at its start and at its end (`'a'`, `"a"`), each end
 * on its own: a `.env` loader strips the outer pair of `'a','b'`, leaving `a'` and `'b`.
 */
function unquote(item: string): string {
  return item.replace(/^['"]|['"]$/g, '').trim();
}

/**
 * A comma-separated list parameter (empty items dropped). Each item may be quoted, as the seeds
 * write lists (`'198.51.100.0/27','198.51.100.128/27'`): one pair of surrounding single or double
 * quotes is removed from each item, also when a loader already took off the outer pair (a `.env`
 * line `SIPREC_CIDRS='a','b'` reads `a','b`).
 * @example
 * ```ts
 * z.object({ SIPREC_CIDRS: listParam() });
 * ```
 */
export function listParam() {
  return z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((s) => unquote(s.trim()))
        .filter((s) => s !== ''),
    );
}

/** The retention periods CloudWatch Logs accepts, in days. */
const RETENTION_DAYS = Object.values(logs.RetentionDays).filter(
  (v): v is logs.RetentionDays => typeof v === 'number' && v !== logs.RetentionDays.INFINITE,
);

/**
 * A log retention in days, one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, ...).
 * @example
 * ```ts
 * z.object({ LOG_RETENTION_DAYS: logRetentionParam(30) });
 * ```
 */
export function logRetentionParam(fallback: logs.RetentionDays) {
  return intParam(fallback, 1, 3653)
    .refine((v) => (RETENTION_DAYS as number[]).includes(v), {
      message: `must be one of ${RETENTION_DAYS.join(', ')}`,
    })
    .transform((v) => v as logs.RetentionDays);
}

/** Account and region of a stack, from the environment {@link stackEnvironment} reads. */
export interface StackEnvironment {
  /** Unset: the stack deploys to the account of the credentials in use. */
  readonly account?: string;
  readonly region: string;
  /** True when no region variable was set and `us-east-1` was assumed. */
  readonly regionAssumed: boolean;
}

/**
 * The target account and region: `CDK_DEFAULT_ACCOUNT` (set by the CDK CLI), and the first of
 * `AWS_REGION`, `AWS_DEFAULT_REGION`, `CDK_DEFAULT_REGION`, else `us-east-1`. The region is always
 * concrete because load balancer access logging needs it at synthesis.
 *
 * @example
 * ```ts
 * const { regionAssumed, ...env } = stackEnvironment(environment); // from the synth entry
 * new MyStack(app, 'My', { env });
 * ```
 */
export function stackEnvironment(env: ParameterEnv): StackEnvironment {
  const pick = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const region = pick('AWS_REGION') ?? pick('AWS_DEFAULT_REGION') ?? pick('CDK_DEFAULT_REGION');
  const account = pick('CDK_DEFAULT_ACCOUNT');
  return {
    ...(account === undefined ? {} : { account }),
    region: region ?? 'us-east-1',
    regionAssumed: region === undefined,
  };
}

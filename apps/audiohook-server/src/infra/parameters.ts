// The stack's parameters: environment variables read when it is synthesised. The names of the
// vendor sample's deployment (.env of its CDK app) are kept: HOSTED_ZONE_NAME,
// APPLICATION_DOMAIN, CERTIFICATE_ARN, SECRET_NAME, TAG_OWNER.

import {
  alarmEmailParam,
  appSettingsParam,
  boolParam,
  intParam,
  listParam,
  logRetentionParam,
  optionalParam,
  readStackParameters,
  removalPolicyParam,
  secretSettings,
  type ParameterEnv,
} from '@org/infra';
import { isSecretField } from '@org/service-kit';
import { z } from 'zod';
import { ENV_SHAPE } from '../config';

/** Used when APPLICATION_DOMAIN is unset, so that synthesis works on a fresh clone. */
export const EXAMPLE_DOMAIN = 'audiohook.example.com';

/** The server's settings its configuration marks secret: never plain environment variables. */
export const SECRET_SETTINGS: readonly string[] = Object.entries(ENV_SHAPE)
  .filter(([, field]) => isSecretField(field))
  .map(([name]) => name);

/** Where a secret setting goes instead of APP_SETTINGS. */
function secretHint(name: string): string {
  const appSecrets = `put it in a Secrets Manager secret and name that secret in APP_SECRETS ('{"${name}":"<secret name or full ARN>"}')`;
  return name === 'STATIC_API_KEY_MAP'
    ? `put the keys in the API key secret instead (SECRET_NAME, or the secret the stack creates: output apiKeySecretArn), or ${appSecrets}`
    : appSecrets;
}

// Secrets injected at task start: { "<secret setting>": "<secret name or full ARN>" }.
const appSecrets = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return {};
    const parsed = z.record(z.string(), z.string().min(1)).safeParse(safeJson(v));
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object of secret names or ARNs' });
      return z.NEVER;
    }
    const other = Object.keys(parsed.data).filter((name) => !SECRET_SETTINGS.includes(name));
    for (const name of other) {
      ctx.addIssue({
        code: 'custom',
        message: `${name} is not a secret setting of the server (${SECRET_SETTINGS.join(', ')}); plain settings go in APP_SETTINGS`,
      });
    }
    return other.length > 0 ? z.NEVER : parsed.data;
  });

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const schema = z
  .object({
    STACK_NAME: z.string().default('AudioHookServer'),
    APPLICATION_DOMAIN: z.string().default(EXAMPLE_DOMAIN),
    HOSTED_ZONE_NAME: optionalParam(),
    HOSTED_ZONE_ID: optionalParam(),
    CERTIFICATE_ARN: optionalParam(),
    SECRET_NAME: optionalParam(),
    TAG_OWNER: optionalParam(),
    REMOVAL_POLICY: removalPolicyParam(),
    INGRESS_CIDRS: listParam(),
    NAT_GATEWAYS: intParam(1, 1, 3),
    TASK_CPU: intParam(1024, 256, 16384),
    TASK_MEMORY_MIB: intParam(2048, 512, 122880),
    ARM64: boolParam(false),
    EPHEMERAL_STORAGE_GIB: intParam(50, 21, 200),
    RECORDINGS_ON_EFS: boolParam(false),
    MIN_TASKS: intParam(1, 1, 100),
    MAX_TASKS: intParam(10, 1, 1000),
    SESSIONS_PER_TASK: intParam(1000, 1, 100_000),
    CPU_TARGET_PERCENT: intParam(70, 10, 95),
    DEREGISTRATION_DELAY_S: intParam(900, 0, 3600),
    RECORDING_RETENTION_DAYS: intParam(0, 0, 36500),
    LOG_RETENTION_DAYS: logRetentionParam(30),
    METRIC_NAMESPACE: z.string().default('AudioHook'),
    ALARM_EMAIL: alarmEmailParam(),
    APP_SETTINGS: appSettingsParam({ refused: secretSettings(SECRET_SETTINGS, secretHint) }),
    APP_SECRETS: appSecrets,
  })
  .refine((p) => (p.HOSTED_ZONE_NAME === undefined) === (p.HOSTED_ZONE_ID === undefined), {
    message:
      'HOSTED_ZONE_NAME and HOSTED_ZONE_ID go together: synthesis is offline, so the zone is not looked up (its id: aws route53 list-hosted-zones-by-name --dns-name <zone>)',
    path: ['HOSTED_ZONE_ID'],
  })
  .refine((p) => p.MIN_TASKS <= p.MAX_TASKS, {
    message: 'must not exceed MAX_TASKS',
    path: ['MIN_TASKS'],
  });

/** The validated parameters. */
export type AudioHookParameters = z.output<typeof schema>;

/**
 * Reads the parameters from `env` (normally `process.env`).
 *
 * @example
 * ```ts
 * const params = readAudioHookParameters({ APPLICATION_DOMAIN: 'audiohook.example.com' });
 * ```
 */
export function readAudioHookParameters(env: ParameterEnv): AudioHookParameters {
  return readStackParameters(schema, env);
}

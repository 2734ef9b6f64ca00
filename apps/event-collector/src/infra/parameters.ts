// The stack's parameters: environment variables read when it is synthesised.

import {
  alarmEmailParam,
  appSettingsParam,
  boolParam,
  intParam,
  logRetentionParam,
  optionalParam,
  readStackParameters,
  removalPolicyParam,
  secretSettings,
  type ParameterEnv,
} from '@org/infra';
import { isSecretField } from '@org/service-kit/env';
import { z } from 'zod';
import { envSchema } from '../config';

/**
 * URL settings the collector marks secret only so that a rejected value is never echoed: they
 * may be in APP_SETTINGS, without credentials (checked for every URL there).
 */
const URL_SETTINGS = ['GENESYS_LOGIN_BASE_URL', 'GENESYS_API_BASE_URL', 'ELASTIC_URL'];

/** The secret settings of the collector's configuration (URLs aside): never plain variables. */
export const SECRET_SETTINGS: readonly string[] = Object.entries(envSchema.shape)
  .filter(([name, field]) => isSecretField(field) && !URL_SETTINGS.includes(name))
  .map(([name]) => name);

const FROM_SECRET =
  'put it in the secret GENESYS_SECRET_NAME names (the stack injects GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET and, with ELASTIC_URL, ELASTIC_AUTH from it)';

/** What APP_SETTINGS may not carry. */
const APP_SETTINGS_RULES = {
  refused: {
    ...secretSettings(SECRET_SETTINGS, FROM_SECRET),
    GENESYS_CLIENT_ID:
      'the stack injects it from the secret GENESYS_SECRET_NAME names (with GENESYS_CLIENT_SECRET); put it there',
    EMF_NAMESPACE:
      'the stack sets it from METRIC_NAMESPACE, the namespace the NoLeader alarm watches; set METRIC_NAMESPACE instead',
  },
  urlCredentials:
    'give the URL without them, and for ELASTIC_URL put them in ELASTIC_AUTH ("user:pass") in the secret GENESYS_SECRET_NAME names',
};

const schema = z.object({
  STACK_NAME: z.string().default('EventCollector'),
  GENESYS_ENV: optionalParam(),
  GENESYS_SECRET_NAME: z.string().default('event-collector/genesys'),
  ELASTIC_URL: optionalParam(),
  TAG_OWNER: optionalParam(),
  REMOVAL_POLICY: removalPolicyParam(),
  NAT_GATEWAYS: intParam(1, 1, 3),
  TASKS: intParam(2, 1, 10),
  TASK_CPU: intParam(256, 256, 16384),
  TASK_MEMORY_MIB: intParam(512, 512, 122880),
  ARM64: boolParam(false),
  LOG_RETENTION_DAYS: logRetentionParam(30),
  ALARM_EMAIL: alarmEmailParam(),
  /** CloudWatch namespace of the collector's EMF metrics (its EMF_NAMESPACE) and of the NoLeader alarm. */
  METRIC_NAMESPACE: z.string().default('EventCollector'),
  APP_SETTINGS: appSettingsParam(APP_SETTINGS_RULES),
});

/** The validated parameters. */
export type CollectorParameters = z.output<typeof schema>;

/**
 * Reads the parameters from `env` (normally `process.env`).
 *
 * @example
 * ```ts
 * const params = readCollectorParameters({ GENESYS_ENV: 'euw1.pure.cloud' });
 * ```
 */
export function readCollectorParameters(env: ParameterEnv): CollectorParameters {
  return readStackParameters(schema, env);
}

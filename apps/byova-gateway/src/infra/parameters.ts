// The stack's parameters: environment variables read when it is synthesised.

import {
  alarmEmailParam,
  boolParam,
  intParam,
  listParam,
  logRetentionParam,
  optionalParam,
  readStackParameters,
  removalPolicyParam,
  type ParameterEnv,
} from '@org/infra';
import { z } from 'zod';

/** Used when APPLICATION_DOMAIN is unset, so that synthesis works on a fresh clone. */
export const EXAMPLE_DOMAIN = 'byova.example.com';

const schema = z
  .object({
    STACK_NAME: z.string().default('ByovaGateway'),
    APPLICATION_DOMAIN: z.string().default(EXAMPLE_DOMAIN),
    HOSTED_ZONE_NAME: optionalParam(),
    HOSTED_ZONE_ID: optionalParam(),
    CERTIFICATE_ARN: optionalParam(),
    BYOVA_CONFIG_FILE: optionalParam(),
    BYOVA_SECRET_NAME: optionalParam(),
    TAG_OWNER: optionalParam(),
    REMOVAL_POLICY: removalPolicyParam(),
    INGRESS_CIDRS: listParam(),
    NAT_GATEWAYS: intParam(1, 1, 3),
    TASK_CPU: intParam(512, 256, 16384),
    TASK_MEMORY_MIB: intParam(1024, 512, 122880),
    ARM64: boolParam(false),
    MIN_TASKS: intParam(1, 1, 100),
    MAX_TASKS: intParam(10, 1, 1000),
    CPU_TARGET_PERCENT: intParam(60, 10, 95),
    LOG_RETENTION_DAYS: logRetentionParam(30),
    // Subscribed to the alarm topic (docs/deploy.md, BYOVA gateway, Alarms).
    ALARM_EMAIL: alarmEmailParam(),
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
export type ByovaParameters = z.output<typeof schema>;

/**
 * Reads the parameters from `env` (normally `process.env`).
 *
 * @example
 * ```ts
 * const params = readByovaParameters({ APPLICATION_DOMAIN: 'byova.example.com' });
 * ```
 */
export function readByovaParameters(env: ParameterEnv): ByovaParameters {
  return readStackParameters(schema, env);
}

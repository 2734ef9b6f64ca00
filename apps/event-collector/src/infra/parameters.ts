// The stack's parameters: environment variables read when it is synthesised.

import {
  boolParam,
  intParam,
  logRetentionParam,
  optionalParam,
  readStackParameters,
  removalPolicyParam,
  type ParameterEnv,
} from '@org/infra';
import { z } from 'zod';

const settings = z
  .string()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined) return {};
    try {
      return z.record(z.string(), z.string()).parse(JSON.parse(v));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object of string values' });
      return z.NEVER;
    }
  });

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
  APP_SETTINGS: settings,
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

// The environment variables the gateway reads (and nothing else), on the service kit's typed
// helpers: read once at start, every problem listed at once, secrets never echoed.

import {
  envBool,
  envEnum,
  envInt,
  envString,
  envUrl,
  LOG_LEVELS,
  parseEnv,
  type EnvOf,
  type EnvSource,
} from '@org/service-kit';

const ENV = {
  /** The configuration file (after `--config`). */
  GATEWAY_CONFIG: envString({ optional: true }),
  /** The whole YAML document; takes precedence over the file (ECS injects it from SSM). */
  BYOVA_CONFIG_YAML: envString({ optional: true, secret: true }),
  /** gRPC port (Cloud Run style), over `gateway.port`. */
  PORT: envInt({ optional: true, min: 0, max: 65535 }),
  BYOVA_GRPC_HOST: envString({ optional: true }),
  BYOVA_MONITORING_PORT: envInt({ optional: true, min: 0, max: 65535 }),
  BYOVA_MONITORING_HOST: envString({ optional: true }),
  /** Over `logging.level`. */
  LOG_LEVEL: envEnum(LOG_LEVELS, { optional: true }),
  /** `true`: start even with an unauthenticated listener on a non-loopback address. */
  BYOVA_ALLOW_INSECURE: envBool({ default: false }),
  /** DynamoDB table shared by every instance for conversation state. */
  CONVERSATION_TABLE: envString({ optional: true }),
  /** DynamoDB endpoint override (dynalite, DynamoDB Local, a VPC endpoint). */
  DYNAMODB_ENDPOINT: envUrl({ optional: true }),
  AWS_REGION: envString({ default: 'us-east-1' }),
  /** OpenTelemetry: tracing is on only when the endpoint is set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: envUrl({ optional: true }),
  OTEL_EXPORTER_OTLP_HEADERS: envString({ optional: true, secret: true }),
};

/** The parsed environment. */
export type GatewayEnv = EnvOf<typeof ENV>;

/**
 * Reads the gateway's environment variables from `env` (the app passes `process.env`).
 *
 * @throws ConfigError (service kit, `SVC_ERR_CONFIG`) naming every bad variable.
 */
export function parseGatewayEnv(env: EnvSource): GatewayEnv {
  return parseEnv(ENV, env);
}

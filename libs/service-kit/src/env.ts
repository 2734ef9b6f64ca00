// `@org/service-kit/env`: only the environment helpers and the errors (zod, no logger, metrics or
// tracing), for Lambdas whose bundle size counts. Everything here is also in the main entry.

export {
  envBool,
  envDuration,
  envEnum,
  envEnumList,
  envInt,
  envList,
  envLogLevel,
  envNumber,
  envString,
  envUrl,
  isSecretField,
  LOG_LEVELS,
  MAX_TIMER_MS,
  parseDurationMs,
  secret,
  type BoolOptions,
  type DurationOptions,
  type EnvField,
  type FieldValue,
  type ListOptions,
  type LogLevel,
  type NumberOptions,
  type Presence,
  type StringOptions,
  type UrlOptions,
} from './lib/env-fields';
export { parseEnv, readDotEnv, type EnvOf, type EnvShape, type EnvSource } from './lib/env';
export {
  ConfigError,
  describeError,
  ServiceError,
  ServiceKitError,
  ServiceKitErrorCode,
  type ConfigIssue,
  type ServiceErrorOptions,
} from './lib/errors';

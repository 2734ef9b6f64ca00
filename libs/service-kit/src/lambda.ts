// `@org/service-kit/lambda`: the parts of the kit a Lambda needs, without pino, zod, prom-client
// or OpenTelemetry: the pino-free Lambda logger (the same JSON lines as `createLogger`, written
// synchronously) and the coded error base. A Lambda's cold start pays for every module it loads.
// (The environment helpers are in `@org/service-kit/env`; they bring zod's classic API, about
// 450 KB minified, which a Lambda that already bundles it can take and a small one should not.)

export {
  ConfigError,
  describeError,
  ServiceError,
  type ConfigIssue,
  type ServiceErrorOptions,
} from './lib/errors';
export type { LogLevel } from './lib/env-fields';
export {
  createLambdaLogger,
  type LambdaLogFn,
  type LambdaLogger,
  type LambdaLoggerOptions,
  type LambdaLogLevel,
} from './lib/lambda-logger';
export {
  DEFAULT_REDACT_KEYS,
  isSecretKey,
  REDACTED,
  redactPathsFor,
  redactText,
} from './lib/redaction';

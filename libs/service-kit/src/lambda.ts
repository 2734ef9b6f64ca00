// `@org/service-kit/lambda`: the parts of the kit without zod, prom-client or the OpenTelemetry
// SDK, for Lambdas whose bundle size and cold start count: the logger factory (pino and
// @opentelemetry/api) and the coded error base. Everything here is also in the main entry. (The
// environment helpers are in `@org/service-kit/env`; they bring zod's classic API, about 450 KB
// minified, which a Lambda that already bundles it can take and a small one should not.)

export {
  ConfigError,
  describeError,
  ServiceError,
  type ConfigIssue,
  type ServiceErrorOptions,
} from './lib/errors';
export type { LogLevel } from './lib/env-fields';
export {
  createLogger,
  DEFAULT_REDACT_KEYS,
  flushLogger,
  rawLineWriter,
  REDACTED,
  redactPathsFor,
  sessionLogger,
  spanFields,
  type CreateLoggerOptions,
  type Logger,
  type SessionLoggerOptions,
} from './lib/logger';

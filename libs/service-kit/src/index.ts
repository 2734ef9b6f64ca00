// `@org/service-kit`: what every app uses for configuration, logs, metrics, health, shutdown,
// errors, tracing and EMF. Only apps and tools may import it (tag `type:service`).

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
export { awsSdkLogger, type AwsSdkLogger } from './lib/aws-sdk-logger';
export {
  createLambdaLogger,
  type LambdaLogFn,
  type LambdaLogger,
  type LambdaLoggerOptions,
  type LambdaLogLevel,
} from './lib/lambda-logger';
export {
  boundedLabel,
  createMetrics,
  OTHER,
  type BoundedCounter,
  type BoundedGauge,
  type BoundedHistogram,
  type CounterOptions,
  type CreateMetricsOptions,
  type GaugeOptions,
  type HistogramOptions,
  type LabelSets,
  type Labels,
  type Metrics,
  type Registry,
} from './lib/metrics';
export {
  createOpsHandler,
  startOpsServer,
  type HealthCheck,
  type HealthResult,
  type OpsHandler,
  type OpsHandlerOptions,
  type OpsServer,
  type OpsServerOptions,
} from './lib/ops-http';
export {
  installShutdown,
  runService,
  type ProcessLike,
  type RunServiceOptions,
  type ShutdownHandle,
  type ShutdownOptions,
  type ShutdownTimers,
} from './lib/shutdown';
export {
  inSpan,
  parseOtlpHeaders,
  startTracing,
  withSpan,
  type Tracing,
  type TracingOptions,
} from './lib/tracing';
export {
  emfDocument,
  startEmfPublisher,
  type EmfClock,
  type EmfPublisher,
  type EmfPublisherOptions,
  type EmfUnit,
} from './lib/emf';

// The coded error base every app's errors extend, and the kit's own errors.

/** Options of {@link ServiceError}. */
export interface ServiceErrorOptions {
  /** The error that led to this one. */
  readonly cause?: unknown;
  /** Machine-readable facts for the log line (never secrets, never personal data). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Base class of every error an app raises: a stable, machine-readable `code` (documented in the
 * package README's "Error codes" table, never reused), a message for people, the `cause` and
 * optional `details`. `name` is the subclass's name.
 *
 * @example
 * ```ts
 * export const GatewayErrorCode = { Upstream: 'BYOVA_ERR_UPSTREAM' } as const;
 * export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];
 * export class GatewayError extends ServiceError<GatewayErrorCode> {}
 * throw new GatewayError(GatewayErrorCode.Upstream, 'Lex answered 503', { cause });
 * ```
 */
export class ServiceError<C extends string = string> extends Error {
  readonly code: C;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: C, message: string, options: ServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }

  /** What a log line or an API response shows: name, code, message, details (no stack). */
  toJSON(): {
    name: string;
    code: C;
    message: string;
    details?: Readonly<Record<string, unknown>>;
  } {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** Codes of the kit's own errors. Listed in the README; retired codes are never reused. */
export const ServiceKitErrorCode = {
  /** One or more environment variables are missing or invalid ({@link ConfigError}). */
  Config: 'SVC_ERR_CONFIG',
  /** A `.env` file exists but could not be read. */
  DotEnv: 'SVC_ERR_DOTENV',
  /** A metric was declared with an invalid label set (a programming error, thrown at start). */
  MetricDefinition: 'SVC_ERR_METRIC_DEFINITION',
  /** The ops HTTP server could not listen on its address. */
  OpsListen: 'SVC_ERR_OPS_LISTEN',
  /** The app's stop did not finish within the shutdown deadline (logged, exit code 1). */
  ShutdownTimeout: 'SVC_ERR_SHUTDOWN_TIMEOUT',
  /** The app's stop failed (logged, exit code 1). */
  ShutdownFailed: 'SVC_ERR_SHUTDOWN_FAILED',
  /** An uncaught exception or unhandled rejection reached the process (logged as fatal). */
  Uncaught: 'SVC_ERR_UNCAUGHT',
  /** The app's start failed (logged as fatal, exit code 1). */
  StartFailed: 'SVC_ERR_START_FAILED',
  /** Tracing or EMF options are invalid (endpoint, headers, ratio, namespace, dimensions). */
  Telemetry: 'SVC_ERR_TELEMETRY',
  /**
   * A duration given to the kit in code (a shutdown deadline, a flush interval, an `envDuration`
   * default) is not a number of milliseconds within Node's timer range (0..2147483647).
   */
  Duration: 'SVC_ERR_DURATION',
} as const;
/** One of the {@link ServiceKitErrorCode} values. */
export type ServiceKitErrorCode = (typeof ServiceKitErrorCode)[keyof typeof ServiceKitErrorCode];

/** The kit's own errors other than {@link ConfigError}. */
export class ServiceKitError extends ServiceError<ServiceKitErrorCode> {}

/** One bad environment variable: its name and what is wrong (never its value if secret). */
export interface ConfigIssue {
  readonly variable: string;
  readonly reason: string;
}

/**
 * The configuration is invalid. `issues` names every bad variable; the message lists them all on
 * one line, e.g. `invalid configuration: PORT: must be at most 65535 (got "70000"); API_KEY: is
 * required`. Values of variables marked secret never appear.
 *
 * @example
 * ```ts
 * try {
 *   config = loadConfig(environment); // what the app's main passed in
 * } catch (error) {
 *   if (error instanceof ConfigError) logger.fatal({ issues: error.issues }, error.message);
 *   throw error;
 * }
 * ```
 */
export class ConfigError extends ServiceError<'SVC_ERR_CONFIG'> {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], options: ServiceErrorOptions = {}) {
    super(
      ServiceKitErrorCode.Config,
      `invalid configuration: ${issues.map((i) => `${i.variable}: ${i.reason}`).join('; ')}`,
      { ...options, details: { ...options.details, variables: issues.map((i) => i.variable) } },
    );
    this.issues = issues;
  }
}

/** A short, log-safe description of anything thrown. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

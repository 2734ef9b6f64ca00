import { ServiceError, type ServiceErrorOptions } from '@org/service-kit/lambda';

/**
 * Stable codes of the errors the Lambda itself raises (the Cresta client's are
 * `CRESTA_ERR_*`, see `@org/cresta-handoff`). Never reused for another meaning.
 */
export const ConnectLambdaErrorCode = {
  /** An environment variable is invalid; every invocation fails until it is fixed. */
  Config: 'CONNECT_LAMBDA_ERR_CONFIG',
  /** The invocation event is not a Connect event the Lambda can serve. */
  Event: 'CONNECT_LAMBDA_ERR_EVENT',
} as const;

/** One of {@link ConnectLambdaErrorCode}. */
export type ConnectLambdaErrorCode =
  (typeof ConnectLambdaErrorCode)[keyof typeof ConnectLambdaErrorCode];

/**
 * The one error base of the Lambda, on the service kit's `ServiceError`.
 *
 * @example
 * ```ts
 * throw new ConnectLambdaError(ConnectLambdaErrorCode.Event, 'invalid Connect event: Details: …');
 * ```
 */
export class ConnectLambdaError extends ServiceError<ConnectLambdaErrorCode> {}

/** A configuration problem, reported on every invocation until the environment is fixed. */
export class ConfigError extends ConnectLambdaError {
  constructor(message: string, options: ServiceErrorOptions = {}) {
    super(ConnectLambdaErrorCode.Config, message, options);
  }
}

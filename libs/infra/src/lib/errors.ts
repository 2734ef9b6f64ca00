/**
 * Stable, machine-readable codes of every error `@org/infra` throws. Codes are never reused for a
 * different meaning once released.
 */
export const InfraErrorCode = {
  /** A stack parameter (an environment variable read at synth time) is missing or invalid. */
  Parameters: 'INFRA_ERR_PARAMETERS',
  /** A cdk-nag acknowledgement without a one-line reason. */
  Acknowledgement: 'INFRA_ERR_ACKNOWLEDGEMENT',
  /** The container image context cannot be staged (the app's bundle is missing, ...). */
  ImageContext: 'INFRA_ERR_IMAGE_CONTEXT',
  /** Construct properties that cannot work (e.g. a stop timeout above Fargate's maximum). */
  InvalidProps: 'INFRA_ERR_INVALID_PROPS',
} as const;

/** One of the {@link InfraErrorCode} values. */
export type InfraErrorCode = (typeof InfraErrorCode)[keyof typeof InfraErrorCode];

/**
 * The one error class of `@org/infra`. Every failure carries a stable {@link InfraErrorCode}.
 *
 * @example
 * ```ts
 * try {
 *   readStackParameters(schema, environment); // the app's synth entry passes its environment
 * } catch (err) {
 *   if (err instanceof InfraError && err.code === InfraErrorCode.Parameters) process.exit(2);
 * }
 * ```
 */
export class InfraError extends Error {
  override readonly name = 'InfraError';
  /** Stable machine-readable code. */
  readonly code: InfraErrorCode;

  constructor(code: InfraErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

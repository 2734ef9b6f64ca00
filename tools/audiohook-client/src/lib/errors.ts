// The client's errors, on the service kit's coded base: stable codes listed in the README (a
// test keeps the two in step).

import { ServiceError } from '@org/service-kit';

/** Codes of {@link ClientError}; never reused. */
export const ClientErrorCode = {
  /** A command-line option is missing or invalid (exit status 2). */
  Usage: 'AHC_ERR_USAGE',
  /** The WAV file cannot be read or converted (exit status 2). */
  AudioInput: 'AHC_ERR_AUDIO_INPUT',
} as const;
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/**
 * Base error of the AudioHook client.
 *
 * @example
 * ```ts
 * throw new ClientError(ClientErrorCode.Usage, '--session-count: must be a number');
 * ```
 */
export class ClientError extends ServiceError<ClientErrorCode> {}

// The AudioHook headers of the WebSocket upgrade request (spec §3.2, §3.3).

import { AudioHookError, AudioHookErrorCode } from './errors';
import { STRICT_UUID_PATTERN, UUID_PATTERN } from './schemas';
import { canonicalHeaderValue } from './signature/base';
import type { RequestHeaders } from './signature/types';

/**
 * The AudioHook headers of an upgrade request, validated.
 *
 * @example
 * ```ts
 * const { sessionId, organizationId, correlationId, apiKey }: AudioHookRequestHeaders =
 *   parseAudioHookHeaders(request.headers);
 * ```
 */
export interface AudioHookRequestHeaders {
  /** `Audiohook-Organization-Id`, lower-case. */
  readonly organizationId: string;
  /** `Audiohook-Session-Id`, lower-case; every message's `id` must equal it. */
  readonly sessionId: string;
  /** `Audiohook-Correlation-Id`, lower-case, when present. */
  readonly correlationId: string | undefined;
  /** `X-API-KEY`, when present (never log it). */
  readonly apiKey: string | undefined;
}

/**
 * Options of {@link parseAudioHookHeaders}.
 *
 * @example
 * ```ts
 * const options: ParseHeadersOptions = { requireApiKey: true, strictUuids: false };
 * parseAudioHookHeaders(request.headers, options);
 * ```
 */
export interface ParseHeadersOptions {
  /** Require `Audiohook-Correlation-Id`. @default false */
  readonly requireCorrelationId?: boolean;
  /** Require `X-API-KEY`. @default true */
  readonly requireApiKey?: boolean;
  /**
   * Accept only UUID versions 1-5 (the reference's check, which rejects v7 ids). The default
   * accepts any 8-4-4-4-12 hexadecimal UUID, as the spec requires.
   * @default false
   */
  readonly strictUuids?: boolean;
}

function invalid(header: string, message: string): never {
  throw new AudioHookError(AudioHookErrorCode.InvalidHeaders, message, {
    path: [header],
    issues: [{ path: [header], message }],
  });
}

/**
 * Reads and validates the AudioHook headers of an upgrade request (names in any case).
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_HEADERS` with the header name as `path`.
 *
 * @example
 * ```ts
 * const { sessionId, organizationId } = parseAudioHookHeaders(request.headers);
 * ```
 */
export function parseAudioHookHeaders(
  headers: RequestHeaders,
  options: ParseHeadersOptions = {},
): AudioHookRequestHeaders {
  const lower = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) lower.set(name.toLowerCase(), canonicalHeaderValue(value));
  }
  const pattern = options.strictUuids === true ? STRICT_UUID_PATTERN : UUID_PATTERN;
  const uuid = (name: string, required: boolean): string | undefined => {
    const value = lower.get(name);
    if (value === undefined || value === '') {
      if (required) invalid(name, `missing ${name} header`);
      return undefined;
    }
    if (!pattern.test(value)) invalid(name, `${name} is not a UUID`);
    return value.toLowerCase();
  };
  const sessionId = uuid('audiohook-session-id', true) as string;
  const organizationId = uuid('audiohook-organization-id', true) as string;
  const correlationId = uuid('audiohook-correlation-id', options.requireCorrelationId === true);
  const apiKey = lower.get('x-api-key');
  if ((apiKey === undefined || apiKey === '') && (options.requireApiKey ?? true)) {
    invalid('x-api-key', 'missing x-api-key header');
  }
  return { organizationId, sessionId, correlationId, apiKey: apiKey || undefined };
}

// The client side of the signatures: signing an upgrade request (spec §4.1) and the full set of
// AudioHook upgrade headers.

import { type Clock, systemClock } from '../clock';
import { AudioHookError, AudioHookErrorCode } from '../errors';
import { canonicalHeaderValue, createSignatureBase } from './base';
import { base64, decodeSecret, hmacSha256, hmacSha256Async, randomNonce } from './crypto';
import { AUDIOHOOK_SIGNED_COMPONENTS } from './types';

/**
 * Options of {@link signRequest}.
 *
 * @example
 * ```ts
 * const options: SignRequestOptions = {
 *   requestTarget: '/api/v1/audiohook/ws', authority: 'audiohook.example.com',
 *   headers, keyid: apiKey, secret: clientSecretBase64,
 * };
 * const { signature } = signRequest(options);
 * ```
 */
export interface SignRequestOptions {
  /** Path plus `?query` of the request. */
  readonly requestTarget: string;
  /** `host[:port]` as sent in `Host`. */
  readonly authority: string;
  /** Values of the covered headers, by lower-case name. */
  readonly headers: Readonly<Record<string, string>>;
  /** `keyid` (the API key). */
  readonly keyid: string;
  /** Client secret: base64 text or the decoded bytes. */
  readonly secret: string | Uint8Array;
  /** Components to cover, in order. @default AUDIOHOOK_SIGNED_COMPONENTS */
  readonly components?: readonly string[];
  /** Nonce. @default 18 random bytes as base64 (24 characters) */
  readonly nonce?: string;
  /** `created` in UNIX seconds. @default now */
  readonly created?: number;
  /** Seconds from `created` to `expires`; `null` leaves `expires` out. @default 30 */
  readonly expiresIn?: number | null;
  /** Signature label. @default 'sig1' */
  readonly label?: string;
  /** Time source for the default `created`. @default systemClock */
  readonly clock?: Clock;
}

/**
 * Headers produced by {@link signRequest}.
 *
 * @example
 * ```ts
 * const { signatureInput, signature }: SignatureHeaders = signRequest(options);
 * request.setHeader('Signature-Input', signatureInput);
 * request.setHeader('Signature', signature);
 * ```
 */
export interface SignatureHeaders {
  /** Value of `Signature-Input`. */
  readonly signatureInput: string;
  /** Value of `Signature`. */
  readonly signature: string;
  /** The signature base that was signed (for debugging; contains no secret). */
  readonly base: string;
}

/** What gets signed: the signature base, the `Signature-Input` value and the label. */
interface Prepared {
  readonly base: string;
  readonly signatureParams: string;
  readonly label: string;
  readonly key: Uint8Array;
}

function prepare(options: SignRequestOptions): Prepared {
  const components = options.components ?? AUDIOHOOK_SIGNED_COMPONENTS;
  const values = components.map((name): [string, string] => {
    if (name === '@request-target') return [name, options.requestTarget];
    if (name === '@authority') return [name, options.authority];
    const value = options.headers[name];
    if (value === undefined) {
      throw new AudioHookError(
        AudioHookErrorCode.SignatureBuild,
        `no value for covered component ${name}`,
      );
    }
    return [name, canonicalHeaderValue(value)];
  });
  const created = options.created ?? Math.floor((options.clock ?? systemClock).now() / 1000);
  const expiresIn = options.expiresIn === undefined ? 30 : options.expiresIn;
  // Anything but whole seconds ≥ 0 would be serialized as a Decimal (or a negative Integer),
  // which every verifier refuses (spec §4.3): refuse it here, where the caller can see why.
  for (const [name, value] of [
    ['created', created],
    ['expiresIn', expiresIn ?? 0],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new AudioHookError(
        AudioHookErrorCode.SignatureBuild,
        `${name} must be a whole number of seconds ≥ 0, got ${String(value)}`,
      );
    }
  }
  const parameters: [string, string | number][] = [
    ['keyid', options.keyid],
    ['nonce', options.nonce ?? randomNonce()],
    ['alg', 'hmac-sha256'],
    ['created', created],
  ];
  if (expiresIn !== null) parameters.push(['expires', created + expiresIn]);
  const { base, signatureParams } = createSignatureBase(values, parameters);
  return {
    base,
    signatureParams,
    label: options.label ?? 'sig1',
    key: decodeSecret(options.secret),
  };
}

function headersOf(prepared: Prepared, mac: Uint8Array): SignatureHeaders {
  return {
    signatureInput: `${prepared.label}=${prepared.signatureParams}`,
    signature: `${prepared.label}=:${base64(mac)}:`,
    base: prepared.base,
  };
}

/**
 * Signs an upgrade request the way the AudioHook client does (parameters `keyid`, `nonce`,
 * `alg`, `created`, `expires`, in that order). Synchronous: Node.js only; see
 * {@link signRequestAsync} for browsers and workers.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_SIGNATURE_BUILD` for a secret that is not base64, a
 *   covered header without a value, or a `created` / `expiresIn` that is not a whole number of
 *   seconds ≥ 0; `AUDIOHOOK_ERR_CRYPTO_UNAVAILABLE` without Node.js' crypto.
 *
 * @example
 * ```ts
 * const { signatureInput, signature } = signRequest({
 *   requestTarget: '/api/v1/audiohook/ws', authority: 'audiohook.example.com',
 *   headers: { 'audiohook-organization-id': org, 'audiohook-session-id': id,
 *              'audiohook-correlation-id': correlation, 'x-api-key': apiKey },
 *   keyid: apiKey, secret: clientSecretBase64,
 * });
 * ```
 */
export function signRequest(options: SignRequestOptions): SignatureHeaders {
  const prepared = prepare(options);
  return headersOf(prepared, hmacSha256(prepared.key, prepared.base));
}

/**
 * {@link signRequest} anywhere: Node.js' crypto where there is one, else Web Crypto.
 *
 * @example
 * ```ts
 * const { signatureInput, signature } = await signRequestAsync({
 *   requestTarget: '/api/v1/audiohook/ws', authority: 'audiohook.example.com',
 *   headers, keyid: apiKey, secret: clientSecretBase64,
 * });
 * ```
 */
export async function signRequestAsync(options: SignRequestOptions): Promise<SignatureHeaders> {
  const prepared = prepare(options);
  return headersOf(prepared, await hmacSha256Async(prepared.key, prepared.base));
}

/**
 * Options of {@link createAudioHookHeaders}.
 *
 * @example
 * ```ts
 * const options: AudioHookHeaderOptions = {
 *   organizationId, sessionId, correlationId, apiKey, clientSecret,
 *   requestTarget: url.pathname + url.search, authority: url.host,
 * };
 * new WebSocket(url, { headers: createAudioHookHeaders(options) });
 * ```
 */
export interface AudioHookHeaderOptions {
  readonly organizationId: string;
  readonly sessionId: string;
  readonly correlationId: string;
  readonly apiKey: string;
  /** Base64 client secret (or bytes); without it the request is not signed. */
  readonly clientSecret?: string | Uint8Array | null;
  /** Path plus query of the URI. */
  readonly requestTarget: string;
  /** `host[:port]` of the URI (default ports left out). */
  readonly authority: string;
  /** Fixed nonce / created / expiry, for reproducible requests. */
  readonly nonce?: string;
  readonly created?: number;
  readonly expiresIn?: number | null;
  readonly clock?: Clock;
}

/** The unsigned headers and what {@link signRequest} needs to sign them. */
function unsignedHeaders(options: AudioHookHeaderOptions): {
  readonly headers: Record<string, string>;
  readonly toSign: SignRequestOptions | undefined;
} {
  const headers: Record<string, string> = {
    'Audiohook-Organization-Id': options.organizationId,
    'Audiohook-Session-Id': options.sessionId,
    'Audiohook-Correlation-Id': options.correlationId,
    'X-API-KEY': options.apiKey,
  };
  const secret = options.clientSecret;
  if (secret === undefined || secret === null) return { headers, toSign: undefined };
  const toSign: SignRequestOptions = {
    requestTarget: options.requestTarget,
    authority: options.authority,
    headers: {
      'audiohook-organization-id': options.organizationId,
      'audiohook-session-id': options.sessionId,
      'audiohook-correlation-id': options.correlationId,
      'x-api-key': options.apiKey,
    },
    keyid: options.apiKey,
    secret,
    ...(options.nonce === undefined ? {} : { nonce: options.nonce }),
    ...(options.created === undefined ? {} : { created: options.created }),
    ...(options.expiresIn === undefined ? {} : { expiresIn: options.expiresIn }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  };
  return { headers, toSign };
}

function withSignature(
  headers: Record<string, string>,
  signed: SignatureHeaders,
): Record<string, string> {
  headers['Signature-Input'] = signed.signatureInput;
  headers['Signature'] = signed.signature;
  return headers;
}

/**
 * The headers the AudioHook client sends on the upgrade request, signed when a client secret
 * is given. Synchronous: Node.js only; see {@link createAudioHookHeadersAsync}.
 *
 * @example
 * ```ts
 * const headers = createAudioHookHeaders({ organizationId, sessionId, correlationId, apiKey,
 *   clientSecret, requestTarget: url.pathname + url.search, authority: url.host });
 * new WebSocket(url, { headers });
 * ```
 */
export function createAudioHookHeaders(options: AudioHookHeaderOptions): Record<string, string> {
  const { headers, toSign } = unsignedHeaders(options);
  return toSign === undefined ? headers : withSignature(headers, signRequest(toSign));
}

/**
 * {@link createAudioHookHeaders} anywhere: Node.js' crypto where there is one, else Web Crypto.
 *
 * @example
 * ```ts
 * const headers = await createAudioHookHeadersAsync({ organizationId, sessionId, correlationId,
 *   apiKey, clientSecret, requestTarget: '/api/v1/audiohook/ws', authority: location.host });
 * ```
 */
export async function createAudioHookHeadersAsync(
  options: AudioHookHeaderOptions,
): Promise<Record<string, string>> {
  const { headers, toSign } = unsignedHeaders(options);
  return toSign === undefined ? headers : withSignature(headers, await signRequestAsync(toSign));
}

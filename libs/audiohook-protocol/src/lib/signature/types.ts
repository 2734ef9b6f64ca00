// Public types of the HTTP message signatures: the covered components, result codes, the
// request and secret shapes, and the verifier's options.

import type { Clock } from '../clock';
import type { AudioHookError } from '../errors';
import type { NonceStore, SyncNonceStore } from './nonce-store';

/**
 * The components the AudioHook client signs, in order (spec §4.2).
 *
 * @example
 * ```ts
 * signRequest({ ...options, components: AUDIOHOOK_SIGNED_COMPONENTS }); // the default
 * ```
 */
export const AUDIOHOOK_SIGNED_COMPONENTS = [
  '@request-target',
  '@authority',
  'audiohook-organization-id',
  'audiohook-session-id',
  'audiohook-correlation-id',
  'x-api-key',
] as const;

/**
 * Result codes of a verification (spec §4.3), plus `UNAVAILABLE`: the secret of the API key could
 * not be looked up, or the signature was valid but the replay store could not record its nonce,
 * so the request is refused (fail closed).
 *
 * @example
 * ```ts
 * for (const code of SIGNATURE_RESULT_CODES) failures.labels(code).inc(0); // pre-create metrics
 * ```
 */
export const SIGNATURE_RESULT_CODES = [
  'VERIFIED',
  'FAILED',
  'UNSIGNED',
  'EXPIRED',
  'INVALID',
  'PRECONDITION',
  'UNSUPPORTED',
  'UNAVAILABLE',
] as const;
/**
 * A verification result code.
 *
 * @example
 * ```ts
 * const code: SignatureResultCode = (await verifySignature(request, options)).code;
 * if (code === 'EXPIRED') log.warn('clock skew?');
 * ```
 */
export type SignatureResultCode = (typeof SIGNATURE_RESULT_CODES)[number];

/**
 * What {@link verifySignature} concluded.
 *
 * @example
 * ```ts
 * const result: SignatureVerification = await verifySignature(request, options);
 * if (!result.ok) log.warn({ code: result.code, reason: result.reason });
 * ```
 */
export interface SignatureVerification {
  /** The result code. */
  readonly code: SignatureResultCode;
  /** True when the request may proceed (`VERIFIED`). */
  readonly ok: boolean;
  /** Why, in words (safe to log: it never contains secrets or signatures). */
  readonly reason: string;
  /** False when the request carried no signature (accepted only for keys without a secret). */
  readonly signed: boolean;
  /** The signature label used (`sig1`). */
  readonly label?: string;
  /** The `keyid` parameter. */
  readonly keyid?: string;
  /** The `created` parameter (UNIX seconds). */
  readonly created?: number;
  /** The `expires` parameter (UNIX seconds). */
  readonly expires?: number;
  /**
   * With `UNAVAILABLE` only: the failure, an {@link AudioHookError} with code
   * `AUDIOHOOK_ERR_SECRET_LOOKUP` (the secret lookup) or `AUDIOHOOK_ERR_NONCE_STORE` (the replay
   * store) whose `cause` is what it threw (log and count it).
   */
  readonly error?: AudioHookError;
}

/**
 * A header map as Node's `IncomingMessage.headers` has it (names in any case).
 *
 * @example
 * ```ts
 * const headers: RequestHeaders = request.headers; // node:http IncomingMessage
 * ```
 */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * The parts of the upgrade request the verifier needs.
 *
 * @example
 * ```ts
 * const signed: SignedRequest = { url: request.url ?? '/', headers: request.headers };
 * await verifySignature(signed, options);
 * ```
 */
export interface SignedRequest {
  /** The raw request URL: path plus `?query` (the `@request-target`). */
  readonly url: string;
  /** The request headers. */
  readonly headers: RequestHeaders;
}

/**
 * The client secret of an API key: base64 text (as configured in Genesys) or the decoded bytes.
 * `''` or `null`: the key is known and has no secret. `undefined`: the key is unknown.
 *
 * @example
 * ```ts
 * const resolveSecret = (apiKey: string): SecretLookupResult => secrets.get(apiKey); // undefined = unknown key
 * ```
 */
export type SecretLookupResult = string | Uint8Array | null | undefined;

/**
 * Options shared by {@link verifySignature} and {@link verifySignatureSync}.
 *
 * @example
 * ```ts
 * const window: VerifySignatureBaseOptions = { maxAgeSeconds: 10, clockSkewSeconds: 3 };
 * await verifySignature(request, { ...window, resolveSecret });
 * ```
 */
export interface VerifySignatureBaseOptions {
  /** Time source. @default systemClock */
  readonly clock?: Clock;
  /** Largest signature age in seconds. @default 10 */
  readonly maxAgeSeconds?: number;
  /** Tolerated clock difference in seconds. @default 3 */
  readonly clockSkewSeconds?: number;
  /**
   * `tolerant`: skew widens the window (`created ≤ now + skew`, `expires ≥ now − skew`,
   * `now − created ≤ maxAge + skew`). `reference`: the reference's tightening checks
   * (`expires ≥ now + skew`, `created + maxAge ≥ now + skew`; effective max age 7 s).
   * @default 'tolerant'
   */
  readonly timeMode?: 'tolerant' | 'reference';
  /** Require a `nonce` parameter. @default true */
  readonly requireNonce?: boolean;
  /** Shortest accepted nonce. @default 22 */
  readonly minNonceLength?: number;
  /** Components a signature must cover. @default AUDIOHOOK_SIGNED_COMPONENTS */
  readonly requiredComponents?: readonly string[];
  /** Require `keyid` to equal the `X-API-KEY` header. @default true */
  readonly requireKeyIdMatchesApiKey?: boolean;
  /**
   * Unsigned requests: `no-secret` accepts them only for a known key without a secret (the
   * reference's rule), `never` rejects them, `always` accepts them whatever the key.
   * @default 'no-secret'
   */
  readonly allowUnsigned?: 'no-secret' | 'never' | 'always';
  /** `@authority` to use instead of the `Host` header (e.g. behind a proxy). */
  readonly authority?: string;
}

/**
 * Options of {@link verifySignature}.
 *
 * @example
 * ```ts
 * const options: VerifySignatureOptions = {
 *   resolveSecret: async (apiKey) => secretsManager.lookup(apiKey),
 *   nonceStore: new NonceCache(),
 * };
 * await verifySignature(request, options);
 * ```
 */
export interface VerifySignatureOptions extends VerifySignatureBaseOptions {
  /** Finds the client secret of an API key (may be async, e.g. a secrets manager). */
  readonly resolveSecret: (apiKey: string) => SecretLookupResult | Promise<SecretLookupResult>;
  /**
   * Replay protection: the nonce of every valid signature is claimed here, and a nonce claimed
   * before (within its lifetime) is refused with `PRECONDITION`. A {@link NonceCache} for one
   * process, or a shared store (e.g. a conditional write to DynamoDB) for several. @default none
   */
  readonly nonceStore?: NonceStore;
  /** @deprecated The former name of `nonceStore`; used when `nonceStore` is absent. */
  readonly nonceCache?: NonceStore;
}

/**
 * Options of {@link verifySignatureSync}.
 *
 * @example
 * ```ts
 * const options: VerifySignatureSyncOptions = {
 *   resolveSecret: (apiKey) => secrets.get(apiKey),
 *   nonceStore: new NonceCache(),
 * };
 * verifySignatureSync(request, options);
 * ```
 */
export interface VerifySignatureSyncOptions extends VerifySignatureBaseOptions {
  /** Finds the client secret of an API key. */
  readonly resolveSecret: (apiKey: string) => SecretLookupResult;
  /** As in {@link VerifySignatureOptions}, with a store that answers synchronously. @default none */
  readonly nonceStore?: SyncNonceStore;
  /** @deprecated The former name of `nonceStore`; used when `nonceStore` is absent. */
  readonly nonceCache?: SyncNonceStore;
}

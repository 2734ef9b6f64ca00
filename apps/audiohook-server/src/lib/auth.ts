// Authentication of an upgrade request: API key lookup, then the HTTP message signature check
// (spec §4). The same outcome serves both failure strategies (HTTP 401 at the upgrade, or a
// delayed `disconnect` unauthorized in the session).

import type { IncomingMessage } from 'node:http';
import type { ApiKeyStore } from './api-keys';
import type { ServerMetrics } from './metrics';

/** Result codes of a signature check (the protocol library's codes). */
export type SignatureCode =
  'VERIFIED' | 'FAILED' | 'UNSIGNED' | 'EXPIRED' | 'INVALID' | 'PRECONDITION' | 'UNSUPPORTED';

/** What a signature check says. */
export interface SignatureVerdict {
  readonly code: SignatureCode;
  readonly reason: string;
}

/** What the authenticator needs to check a signature over an upgrade request. */
export interface SignatureCheckInput {
  /** Raw request target: path plus `?query`. */
  readonly requestTarget: string;
  /** The `Host` header. */
  readonly authority: string;
  readonly headers: IncomingMessage['headers'];
  /** The decoded client secret (empty for an unsigned key whose request is signed anyway). */
  readonly key: Uint8Array;
}

export type SignatureChecker = (
  input: SignatureCheckInput,
) => SignatureVerdict | Promise<SignatureVerdict>;

/** The authentication outcome; `code` is also the metrics label. */
export type AuthOutcome =
  | { readonly ok: true; readonly code: 'VERIFIED' | 'UNSIGNED_KEY' }
  | {
      readonly ok: false;
      readonly code: SignatureCode | 'UNKNOWN_KEY' | 'NO_KEY';
      readonly info: string;
    };

export interface RequestAuthenticatorOptions {
  readonly keys: ApiKeyStore;
  readonly checkSignature: SignatureChecker;
  readonly metrics: ServerMetrics;
}

function header(headers: IncomingMessage['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * Authenticates upgrade requests.
 * - No `X-API-KEY` → `NO_KEY`; a key not in the store → `UNKNOWN_KEY`.
 * - A key with a secret must come with a valid signature (`UNSIGNED`, `FAILED`, `EXPIRED`, …).
 * - A key without a secret (`""`/`null`) is accepted unsigned; if the client signs anyway the
 *   signature is checked with the empty key, which is what such a client computes.
 *
 * @example
 * ```ts
 * const auth = new RequestAuthenticator({ keys, checkSignature, metrics });
 * const outcome = await auth.authenticate(request);
 * ```
 */
export class RequestAuthenticator {
  readonly #options: RequestAuthenticatorOptions;

  constructor(options: RequestAuthenticatorOptions) {
    this.#options = options;
  }

  async authenticate(request: IncomingMessage): Promise<AuthOutcome> {
    const outcome = await this.#authenticate(request);
    this.#options.metrics.authResults.inc({ code: outcome.code });
    return outcome;
  }

  async #authenticate(request: IncomingMessage): Promise<AuthOutcome> {
    const apiKey = header(request.headers, 'x-api-key')?.trim();
    if (apiKey === undefined || apiKey === '') {
      return { ok: false, code: 'NO_KEY', info: 'PRECONDITION: Missing "x-api-key" header field' };
    }
    const entry = await this.#options.keys.lookup(apiKey);
    if (!entry.known) {
      return { ok: false, code: 'UNKNOWN_KEY', info: 'FAILED: Unknown API key' };
    }
    const signed =
      header(request.headers, 'signature') !== undefined ||
      header(request.headers, 'signature-input') !== undefined;
    if (entry.secret === null && !signed) return { ok: true, code: 'UNSIGNED_KEY' };
    const verdict = await this.#options.checkSignature({
      requestTarget: request.url ?? '/',
      authority: header(request.headers, 'host') ?? '',
      headers: request.headers,
      key: entry.secret ?? new Uint8Array(0),
    });
    if (verdict.code === 'VERIFIED') return { ok: true, code: 'VERIFIED' };
    return { ok: false, code: verdict.code, info: `${verdict.code}: ${verdict.reason}` };
  }
}

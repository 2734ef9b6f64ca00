// Validation of the datasource JWS that WxCC sends in the `authorization` metadata of every call:
// issuer allow-list checked before any key download (no SSRF through `iss`), keys from
// `<iss>/oauth2/v2/keys/verificationjwk` (cached, Cache-Control honoured, stale keys used on 429 or
// network errors), `kid` matched, RS256 pinned, exp/nbf with bounded skew, aud/sub compared when
// configured, and the datasource URL and schema claims compared exactly.

import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import { GatewayError, GatewayErrorCode } from './errors';

/** Why a token was refused; `message` is safe to return to the caller (never the token). */
export class JwtValidationError extends GatewayError {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(GatewayErrorCode.JwtRejected, message, { details: { reason } });
  }
}

export interface JwtValidatorOptions {
  readonly allowedIssuers: readonly string[];
  readonly datasourceUrl: string;
  readonly schemaUuid: string;
  readonly audience?: string | undefined;
  readonly subject?: string | undefined;
  readonly clockToleranceSeconds: number;
  readonly cacheMs: number;
  readonly fetchTimeoutMs: number;
  /** For tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

interface CachedKeys {
  readonly keys: JSONWebKeySet;
  readonly fetchedAt: number;
  readonly expiresAt: number;
}

export const DATASOURCE_URL_CLAIM = 'com.cisco.datasource.url';
export const DATASOURCE_SCHEMA_CLAIM = 'com.cisco.datasource.schema.uuid';

/** Strips an optional `Bearer ` prefix. */
export function extractToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  const token = /^bearer\s+/i.test(trimmed) ? trimmed.replace(/^bearer\s+/i, '') : trimmed;
  return token === '' ? undefined : token;
}

export class JwtValidator {
  readonly #options: JwtValidatorOptions;
  readonly #cache = new Map<string, CachedKeys>();
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(options: JwtValidatorOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Validates a token and returns its claims.
   *
   * @throws JwtValidationError with a caller-safe message.
   */
  async validate(token: string): Promise<JWTPayload> {
    let header;
    let unverified;
    try {
      header = decodeProtectedHeader(token);
      unverified = decodeJwt(token);
    } catch {
      throw new JwtValidationError('malformed token', 'malformed');
    }
    if (header.alg !== 'RS256')
      throw new JwtValidationError(
        // The client chose this text: cut it before it reaches a log line or a status message.
        `algorithm ${String(header.alg)
          .replace(/[^\x20-\x7e]/g, '?')
          .slice(0, 16)} is not allowed`,
        'algorithm',
      );
    const issuer = unverified.iss;
    if (issuer === undefined) throw new JwtValidationError('missing iss claim', 'issuer');
    if (!this.#options.allowedIssuers.includes(issuer)) {
      throw new JwtValidationError('issuer is not allowed', 'issuer');
    }
    let keys = await this.#keys(issuer, false);
    let payload: JWTPayload;
    try {
      payload = await this.#verify(token, keys.keys, issuer);
    } catch (error) {
      if (
        !(error instanceof joseErrors.JWKSNoMatchingKey) ||
        this.#now() - keys.fetchedAt < 30_000
      ) {
        throw this.#translate(error);
      }
      // A key we have not seen: the issuer may have rotated. Refresh once.
      keys = await this.#keys(issuer, true);
      try {
        payload = await this.#verify(token, keys.keys, issuer);
      } catch (retryError) {
        throw this.#translate(retryError);
      }
    }
    for (const claim of ['aud', 'sub', 'jti'] as const) {
      const value = payload[claim];
      if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) {
        throw new JwtValidationError(`missing ${claim} claim`, 'claims');
      }
    }
    if (payload[DATASOURCE_URL_CLAIM] !== this.#options.datasourceUrl) {
      throw new JwtValidationError('datasource URL does not match', 'datasource');
    }
    if (payload[DATASOURCE_SCHEMA_CLAIM] !== this.#options.schemaUuid) {
      throw new JwtValidationError('datasource schema does not match', 'datasource');
    }
    return payload;
  }

  async #verify(token: string, keys: JSONWebKeySet, issuer: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, createLocalJWKSet(keys), {
      algorithms: ['RS256'],
      issuer,
      clockTolerance: this.#options.clockToleranceSeconds,
      requiredClaims: ['exp'],
      currentDate: new Date(this.#now()),
      ...(this.#options.audience !== undefined ? { audience: this.#options.audience } : {}),
      ...(this.#options.subject !== undefined ? { subject: this.#options.subject } : {}),
    });
    return payload;
  }

  #translate(error: unknown): JwtValidationError {
    if (error instanceof JwtValidationError) return error;
    if (error instanceof joseErrors.JWTExpired)
      return new JwtValidationError('token is expired', 'expired');
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      return new JwtValidationError(`claim ${error.claim} is invalid`, 'claims');
    }
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
      return new JwtValidationError('signature verification failed', 'signature');
    }
    if (error instanceof joseErrors.JWKSNoMatchingKey)
      return new JwtValidationError('no matching key', 'signature');
    if (error instanceof joseErrors.JWKSMultipleMatchingKeys)
      return new JwtValidationError('ambiguous key', 'signature');
    return new JwtValidationError('token is invalid', 'invalid');
  }

  async #keys(issuer: string, force: boolean): Promise<CachedKeys> {
    const cached = this.#cache.get(issuer);
    const now = this.#now();
    if (cached !== undefined && !force && now < cached.expiresAt) return cached;
    const url = `${issuer.replace(/\/+$/, '')}/oauth2/v2/keys/verificationjwk`;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        signal: AbortSignal.timeout(this.#options.fetchTimeoutMs),
      });
    } catch {
      if (cached !== undefined) return cached;
      throw new JwtValidationError('signing keys are unavailable', 'jwks');
    }
    if (response.status === 429 && cached !== undefined) return cached;
    if (!response.ok) {
      await response.body?.cancel();
      if (cached !== undefined && response.status >= 500) return cached;
      throw new JwtValidationError(
        `signing keys are unavailable (HTTP ${response.status})`,
        'jwks',
      );
    }
    let keys: JSONWebKeySet;
    try {
      keys = (await response.json()) as JSONWebKeySet;
      if (!Array.isArray(keys.keys)) throw new Error('no keys array');
    } catch {
      if (cached !== undefined) return cached;
      throw new JwtValidationError('signing keys are malformed', 'jwks');
    }
    // Reject keys that declare a different algorithm than the one we pin.
    const usable = { keys: keys.keys.filter((k) => k.alg === undefined || k.alg === 'RS256') };
    const maxAge = /max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1];
    const ttl = Math.min(
      this.#options.cacheMs,
      maxAge !== undefined ? Number(maxAge) * 1000 : Number.POSITIVE_INFINITY,
    );
    const entry = { keys: usable, fetchedAt: now, expiresAt: now + ttl };
    this.#cache.set(issuer, entry);
    return entry;
  }
}

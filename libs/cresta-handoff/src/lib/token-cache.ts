import { createHash, timingSafeEqual } from 'node:crypto';
import { CrestaError, CrestaErrorCode } from './errors';

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions {
  /**
   * A token is cached only if it lives longer than this, and it is dropped this long before it
   * expires, so a cached token never runs out during a call.
   * @default 300000 (300 s, upstream)
   */
  expiryBufferMs?: number;
  /**
   * `authBaseAndClientId` keeps tokens of different auth servers apart; `clientId` is the upstream
   * key (`pstn-transfer:tokencache:<clientId>`), which mixes them up when one process talks to two
   * auth servers with the same client id.
   * @default 'authBaseAndClientId'
   */
  keyBy?: 'authBaseAndClientId' | 'clientId';
  /**
   * Most tokens kept. The auth base and client id may come from Connect parameters, so without a
   * bound every new pair would stay in a warm container for good; when a new token would exceed
   * it, expired tokens are dropped first, then the oldest ones.
   * @default 100
   */
  maxEntries?: number;
  /** Clock in ms. @default Date.now */
  now?: () => number;
}

/** Default {@link TokenCacheOptions.maxEntries}. */
export const DEFAULT_TOKEN_CACHE_MAX_ENTRIES = 100;

interface Entry {
  readonly token: string;
  readonly expiresAt: number;
  /** SHA-256 of the client secret the token was fetched with (empty when none was given). */
  readonly secret: Buffer;
}

const NO_SECRET = Buffer.alloc(0);

/** The fingerprint a token is stored under, so only the same client secret gets it back. */
function secretFingerprint(clientSecret: string | undefined): Buffer {
  return clientSecret === undefined
    ? NO_SECRET
    : createHash('sha256').update(clientSecret).digest();
}

/** Whether `clientSecret` is the one `stored` was made from, in constant time. */
function sameSecret(stored: Buffer, clientSecret: string | undefined): boolean {
  const given = secretFingerprint(clientSecret);
  return stored.length === given.length && timingSafeEqual(stored, given);
}

/**
 * In-process OAuth token cache. One instance lives for the life of a warm Lambda container and is
 * shared by every client built in it.
 *
 * @example
 * ```ts
 * const cache = new TokenCache();
 * cache.store('https://auth.us-west-2-prod.cresta.ai', 'client-1', 'token', 3600);
 * cache.get('https://auth.us-west-2-prod.cresta.ai', 'client-1'); // 'token'
 * ```
 */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #bufferMs: number;
  readonly #keyBy: 'authBaseAndClientId' | 'clientId';
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(options: TokenCacheOptions = {}) {
    const max = options.maxEntries ?? DEFAULT_TOKEN_CACHE_MAX_ENTRIES;
    if (!Number.isInteger(max) || max < 1) {
      throw new CrestaError(
        CrestaErrorCode.InvalidOptions,
        'invalid TokenCache options: maxEntries must be an integer of at least 1',
        { field: 'maxEntries' },
      );
    }
    this.#maxEntries = max;
    this.#bufferMs = options.expiryBufferMs ?? 300_000;
    this.#keyBy = options.keyBy ?? 'authBaseAndClientId';
    this.#now = options.now ?? Date.now;
  }

  /** The cache key of a client id at an auth server. */
  key(authBase: string, clientId: string): string {
    return this.#keyBy === 'clientId'
      ? `pstn-transfer:tokencache:${clientId}`
      : `pstn-transfer:tokencache:${authBase}|${clientId}`;
  }

  /**
   * A cached token that has not reached its (buffered) expiry, or `undefined`. With
   * `clientSecret`, only a token stored with the same secret is returned: the client id and auth
   * base can come from Connect parameters, and a caller who knows a client id but not its secret
   * must not get that client's token.
   */
  get(authBase: string, clientId: string, clientSecret?: string): string | undefined {
    const key = this.key(authBase, clientId);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (!sameSecret(entry.secret, clientSecret)) return undefined;
    if (this.#now() >= entry.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.token;
  }

  /**
   * Caches a token for `expiresInSeconds − buffer`. Tokens without a lifetime, or living no longer
   * than the buffer, are not cached (upstream TS/Python rule). `clientSecret` is the secret the
   * token was fetched with ({@link get} then needs the same one).
   *
   * @returns whether the token was cached.
   */
  store(
    authBase: string,
    clientId: string,
    token: string,
    expiresInSeconds: number | undefined,
    clientSecret?: string,
  ): boolean {
    if (expiresInSeconds === undefined || !Number.isFinite(expiresInSeconds)) return false;
    const lifetimeMs = expiresInSeconds * 1000;
    if (lifetimeMs <= this.#bufferMs) return false;
    const key = this.key(authBase, clientId);
    const now = this.#now();
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) this.#evict(now);
    this.#entries.set(key, {
      token,
      expiresAt: now + lifetimeMs - this.#bufferMs,
      secret: secretFingerprint(clientSecret),
    });
    return true;
  }

  /** Makes room for one entry: expired tokens first, then the oldest stored. */
  #evict(now: number): void {
    for (const [key, entry] of this.#entries) {
      if (now >= entry.expiresAt) this.#entries.delete(key);
    }
    for (const key of this.#entries.keys()) {
      if (this.#entries.size < this.#maxEntries) break;
      this.#entries.delete(key);
    }
  }

  /**
   * Drops the cached token of a client, e.g. after the API rejected it with 401. When `token` is
   * given, a newer token stored meanwhile is kept.
   */
  invalidate(authBase: string, clientId: string, token?: string): void {
    const key = this.key(authBase, clientId);
    if (token === undefined || this.#entries.get(key)?.token === token) this.#entries.delete(key);
  }

  /** Drops every cached token. */
  clear(): void {
    this.#entries.clear();
  }

  /** Number of cached tokens (expired ones included until they are next looked up). */
  get size(): number {
    return this.#entries.size;
  }
}

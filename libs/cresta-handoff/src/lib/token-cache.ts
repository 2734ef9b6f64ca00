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
  /** Clock in ms. @default Date.now */
  now?: () => number;
}

interface Entry {
  readonly token: string;
  readonly expiresAt: number;
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

  constructor(options: TokenCacheOptions = {}) {
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

  /** A cached token that has not reached its (buffered) expiry, or `undefined`. */
  get(authBase: string, clientId: string): string | undefined {
    const key = this.key(authBase, clientId);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#now() >= entry.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.token;
  }

  /**
   * Caches a token for `expiresInSeconds − buffer`. Tokens without a lifetime, or living no longer
   * than the buffer, are not cached (upstream TS/Python rule).
   *
   * @returns whether the token was cached.
   */
  store(
    authBase: string,
    clientId: string,
    token: string,
    expiresInSeconds: number | undefined,
  ): boolean {
    if (expiresInSeconds === undefined || !Number.isFinite(expiresInSeconds)) return false;
    const lifetimeMs = expiresInSeconds * 1000;
    if (lifetimeMs <= this.#bufferMs) return false;
    this.#entries.set(this.key(authBase, clientId), {
      token,
      expiresAt: this.#now() + lifetimeMs - this.#bufferMs,
    });
    return true;
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

// Replay protection: where verified nonces are claimed (one process or shared by several), the
// store key of a signature, and the in-process store.

import { AudioHookError, AudioHookErrorCode } from '../errors';
import { sha256Base64Url, sha256Base64UrlAsync } from './crypto';

/**
 * Where verified nonces are claimed, so a captured upgrade request cannot be replayed. Several
 * server instances behind one load balancer must share one store, or a request replayed to
 * another instance is accepted.
 *
 * `claim(key, expiresAtMs, nowMs)` is called once per valid signature (never for a request whose
 * signature failed, so unauthenticated clients cannot fill the store) and must:
 * - return `true` for the first claim of `key`, and `false` for every later claim of it until
 *   `expiresAtMs` has passed, **atomically across every instance** sharing the store: of two
 *   concurrent claims of one key exactly one gets `true` (a conditional write, e.g. DynamoDB
 *   `PutItem` with `attribute_not_exists(pk) OR expiresAt < :now`, not a read then a write);
 * - keep the key at least until `expiresAtMs` (it may keep it longer; a TTL that deletes late,
 *   as DynamoDB's does, is fine when the condition compares the stored expiry with `nowMs`);
 * - throw (or reject) when it cannot decide, never answer `true` for lack of an answer: the
 *   verification then fails closed with code `UNAVAILABLE`.
 *
 * `key` is {@link nonceKey}`(keyid, nonce)`: 43 URL-safe base64 characters that identify the
 * pair without revealing the API key, so it can be a partition key as it is.
 *
 * @example
 * ```ts
 * const store: NonceStore = {
 *   claim: async (key, expiresAtMs) => {
 *     try {
 *       await dynamo.send(new PutItemCommand({
 *         TableName, Item: { pk: { S: `nonce#${key}` }, expiresAt: { N: String(Math.ceil(expiresAtMs / 1000)) } },
 *         ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
 *         ExpressionAttributeValues: { ':now': { N: String(Math.floor(Date.now() / 1000)) } },
 *       }));
 *       return true;
 *     } catch (error) {
 *       if (error instanceof ConditionalCheckFailedException) return false;
 *       throw error; // fail closed
 *     }
 *   },
 * };
 * await verifySignature(request, { resolveSecret, nonceStore: store });
 * ```
 */
export interface NonceStore {
  /** Claims `key` until `expiresAtMs`: `true` the first time, `false` while a claim holds. */
  claim(key: string, expiresAtMs: number, nowMs: number): boolean | Promise<boolean>;
}

/**
 * A {@link NonceStore} that answers synchronously (for {@link verifySignatureSync}).
 *
 * @example
 * ```ts
 * const store: SyncNonceStore = new NonceCache();
 * verifySignatureSync(request, { resolveSecret, nonceStore: store });
 * ```
 */
export interface SyncNonceStore extends NonceStore {
  /** As {@link NonceStore.claim}, answered synchronously. */
  claim(key: string, expiresAtMs: number, nowMs: number): boolean;
}

/**
 * The replay-store key of a signature: SHA-256 over the length-prefixed `keyid` and the `nonce`,
 * as unpadded URL-safe base64 (43 characters). The same nonce under two API keys gives two keys;
 * neither the API key nor the nonce can be read back from it. Synchronous: Node.js only
 * (`AUDIOHOOK_ERR_CRYPTO_UNAVAILABLE` elsewhere; `verifySignature` computes it with Web Crypto).
 *
 * @example
 * ```ts
 * nonceKey('my-api-key', 'VGhpc0lzQVVuaXF1ZU5vbmNl'); // 43 characters, [A-Za-z0-9_-]
 * ```
 */
export function nonceKey(keyid: string, nonce: string): string {
  return sha256Base64Url(`${keyid.length}:${keyid}\n${nonce}`);
}

/** {@link nonceKey} anywhere (Web Crypto where Node.js' crypto module is not). @internal */
export function nonceKeyAsync(keyid: string, nonce: string): Promise<string> {
  return sha256Base64UrlAsync(`${keyid.length}:${keyid}\n${nonce}`);
}

/**
 * Options of {@link NonceCache}.
 *
 * @example
 * ```ts
 * const options: NonceCacheOptions = { maxEntries: 50_000 };
 * const nonceStore = new NonceCache(options);
 * ```
 */
export interface NonceCacheOptions {
  /** Most nonces kept; the oldest are evicted first. @default 10000 */
  readonly maxEntries?: number;
}

/**
 * The in-process {@link NonceStore}: remembers claimed keys until they expire, in bounded
 * memory. When full, the oldest entry is evicted. Right for one instance; several instances need
 * a shared store.
 *
 * @example
 * ```ts
 * const nonceStore = new NonceCache({ maxEntries: 50_000 });
 * await verifySignature(request, { resolveSecret, nonceStore });
 * ```
 */
export class NonceCache implements SyncNonceStore {
  readonly maxEntries: number;
  #entries = new Map<string, number>();

  constructor(options: NonceCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new AudioHookError(
        AudioHookErrorCode.InvalidArgument,
        'maxEntries must be a positive integer',
      );
    }
  }

  /** Keys currently kept. */
  get size(): number {
    return this.#entries.size;
  }

  /** True when `key` was recorded and has not expired at `nowMs`. */
  has(key: string, nowMs: number): boolean {
    const expiry = this.#entries.get(key);
    if (expiry === undefined) return false;
    if (expiry < nowMs) {
      this.#entries.delete(key);
      return false;
    }
    return true;
  }

  /** Records `key` until `expiresAtMs` (whether or not it was there). */
  add(key: string, expiresAtMs: number, nowMs: number): void {
    this.#entries.delete(key);
    // Entries are inserted roughly in time order: drop expired ones from the front first.
    for (const [existing, expiry] of this.#entries) {
      if (expiry >= nowMs) break;
      this.#entries.delete(existing);
    }
    while (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    this.#entries.set(key, expiresAtMs);
  }

  /** {@link NonceStore.claim}: records `key` unless it is already there and alive. */
  claim(key: string, expiresAtMs: number, nowMs: number): boolean {
    if (this.has(key, nowMs)) return false;
    this.add(key, expiresAtMs, nowMs);
    return true;
  }
}

// API key → client secret lookup: a static map from the configuration plus, optionally, an AWS
// Secrets Manager secret of the same JSON shape, cached and refreshed in the background.

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AwsSdkLogger } from '@org/service-kit';
import { apiKeyMapSchema, type ApiKeyMap } from '../config';
import { ServerError, ServerErrorCode } from './errors';
import type { AppLogger } from './logging';

/** What is known about an API key. */
export type ApiKeyLookup =
  | { readonly known: false }
  /** `secret` is the decoded HMAC key, or `null` when the key is configured without a secret. */
  | { readonly known: true; readonly secret: Uint8Array | null };

/** Where API keys come from; the authenticator only needs this. */
export interface ApiKeyStore {
  lookup(apiKey: string): Promise<ApiKeyLookup>;
  /** Stops background refreshes. */
  close(): void;
}

/** Reads the current API key map (e.g. from Secrets Manager). */
export type ApiKeyMapFetcher = () => Promise<ApiKeyMap>;

export interface CachingApiKeyStoreOptions {
  readonly staticMap: ApiKeyMap;
  /** Dynamic source; its entries win over static ones. */
  readonly fetch?: ApiKeyMapFetcher;
  /** A known key's entry is refreshed at most this often (in the background). @default 300000 */
  readonly refreshKnownMs?: number;
  /** An unknown key triggers a fetch at most this often. @default 60000 */
  readonly refreshUnknownMs?: number;
  readonly logger: AppLogger;
  /** Clock, for tests. @default Date.now */
  readonly now?: () => number;
}

function decode(map: ApiKeyMap): Map<string, Uint8Array | null> {
  const out = new Map<string, Uint8Array | null>();
  for (const [key, value] of Object.entries(map)) {
    out.set(
      key,
      value === null || value === '' ? null : new Uint8Array(Buffer.from(value, 'base64')),
    );
  }
  return out;
}

/**
 * Looks API keys up in the static map and the dynamic source. The dynamic map is fetched at
 * start (`refresh()`), again in the background when a known key's copy is older than
 * `refreshKnownMs`, and on demand for an unknown key at most every `refreshUnknownMs`. A failed
 * fetch keeps the last good copy, so a Secrets Manager outage does not lock everybody out.
 *
 * @example
 * ```ts
 * const store = new CachingApiKeyStore({ staticMap: { key: null }, logger });
 * await store.lookup('key'); // { known: true, secret: null }
 * ```
 */
export class CachingApiKeyStore implements ApiKeyStore {
  readonly #static: Map<string, Uint8Array | null>;
  readonly #fetch: ApiKeyMapFetcher | undefined;
  readonly #refreshKnownMs: number;
  readonly #refreshUnknownMs: number;
  readonly #logger: AppLogger;
  readonly #now: () => number;
  #dynamic = new Map<string, Uint8Array | null>();
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;
  #closed = false;

  constructor(options: CachingApiKeyStoreOptions) {
    this.#static = decode(options.staticMap);
    this.#fetch = options.fetch;
    this.#refreshKnownMs = options.refreshKnownMs ?? 300_000;
    this.#refreshUnknownMs = options.refreshUnknownMs ?? 60_000;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
  }

  /** Number of keys currently known (static and dynamic). */
  get size(): number {
    return new Set([...this.#static.keys(), ...this.#dynamic.keys()]).size;
  }

  /** Fetches the dynamic map now (deduplicated with any fetch in flight). */
  refresh(): Promise<void> {
    if (this.#fetch === undefined || this.#closed) return Promise.resolve();
    if (this.#inflight !== undefined) return this.#inflight;
    const fetch = this.#fetch;
    this.#attemptedAt = this.#now();
    this.#inflight = (async () => {
      try {
        const map = await fetch();
        this.#dynamic = decode(map);
        this.#fetchedAt = this.#now();
        this.#logger.debug({ keys: this.#dynamic.size }, 'API key map refreshed');
      } catch (error) {
        // Never log the secret's content; the error of the SDK does not contain it.
        this.#logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'API key map refresh failed; keeping the last good copy',
        );
      } finally {
        this.#inflight = undefined;
      }
    })();
    return this.#inflight;
  }

  async lookup(apiKey: string): Promise<ApiKeyLookup> {
    const found = this.#find(apiKey);
    if (found !== undefined) {
      if (
        this.#fetch !== undefined &&
        this.#dynamic.has(apiKey) &&
        this.#now() - this.#fetchedAt >= this.#refreshKnownMs
      ) {
        void this.refresh();
      }
      return found;
    }
    if (this.#fetch !== undefined && this.#now() - this.#attemptedAt >= this.#refreshUnknownMs) {
      await this.refresh();
      return this.#find(apiKey) ?? { known: false };
    }
    if (this.#inflight !== undefined) {
      await this.#inflight;
      return this.#find(apiKey) ?? { known: false };
    }
    return { known: false };
  }

  close(): void {
    this.#closed = true;
  }

  #find(apiKey: string): ApiKeyLookup | undefined {
    if (this.#dynamic.has(apiKey))
      return { known: true, secret: this.#dynamic.get(apiKey) ?? null };
    if (this.#static.has(apiKey)) return { known: true, secret: this.#static.get(apiKey) ?? null };
    return undefined;
  }
}

export interface SecretsManagerFetcherOptions {
  readonly secretId: string;
  readonly region: string;
  /** Endpoint override (a local fake in tests, a VPC endpoint in production). */
  readonly endpoint?: string;
  /** Prebuilt client; otherwise one is created from region/endpoint. */
  readonly client?: SecretsManagerClient;
  /** Takes the SDK's warnings of the client created here (see `awsSdkLogger`). */
  readonly logger?: AwsSdkLogger;
}

/**
 * A fetcher that reads `secretId` from AWS Secrets Manager and validates its JSON.
 *
 * @throws ServerError `AHS_ERR_SECRET_UNAVAILABLE` (as a rejection) when the secret cannot be
 * read, is binary, or is not an API key map.
 */
export function secretsManagerFetcher(options: SecretsManagerFetcherOptions): ApiKeyMapFetcher {
  const client =
    options.client ??
    new SecretsManagerClient({
      region: options.region,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
  return async () => {
    let text: string | undefined;
    try {
      const out = await client.send(new GetSecretValueCommand({ SecretId: options.secretId }));
      text = out.SecretString;
    } catch (error) {
      throw new ServerError(
        ServerErrorCode.SecretUnavailable,
        `reading secret ${options.secretId} failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (text === undefined) {
      throw new ServerError(
        ServerErrorCode.SecretUnavailable,
        `secret ${options.secretId} has no SecretString`,
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ServerError(
        ServerErrorCode.SecretUnavailable,
        `secret ${options.secretId} is not JSON`,
      );
    }
    const map = apiKeyMapSchema.safeParse(json);
    if (!map.success) {
      throw new ServerError(
        ServerErrorCode.SecretUnavailable,
        `secret ${options.secretId} is not an API key map ({"<key>": "<base64 secret>" | "" | null})`,
      );
    }
    return map.data;
  };
}

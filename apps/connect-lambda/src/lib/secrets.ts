import {
  CrestaError,
  CrestaErrorCode,
  type CrestaLogger,
  type Deadline,
  type OAuthCredentials,
  parseOAuthSecret,
  parseSecretArn,
} from '@org/cresta-handoff';
import type * as SecretsManagerSdk from '@aws-sdk/client-secrets-manager';

/** What the loader needs from `GetSecretValue`'s answer. */
export interface SecretValue {
  SecretString?: string | undefined;
}

/**
 * The slice of a Secrets Manager client the loader uses. The default creates an AWS SDK v3
 * `SecretsManagerClient` per region, loaded lazily so that cold starts without a secret ARN never
 * load the SDK.
 */
export interface SecretsClient {
  getSecretString(arn: string, signal: AbortSignal): Promise<SecretValue>;
  destroy(): void;
}

/** Creates a {@link SecretsClient} for one AWS region. */
export type SecretsClientFactory = (region: string) => Promise<SecretsClient>;

/** Options of {@link SecretCredentialsLoader}. */
export interface SecretCredentialsLoaderOptions {
  /** How long parsed credentials are reused, in ms; 0 = fetch on every invocation. */
  readonly cacheTtlMs: number;
  readonly allowedPartitions: readonly string[];
  readonly clientFactory: SecretsClientFactory;
  readonly logger: CrestaLogger;
  readonly now?: () => number;
}

/**
 * The default {@link SecretsClientFactory}: an AWS SDK v3 client in the ARN's region, optionally
 * pointed at another endpoint (LocalStack, a local fake).
 */
export function sdkSecretsClientFactory(endpoint: string | undefined): SecretsClientFactory {
  return async (region) => {
    // A lazy `require`, not `import()`: the Lambda runtime's SDK is found through NODE_PATH, which
    // ESM resolution ignores, and loading it on first use keeps it out of cold starts without a
    // secret ARN.
    const sdk = require('@aws-sdk/client-secrets-manager') as typeof SecretsManagerSdk;
    const client = new sdk.SecretsManagerClient({
      region,
      ...(endpoint === undefined ? {} : { endpoint }),
    });
    return {
      async getSecretString(arn, signal) {
        const output = await client.send(new sdk.GetSecretValueCommand({ SecretId: arn }), {
          abortSignal: signal,
        });
        return { SecretString: output.SecretString };
      },
      destroy: () => client.destroy(),
    };
  };
}

interface CacheEntry {
  readonly credentials: OAuthCredentials;
  readonly expiresAt: number;
}

/**
 * Most SDK clients kept (one per region). The region comes from `oauthSecretArn`, which a Connect
 * parameter may set, so without a bound every made-up region would leave a client (and its
 * connection pool) in a warm container for good; the least recently used one is destroyed.
 */
export const MAX_SECRETS_CLIENTS = 8;
/** Most parsed secrets kept (one per ARN); the least recently used one is dropped. */
export const MAX_CACHED_SECRETS = 32;

/**
 * Loads OAuth client credentials from Secrets Manager and keeps them for `cacheTtlMs`, so that warm
 * invocations skip `GetSecretValue` (upstream calls it on every invocation). Concurrent loads of
 * the same ARN share one request. Errors carry the upstream inner messages; the caller adds the
 * `failed to retrieve OAuth credentials from Secrets Manager:` prefix once.
 */
export class SecretCredentialsLoader {
  readonly #options: SecretCredentialsLoaderOptions;
  readonly #now: () => number;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inFlight = new Map<string, Promise<OAuthCredentials>>();
  readonly #clients = new Map<string, Promise<SecretsClient>>();

  constructor(options: SecretCredentialsLoaderOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Credentials for `arn`, from the cache or from Secrets Manager within the deadline; `logger`
   * (the invocation's, with its contact id) gets the line about the cache.
   */
  load(
    arn: string,
    deadline: Deadline,
    logger: CrestaLogger = this.#options.logger,
  ): Promise<OAuthCredentials> {
    const cached = this.#cache.get(arn);
    if (cached !== undefined && this.#now() < cached.expiresAt) {
      logger.debug('Using cached OAuth credentials from Secrets Manager');
      touch(this.#cache, arn, cached);
      return Promise.resolve(cached.credentials);
    }
    if (cached !== undefined) this.#cache.delete(arn);
    const pending = this.#inFlight.get(arn);
    if (pending !== undefined) return pending;
    const request = this.#fetch(arn, deadline).finally(() => this.#inFlight.delete(arn));
    this.#inFlight.set(arn, request);
    return request;
  }

  /** Destroys the SDK clients. */
  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    for (const client of await Promise.allSettled(clients)) {
      if (client.status === 'fulfilled') client.value.destroy();
    }
  }

  async #fetch(arn: string, deadline: Deadline): Promise<OAuthCredentials> {
    const { region } = parseSecretArn(arn, this.#options.allowedPartitions);
    if (deadline.expired()) {
      throw new CrestaError(
        CrestaErrorCode.DeadlineExceeded,
        'overall deadline exceeded before GetSecretValue',
      );
    }
    const client = await this.#client(region);
    const controller = new AbortController();
    const remaining = deadline.remainingMs();
    const timer = Number.isFinite(remaining)
      ? setTimeout(() => controller.abort(), remaining)
      : undefined;
    let value: SecretValue;
    try {
      value = await client.getSecretString(arn, controller.signal);
    } catch (err) {
      if (controller.signal.aborted) {
        throw new CrestaError(
          CrestaErrorCode.DeadlineExceeded,
          `GetSecretValue did not answer within the overall deadline of ${Math.round(deadline.budgetMs)}ms`,
          { cause: err },
        );
      }
      const error = err as { name?: string; message?: string };
      const name = error.name !== undefined && error.name !== 'Error' ? `${error.name}: ` : '';
      throw new CrestaError(CrestaErrorCode.Secret, `${name}${error.message ?? String(err)}`, {
        cause: err,
      });
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    const credentials = parseOAuthSecret(value.SecretString);
    if (this.#options.cacheTtlMs > 0) {
      touch(this.#cache, arn, { credentials, expiresAt: this.#now() + this.#options.cacheTtlMs });
      for (const key of this.#cache.keys()) {
        if (this.#cache.size <= MAX_CACHED_SECRETS) break;
        this.#cache.delete(key);
      }
    }
    return credentials;
  }

  #client(region: string): Promise<SecretsClient> {
    let client = this.#clients.get(region);
    if (client === undefined) {
      client = this.#options.clientFactory(region);
      const created = client;
      created.catch(() => {
        if (this.#clients.get(region) === created) this.#clients.delete(region);
      });
      for (const [oldest, evicted] of this.#clients) {
        if (this.#clients.size < MAX_SECRETS_CLIENTS) break;
        this.#clients.delete(oldest);
        evicted.then((c) => c.destroy()).catch(() => undefined);
      }
    }
    touch(this.#clients, region, client);
    return client;
  }
}

/** Sets `key` as the most recently used entry of a map kept in least-recently-used order. */
function touch<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
}

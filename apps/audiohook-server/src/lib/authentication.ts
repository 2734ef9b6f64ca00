// Builds authentication from the configuration: the API key store (static map and Secrets
// Manager) and the request authenticator with its replay cache (in process, or the DynamoDB
// table shared by every instance).

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NonceCache, type NonceStore } from '@org/audiohook-protocol';
import { awsSdkLogger } from '@org/service-kit';
import type { ServerConfig } from '../config';
import { CachingApiKeyStore, secretsManagerFetcher } from './api-keys';
import { RequestAuthenticator } from './auth';
import type { AppLogger } from './logging';
import type { ServerMetrics } from './metrics';
import { DynamoNonceStore, replayTableClient } from './replay-store';

export interface AuthenticationParts {
  readonly keys: CachingApiKeyStore;
  readonly authenticator: RequestAuthenticator;
  /** What guards against replays, for the start-up line: the table, `in-process` or `false`. */
  readonly replayCache: string | false;
  /** Stops key refreshes and releases the DynamoDB client (unless it was given). */
  close(): void;
}

export interface AuthenticationOverrides {
  readonly secretsClient?: SecretsManagerClient;
  readonly dynamoClient?: DynamoDBClient;
}

function apiKeyStore(
  config: ServerConfig,
  logger: AppLogger,
  overrides: AuthenticationOverrides,
): CachingApiKeyStore {
  const secret = config.apiKeys.secret;
  return new CachingApiKeyStore({
    staticMap: config.apiKeys.staticMap,
    ...(secret === undefined
      ? {}
      : {
          fetch: secretsManagerFetcher({
            secretId: secret.secretId,
            region: secret.region,
            ...(secret.endpoint === undefined ? {} : { endpoint: secret.endpoint }),
            ...(overrides.secretsClient === undefined ? {} : { client: overrides.secretsClient }),
            logger: awsSdkLogger(logger, 'Secrets Manager'),
          }),
          refreshKnownMs: secret.refreshKnownMs,
          refreshUnknownMs: secret.refreshUnknownMs,
        }),
    logger: logger.child({ component: 'api-keys' }),
  });
}

/**
 * @example
 * ```ts
 * const auth = createAuthentication(config, logger, metrics);
 * await auth.keys.refresh();
 * ```
 */
export function createAuthentication(
  config: ServerConfig,
  logger: AppLogger,
  metrics: ServerMetrics,
  overrides: AuthenticationOverrides = {},
): AuthenticationParts {
  const keys = apiKeyStore(config, logger, overrides);
  const table = config.auth.replayTable;
  const client =
    table === undefined
      ? undefined
      : (overrides.dynamoClient ??
        replayTableClient({
          region: table.region,
          timeoutMs: table.timeoutMs,
          ...(table.endpoint === undefined ? {} : { endpoint: table.endpoint }),
          logger: awsSdkLogger(logger, 'DynamoDB'),
        }));
  let nonceStore: NonceStore | undefined;
  if (table !== undefined && client !== undefined) {
    nonceStore = new DynamoNonceStore({ client, table: table.table });
  } else if (config.auth.replayCacheSize > 0) {
    nonceStore = new NonceCache({ maxEntries: config.auth.replayCacheSize });
  }
  const authenticator = new RequestAuthenticator({
    keys,
    metrics,
    maxAgeSeconds: config.auth.maxAgeSeconds,
    timeMode: config.auth.timeMode,
    clockSkewSeconds: config.auth.clockSkewSeconds,
    minNonceLength: config.auth.nonceMinLength,
    nonceStore,
    logger: logger.child({ component: 'auth' }),
  });
  return {
    keys,
    authenticator,
    replayCache: table?.table ?? (nonceStore === undefined ? false : 'in-process'),
    close: () => {
      keys.close();
      if (overrides.dynamoClient === undefined) client?.destroy();
    },
  };
}

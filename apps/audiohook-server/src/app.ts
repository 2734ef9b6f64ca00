// The composition root: builds every part of the server from the validated configuration.

import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NonceCache, type NonceStore } from '@org/audiohook-protocol';
import type { ServerConfig } from './config';
import { CachingApiKeyStore, secretsManagerFetcher } from './lib/api-keys';
import { RequestAuthenticator } from './lib/auth';
import type { AgentAssistOptions } from './lib/endpoints/agent-assist';
import { Gateway } from './lib/gateway';
import { createLogger, type AppLogger } from './lib/logging';
import { createMetrics, type ServerMetrics } from './lib/metrics';
import { ChunkPool } from './lib/recording/chunk-pool';
import { DynamoNonceStore, replayTableClient } from './lib/replay-store';
import { sweepLeftovers, type SweepResult } from './lib/recording/leftovers';
import type { OpenWav } from './lib/recording/session-recorder';
import { LocalRecordingSink, S3RecordingSink, type RecordingSink } from './lib/recording/uploader';

/** Written audio chunks kept for reuse (64 × 16 KiB = 1 MiB at the default chunk size). */
const CHUNK_POOL_MAX_FREE = 64;

/** Parts a test (or another host) may supply instead of the defaults. */
export interface AppOverrides {
  readonly logger?: AppLogger;
  readonly s3Client?: S3Client;
  readonly secretsClient?: SecretsManagerClient;
  /** Client of the replay cache table (with `REPLAY_CACHE_TABLE`). */
  readonly dynamoClient?: DynamoDBClient;
  /** Collect Node.js process metrics too. @default true */
  readonly defaultMetrics?: boolean;
  readonly agentAssist?: AgentAssistOptions;
  /** Creates recording WAV writers (tests use a slow one to exercise back-pressure). */
  readonly openWav?: OpenWav;
  /** See {@link GatewayOptions.disconnectGraceMs}. */
  readonly disconnectGraceMs?: number;
}

/** The running server. */
export interface AudioHookServerApp {
  readonly logger: AppLogger;
  readonly metrics: ServerMetrics;
  readonly gateway: Gateway;
  /** Resolves when the start-up sweep of leftover recordings is done. */
  readonly sweep: Promise<SweepResult | undefined>;
  /** Listens; resolves with the bound address. */
  start(): Promise<AddressInfo>;
  /** Drains sessions, waits for uploads, releases everything. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Builds the server from `config`.
 *
 * @example
 * ```ts
 * const app = createApp(loadConfig(process.env));
 * await app.start();
 * process.once('SIGTERM', () => void app.stop());
 * ```
 */
export function createApp(config: ServerConfig, overrides: AppOverrides = {}): AudioHookServerApp {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel });
  const metrics = createMetrics({ defaultMetrics: overrides.defaultMetrics ?? true });
  const pending = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const settled = work.catch(() => undefined).finally(() => pending.delete(settled));
    pending.add(settled);
  };

  const s3 = config.s3;
  let s3Client: S3Client | undefined;
  let sink: S3RecordingSink | undefined;
  if (s3 !== undefined) {
    const checksum = s3.checksums === 'when_required' ? 'WHEN_REQUIRED' : 'WHEN_SUPPORTED';
    s3Client =
      overrides.s3Client ??
      new S3Client({
        region: s3.region,
        forcePathStyle: s3.forcePathStyle,
        requestChecksumCalculation: checksum,
        responseChecksumValidation: checksum,
        ...(s3.endpoint === undefined ? {} : { endpoint: s3.endpoint }),
      });
    sink = new S3RecordingSink({
      bucket: s3.bucket,
      prefix: s3.prefix,
      client: s3Client,
      attempts: s3.attempts,
      retryBaseMs: s3.retryBaseMs,
      partSizeBytes: s3.partSizeBytes,
      logger: logger.child({ component: 'uploader' }),
    });
  }
  const recordingSink: RecordingSink = sink ?? new LocalRecordingSink();

  const secret = config.apiKeys.secret;
  const keys = new CachingApiKeyStore({
    staticMap: config.apiKeys.staticMap,
    ...(secret === undefined
      ? {}
      : {
          fetch: secretsManagerFetcher({
            secretId: secret.secretId,
            region: secret.region,
            ...(secret.endpoint === undefined ? {} : { endpoint: secret.endpoint }),
            ...(overrides.secretsClient === undefined ? {} : { client: overrides.secretsClient }),
          }),
          refreshKnownMs: secret.refreshKnownMs,
          refreshUnknownMs: secret.refreshUnknownMs,
        }),
    logger: logger.child({ component: 'api-keys' }),
  });

  const replayTable = config.auth.replayTable;
  const replayClient =
    replayTable === undefined
      ? undefined
      : (overrides.dynamoClient ??
        replayTableClient({
          region: replayTable.region,
          timeoutMs: replayTable.timeoutMs,
          ...(replayTable.endpoint === undefined ? {} : { endpoint: replayTable.endpoint }),
        }));
  const nonceStore: NonceStore | undefined =
    replayTable !== undefined && replayClient !== undefined
      ? new DynamoNonceStore({ client: replayClient, table: replayTable.table })
      : config.auth.replayCacheSize > 0
        ? new NonceCache({ maxEntries: config.auth.replayCacheSize })
        : undefined;
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

  const gateway = new Gateway({
    host: config.host,
    port: config.port,
    maxPayloadBytes: config.limits.maxPayloadBytes,
    maxSessions: config.limits.maxSessions,
    authStrategy: config.auth.strategy,
    authFailureDelayMs: config.auth.failureDelayMs,
    endpoints: config.endpoints,
    drain: config.drain,
    authenticator,
    logger,
    ...(overrides.agentAssist === undefined ? {} : { agentAssist: overrides.agentAssist }),
    ...(overrides.disconnectGraceMs === undefined
      ? {}
      : { disconnectGraceMs: overrides.disconnectGraceMs }),
    env: {
      logger,
      metrics,
      track,
      recording: config.recording.enabled
        ? {
            directory: config.recording.directory,
            headerUpdate: config.recording.headerUpdate,
            flushBytes: config.recording.flushBytes,
            sidecarMaxPings: config.recording.sidecarMaxPings,
            sidecarMaxBytes: config.recording.sidecarMaxBytes,
            ...(config.recording.flushBytes === 0
              ? {}
              : {
                  // Chunks in flight at once: about one per disk write under way.
                  chunkPool: new ChunkPool({
                    chunkBytes: config.recording.flushBytes,
                    maxFree: CHUNK_POOL_MAX_FREE,
                  }),
                }),
            maxBufferedBytes: config.recording.maxBufferedBytes,
            sink: recordingSink,
            ...(overrides.openWav === undefined ? {} : { openWav: overrides.openWav }),
          }
        : undefined,
      sessionOptions: {
        openDeadlineMs: config.limits.openTimeoutMs,
        idleTimeoutMs: config.limits.idleTimeoutMs,
        closeDeadlineMs: config.limits.closeTimeoutMs,
        unauthorizedDelayMs: config.auth.failureDelayMs,
        strict: config.protocol.strict,
        unknownMessageTypes: config.protocol.unknownMessageTypes,
        sendUpdated: config.protocol.sendUpdated,
        l16ByteOrder: config.protocol.l16ByteOrder,
        positionMode: config.protocol.positionMode,
        probe: { media: config.protocol.probeMedia },
      },
    },
  });

  let resolveSweep!: (result: SweepResult | undefined) => void;
  const sweep = new Promise<SweepResult | undefined>((resolve) => (resolveSweep = resolve));
  let stopping: Promise<void> | undefined;

  return {
    logger,
    metrics,
    gateway,
    sweep,
    async start() {
      if (config.recording.enabled) {
        await mkdir(config.recording.directory, { recursive: true });
        // Leftovers are repaired and re-uploaded in the background: start-up is not delayed by
        // a slow or unreachable bucket.
        const work = sweepLeftovers({
          directory: config.recording.directory,
          sink,
          logger: logger.child({ component: 'leftovers' }),
        }).then(resolveSweep, (error: unknown) => {
          logger.error({ err: String(error) }, 'leftover sweep failed');
          resolveSweep(undefined);
        });
        track(work);
      } else {
        resolveSweep(undefined);
      }
      await keys.refresh();
      if (keys.size === 0 && config.apiKeys.secret === undefined) {
        logger.warn(
          {},
          'no API keys configured (STATIC_API_KEY_MAP / SECRET_NAME_OR_ARN): every authenticated endpoint will refuse sessions',
        );
      }
      const address = await gateway.start();
      logger.info(
        {
          address: `${address.address}:${address.port}`,
          authStrategy: config.auth.strategy,
          recording: config.recording.enabled ? config.recording.directory : false,
          s3Bucket: config.s3?.bucket ?? null,
          replayCache: replayTable?.table ?? (nonceStore === undefined ? false : 'in-process'),
          loadTest: config.endpoints.loadTest,
        },
        'audiohook server listening',
      );
      return address;
    },
    stop() {
      stopping ??= (async () => {
        await gateway.stop();
        sink?.stopRetrying();
        // Uploads that already started get to finish; their retries were cut short above.
        while (pending.size > 0) await Promise.all([...pending]);
        keys.close();
        if (overrides.s3Client === undefined) s3Client?.destroy();
        if (overrides.dynamoClient === undefined) replayClient?.destroy();
        logger.info({}, 'audiohook server stopped');
        logger.flush();
      })();
      return stopping;
    },
  };
}

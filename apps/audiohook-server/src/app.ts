// The composition root: builds every part of the server from the validated configuration.

import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { TranscribeStreamingClient } from '@aws-sdk/client-transcribe-streaming';
import type { ServerSessionOptions } from '@org/audiohook-protocol';
import type { SpeechEngine } from '@org/speech';
import { rawLineWriter, startEmfPublisher, type EmfPublisher } from '@org/service-kit';
import { trace, type Tracer } from '@opentelemetry/api';
import type { ServerConfig } from './config';
import { createAuthentication } from './lib/authentication';
import type { AgentAssistOptions } from './lib/endpoints/agent-assist';
import { Gateway, type GatewayOptions } from './lib/gateway';
import { createLogger, SERVICE_NAME, type AppLogger } from './lib/logging';
import { createMetrics, type ServerMetrics } from './lib/metrics';
import type { FolderEnvironment } from './lib/recording/folders';
import type { SweepResult } from './lib/recording/recovery';
import type { OpenWav } from './lib/recording/session-recorder';
import { createRecordingStorage, type RecordingStorage } from './lib/recording/storage';
import { replayScopeWarning } from './lib/replay-scope';
import { createSpeechEngine, transcriberSettings } from './lib/transcription/engines';

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
  /** Tracer of the per-session spans (`(await startTracing()).tracer`). @default the API's global one */
  readonly tracer?: Tracer;
  /** Client of Amazon Transcribe streaming (with `TRANSCRIPTION_ENGINE=transcribe`). */
  readonly transcribeClient?: TranscribeStreamingClient;
  /** The recording work folder's monotonic clock and process identity. @default this machine's */
  readonly folders?: FolderEnvironment;
}

/** The running server. */
export interface AudioHookServerApp {
  readonly logger: AppLogger;
  readonly metrics: ServerMetrics;
  readonly gateway: Gateway;
  /** Recording storage (absent with `RECORDING_ENABLED=false`). */
  readonly storage: RecordingStorage | undefined;
  /** Resolves when the start-up sweep of leftover recordings is done. */
  readonly sweep: Promise<SweepResult | undefined>;
  /** Listens; resolves with the bound address. */
  start(): Promise<AddressInfo>;
  /** Drains sessions, waits for uploads, releases everything. Idempotent. */
  stop(): Promise<void>;
}

/** Protocol session options from the configuration. */
function sessionOptions(config: ServerConfig): Partial<ServerSessionOptions> {
  return {
    openWaitTimeoutMs: config.limits.openWaitTimeoutMs,
    openDeadlineMs: config.limits.openTimeoutMs,
    idleTimeoutMs: config.limits.idleTimeoutMs,
    closeDeadlineMs: config.limits.closeTimeoutMs,
    disconnectTimeoutMs: config.limits.disconnectTimeoutMs,
    unauthorizedDelayMs: config.auth.failureDelayMs,
    strict: config.protocol.strict,
    unknownMessageTypes: config.protocol.unknownMessageTypes,
    sendUpdated: config.protocol.sendUpdated,
    l16ByteOrder: config.protocol.l16ByteOrder,
    positionMode: config.protocol.positionMode,
    probe: { media: config.protocol.probeMedia },
  };
}

/** Work that must finish before the process exits (uploads, sweeps). */
function workTracker(): { track: (work: Promise<unknown>) => void; drain: () => Promise<void> } {
  const pending = new Set<Promise<unknown>>();
  return {
    track: (work) => {
      const settled = work.catch(() => undefined).finally(() => pending.delete(settled));
      pending.add(settled);
    },
    drain: async () => {
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}

/** The gateway's own settings from the configuration. */
function gatewayOptions(
  config: ServerConfig,
  overrides: AppOverrides,
  engine: SpeechEngine,
): Omit<GatewayOptions, 'authenticator' | 'logger' | 'env'> {
  return {
    speech: { engine, transcriber: transcriberSettings(config.transcription) },
    agentAssistUtterances: config.transcription.agentAssistUtterances,
    host: config.host,
    port: config.port,
    maxPayloadBytes: config.limits.maxPayloadBytes,
    maxSessions: config.limits.maxSessions,
    authStrategy: config.auth.strategy,
    authFailureDelayMs: config.auth.failureDelayMs,
    endpoints: config.endpoints,
    drain: config.drain,
    ...(overrides.agentAssist === undefined ? {} : { agentAssist: overrides.agentAssist }),
    ...(overrides.disconnectGraceMs === undefined
      ? {}
      : { disconnectGraceMs: overrides.disconnectGraceMs }),
  };
}

/** The 503 text of upgrades refused while the recording heartbeat keeps failing. */
export const HEARTBEAT_REFUSAL = 'recording storage unavailable';

/**
 * New sessions are refused while the work folder's heartbeat keeps failing (other instances would
 * soon take the folder, and the recordings in it, for a dead instance's); counted in metrics.
 */
function admission(
  storage: RecordingStorage | undefined,
  metrics: ServerMetrics,
): (() => string | undefined) | undefined {
  if (storage === undefined) return undefined;
  const { folders } = storage;
  folders.onHeartbeat((event) => {
    if (event === 'failed') metrics.heartbeatFailures.inc();
    else metrics.heartbeatRefusing.set(event === 'refusing' ? 1 : 0);
  });
  return () => (folders.refusingSessions ? HEARTBEAT_REFUSAL : undefined);
}

/** Settings that work but are likely not what was meant: said once, at start. */
function warnAtStart(config: ServerConfig, apiKeys: number, logger: AppLogger): void {
  if (apiKeys === 0 && config.apiKeys.secret === undefined) {
    logger.warn(
      {},
      'no API keys configured (STATIC_API_KEY_MAP / SECRET_NAME_OR_ARN): every authenticated endpoint will refuse sessions',
    );
  }
  const replay = replayScopeWarning(config);
  if (replay !== undefined) logger.warn({ hints: replay.hints }, replay.message);
}

/** The autoscaling metric (EMF in the log stream; the stack scales on its Average). */
function startEmf(
  config: ServerConfig,
  gateway: Gateway,
  logger: AppLogger,
): EmfPublisher | undefined {
  if (config.emf.namespace === undefined) return undefined;
  return startEmfPublisher({
    namespace: config.emf.namespace,
    dimensions: { Service: SERVICE_NAME },
    metrics: { ActiveSessions: 'Count' },
    read: () => ({ ActiveSessions: gateway.activeSessions }),
    intervalMs: config.emf.intervalMs,
    write: rawLineWriter(logger),
    logger,
  });
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
  const work = workTracker();
  const storage = config.recording.enabled
    ? createRecordingStorage(config, logger, overrides)
    : undefined;
  const auth = createAuthentication(config, logger, metrics, overrides);
  const engine = createSpeechEngine(config.transcription, overrides.transcribeClient, logger);
  const admit = admission(storage, metrics);
  const gateway = new Gateway({
    ...gatewayOptions(config, overrides, engine),
    ...(admit === undefined ? {} : { admission: admit }),
    authenticator: auth.authenticator,
    logger,
    env: {
      logger,
      metrics,
      tracer: overrides.tracer ?? trace.getTracer(SERVICE_NAME),
      track: work.track,
      recording: storage?.environment,
      sessionOptions: sessionOptions(config),
      closeHandshakeTimeoutMs: config.limits.wsCloseTimeoutMs,
      maxSendBacklogBytes: config.limits.maxSendBacklogBytes,
    },
  });

  let resolveSweep!: (result: SweepResult | undefined) => void;
  const sweep = new Promise<SweepResult | undefined>((resolve) => (resolveSweep = resolve));
  let stopping: Promise<void> | undefined;
  let emf: EmfPublisher | undefined;

  const startRecovery = async (): Promise<void> => {
    if (storage === undefined) {
      resolveSweep(undefined);
      return;
    }
    await storage.open();
    // Leftovers are repaired and re-uploaded in the background: start-up is not delayed by a
    // slow or unreachable bucket. Then dead instances are looked for periodically.
    const swept = storage.sweep({ root: true }).then(
      (result) => {
        storage.recovery.start();
        resolveSweep(result);
      },
      (error: unknown) => {
        logger.error({ err: String(error) }, 'leftover sweep failed');
        storage.recovery.start();
        resolveSweep(undefined);
      },
    );
    work.track(swept);
  };

  return {
    logger,
    metrics,
    gateway,
    storage,
    sweep,
    async start() {
      await startRecovery();
      await auth.keys.refresh();
      warnAtStart(config, auth.keys.size, logger);
      const address = await gateway.start();
      emf = startEmf(config, gateway, logger);
      logger.info(
        {
          address: `${address.address}:${address.port}`,
          authStrategy: config.auth.strategy,
          recording: storage === undefined ? false : config.recording.directory,
          runId: storage?.folders.runId,
          s3Bucket: config.s3?.bucket ?? null,
          replayCache: auth.replayCache,
          loadTest: config.endpoints.loadTest,
          transcriptionEngine: engine.name,
        },
        'audiohook server listening',
      );
      return address;
    },
    stop() {
      stopping ??= (async () => {
        await gateway.stop();
        await engine.close();
        emf?.stop();
        storage?.stopRetrying();
        // Uploads that already started get to finish; their retries were cut short above.
        await work.drain();
        await storage?.close();
        auth.close();
        logger.info({}, 'audiohook server stopped');
        logger.flush();
      })();
      return stopping;
    },
  };
}

// The composition root: builds every part of the gateway from the configuration, starts them in
// order (connectors, gRPC, dashboard) and stops them in reverse.

import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { systemClock, type Clock, type Connector, type TurnSettings } from '@org/byova';
import { trace, type Tracer } from '@opentelemetry/api';
import { createLogger, createOpsHandler } from '@org/service-kit';
import type { Logger } from 'pino';
import { ConfigError, resolveConfigPath, type GatewayConfig } from './config';
import { ConnectionLog } from './lib/connection-log';
import {
  DataSourceError,
  DataSourceLifecycle,
  RefreshingAccessToken,
  StaticAccessToken,
  type AccessTokenSource,
} from './lib/datasource';
import { loadConnector } from './lib/connectors/loader';
import { ConversationStore, conversationTableClient } from './lib/conversation-store';
import { ConversationRegistry } from './lib/conversations';
import { DashboardAuth } from './lib/dashboard/auth';
import { DashboardServer, type DashboardData } from './lib/dashboard/server';
import { WebexOAuth, parseOrgList } from './lib/dashboard/webex-oauth';
import { GrpcGateway } from './lib/grpc-server';
import { HEALTH_SERVICE_NAMES, HealthService } from './lib/health';
import { JwtValidator } from './lib/jwt';
import { GatewayMetrics } from './lib/metrics';
import { DEFAULT_FILENAME_FORMAT, RecordingService } from './lib/recorder';
import { createTestSession } from './lib/test-session';
import { checkExposure, redactSecrets } from './lib/security';
import { AgentRouter } from './lib/router';

export const GATEWAY_VERSION = '1.0.0';

/** Options of {@link createGateway}. */
export interface CreateGatewayOptions {
  readonly logger?: Logger;
  /** Environment for secrets named in the config (dashboard token, session secret). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Replaces connectors built from the config (tests). */
  readonly connectors?: readonly Connector[];
  /** For tests of JWT validation. */
  readonly jwtFetch?: typeof fetch;
  /** The conversation table's client (tests); built from the environment otherwise. */
  readonly dynamoClient?: DynamoDBClient;
  /** Time of conversations and their stored state (tests). @default systemClock */
  readonly clock?: Clock;
  /** Tracer of the turn spans (the kit's `startTracing`); the global one otherwise. */
  readonly tracer?: Tracer;
}

/** A running (or startable) gateway. */
export interface Gateway {
  start(): Promise<{ grpcPort: number; monitoringPort: number | undefined }>;
  stop(): Promise<void>;
  readonly router: AgentRouter;
  readonly registry: ConversationRegistry;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

/** The turn rules of the configuration. */
export function turnSettings(config: GatewayConfig): TurnSettings {
  const vad = config.voice_activity_detection;
  return {
    speechThresholdDbfs: vad.speech_threshold_dbfs,
    startDebounceMs: vad.start_debounce_ms,
    endSilenceMs: vad.end_silence_ms,
    maxUtteranceMs: vad.max_utterance_ms,
    preRollMs: vad.pre_roll_ms,
    minFrameBytes: vad.min_frame_bytes,
    noInputTimeoutMs: vad.no_input_timeout_ms,
    audioDefaults: {
      encoding: vad.fallback_encoding,
      sampleRateHertz: vad.fallback_sample_rate_hertz,
    },
    stripDtmfTerminator: config.gateway.strip_dtmf_terminator,
    textOnlyPrompts: config.gateway.text_only_prompts,
    chunkBytes: config.gateway.chunk_bytes,
  };
}

export function createGateway(config: GatewayConfig, options: CreateGatewayOptions = {}): Gateway {
  const env = options.env ?? {};
  const logger =
    options.logger ?? createLogger({ service: 'byova-gateway', level: config.logging.level });
  const connections = new ConnectionLog(config.monitoring.event_history);
  let grpc: GrpcGateway | undefined;
  let connectors: readonly Connector[] = options.connectors ?? [];
  let usable: Connector[] = [];
  const router = new AgentRouter([]);
  let activeRouter = router;
  const table = config.conversationTable;
  const storeClient =
    table !== undefined
      ? (options.dynamoClient ??
        conversationTableClient({
          region: table.region,
          endpoint: table.endpoint,
          timeoutMs: config.gateway.store_timeout_ms,
        }))
      : undefined;
  const store =
    table !== undefined && storeClient !== undefined
      ? new ConversationStore({
          client: storeClient,
          table: table.table,
          // The item outlives the idle timeout a little: the reaper of some instance ends it first.
          ttlSeconds: Math.ceil(config.gateway.idle_timeout_seconds) + 60,
          clock: options.clock ?? systemClock,
        })
      : undefined;
  const registry = new ConversationRegistry({
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
    tracer: options.tracer ?? trace.getTracer('byova-gateway'),
    router: () => activeRouter,
    settings: turnSettings(config),
    get recordings() {
      return recordings;
    },
    store,
    idleTimeoutMs: config.gateway.idle_timeout_seconds * 1000,
    reaperIntervalMs: config.gateway.reaper_interval_seconds * 1000,
    logger,
    get metrics() {
      return metrics;
    },
    connections,
  });
  const metrics: GatewayMetrics = new GatewayMetrics({
    connectorKeys: options.connectors?.map((c) => c.key) ?? Object.keys(config.connectors),
    activeConversations: () => registry.size,
    activeStreams: () => grpc?.activeStreams ?? 0,
  });
  const recordingConfig = config.audio_recording;
  // Connectors may ask for their own recording even when the gateway-wide one is off.
  const recordings = new RecordingService({
    policy: recordingConfig.enabled
      ? {
          dir: resolveConfigPath(config, recordingConfig.output_dir),
          filenameFormat: DEFAULT_FILENAME_FORMAT,
          caller: 'all',
          bot: true,
          callerEncoding: 'pcm16',
          callerSampleRate: undefined,
          maxFileBytes: undefined,
        }
      : undefined,
    maxConcurrent: recordingConfig.max_concurrent,
    maxOpenFiles: recordingConfig.max_open_files,
    flushBytes: recordingConfig.flush_bytes,
    metrics,
  });
  const health = new HealthService(() => activeRouter.agents().length);
  const jwtConfig = config.jwt_validation;
  const jwt = jwtConfig.enabled
    ? new JwtValidator({
        allowedIssuers: jwtConfig.allowed_issuers,
        datasourceUrl: jwtConfig.datasource_url,
        schemaUuid: jwtConfig.datasource_schema_uuid,
        audience: jwtConfig.audience,
        subject: jwtConfig.subject,
        clockToleranceSeconds: jwtConfig.clock_tolerance_seconds,
        cacheMs: jwtConfig.cache_duration_minutes * 60_000,
        fetchTimeoutMs: jwtConfig.jwks_timeout_ms,
        ...(options.jwtFetch !== undefined ? { fetch: options.jwtFetch } : {}),
      })
    : undefined;
  let dashboard: DashboardServer | undefined;
  let dataSource: DataSourceLifecycle | undefined;
  const startedAt = Date.now();

  const data: DashboardData = {
    grpcStatus: () => health.status(),
    createTestSession: () => createTestSession(registry, config.monitoring.max_test_sessions),
    status: () => {
      const statuses = health.statuses();
      const serving = Object.values(statuses).filter((s) => s === 'SERVING').length;
      const total = Object.keys(statuses).length;
      return {
        status: 'running',
        available_agents: activeRouter.agents().map((a) => a.id),
        default_agent: activeRouter.agents().find((a) => a.isDefault)?.id ?? null,
        active_sessions: registry.all().map((c) => c.id),
        total_agents: activeRouter.agents().length,
        total_sessions: registry.created,
        total_connectors: usable.length,
        uptime: `${Math.round((Date.now() - startedAt) / 1000)}s`,
        uptime_seconds: (Date.now() - startedAt) / 1000,
        last_updated: new Date().toISOString(),
        data_source: dataSource?.status() ?? null,
        health: {
          overall_healthy: serving === total,
          grpc_status: serving === total ? 'SERVING' : serving === 0 ? 'NOT_SERVING' : 'DEGRADED',
          services: statuses,
          serving_services: serving,
          total_services: total,
        },
      };
    },
    config: () =>
      redactSecrets({
        gateway: {
          name: 'BYOVA Gateway',
          version: GATEWAY_VERSION,
          host: config.gateway.host,
          grpc_port: grpc?.port ?? config.gateway.port,
          web_port: config.monitoring.port,
          idle_timeout_seconds: config.gateway.idle_timeout_seconds,
        },
        connectors: usable.map((c) => ({
          name: c.key,
          type: c.kind,
          reply_mode: c.replyMode,
          agents: c.agents().map((a) => a.id),
        })),
        monitoring: {
          enabled: config.monitoring.enabled,
          host: config.monitoring.host,
          port: config.monitoring.port,
        },
        voice_activity_detection: config.voice_activity_detection,
        jwt_validation: {
          enabled: jwtConfig.enabled,
          enforce_validation: jwtConfig.enforce_validation,
          datasource_url: jwtConfig.datasource_url,
          allowed_issuers: jwtConfig.allowed_issuers,
        },
        authentication: { enabled: config.authentication.enabled },
        audio_recording: config.audio_recording,
        connector_config: config.connectors,
        allow_insecure: config.allowInsecure,
      }) as object,
    connections: () => {
      const events = connections.events();
      const active = registry.all().map((c) => ({
        conversation_id: c.id,
        agent_id: c.agentId,
        customer_org_id: c.customerOrgId,
        rpc_sessions: c.openStreams,
        welcome_sent: c.welcomed,
        turns: c.turns,
        status: 'Active',
        started_at: c.startedAt / 1000,
        idle_seconds: (Date.now() - c.lastActivity) / 1000,
      }));
      const history = events.filter((e) => e.event_type === 'end');
      return {
        active_conversations: active,
        history,
        connection_events: events,
        total_active: active.length,
        total_history: history.length,
      };
    },
    sessions: () => ({
      count: registry.size,
      sessions: registry.all().map((c) => ({
        conversation_id: c.id,
        agent_id: c.agentId,
        connector: c.connector.key,
        reply_mode: c.connector.replyMode,
        open_streams: c.openStreams,
        welcome_sent: c.welcomed,
        dtmf_mode: c.dtmfMode,
        turns: c.turns,
        input_mode: c.input.inputMode,
        age_seconds: (Date.now() - c.startedAt) / 1000,
        idle_seconds: (Date.now() - c.lastActivity) / 1000,
      })),
    }),
  };

  /** The dashboard login, checked before anything listens (missing secrets are config errors). */
  function dashboardAuth(): { auth: DashboardAuth; webex: WebexOAuth | undefined } | undefined {
    const authentication = config.authentication;
    if (!authentication.enabled) return undefined;
    const token = env[authentication.token_env] || undefined;
    let webex: WebexOAuth | undefined;
    if (authentication.mode === 'webex') {
      const oauth = authentication.webex_oauth;
      const need = (name: string): string => {
        const value = env[name];
        if (value === undefined || value === '') {
          throw new ConfigError(`authentication.mode webex needs $${name}`);
        }
        return value;
      };
      const authorizedOrgs = parseOrgList(env[authentication.authorized_orgs_env]);
      if (authorizedOrgs.length === 0) {
        logger.warn(`$${authentication.authorized_orgs_env} is empty: no Webex org may log in`);
      }
      webex = new WebexOAuth({
        clientId: need(oauth.client_id_env),
        clientSecret: need(oauth.client_secret_env),
        redirectUri: need(oauth.redirect_uri_env),
        scopes: oauth.scopes,
        baseUrl: oauth.base_url,
        authorizedOrgs,
        timeoutMs: oauth.timeout_ms,
      });
    } else if (token === undefined) {
      throw new ConfigError(
        `authentication.enabled needs the dashboard token in $${authentication.token_env}`,
      );
    }
    return {
      auth: new DashboardAuth({
        token,
        secret: env[authentication.session.secret_key_env],
        sessionTtlMs: authentication.session.timeout_hours * 3_600_000,
      }),
      webex,
    };
  }

  /** The BYODS lifecycle, when enabled (missing credentials are config errors). */
  function dataSourceLifecycle(): DataSourceLifecycle | undefined {
    const ds = config.data_source;
    if (!ds.enabled) return undefined;
    const need = (name: string): string => {
      const value = env[name];
      if (value === undefined || value === '')
        throw new ConfigError(`data_source.auth.type ${ds.auth.type} needs $${name}`);
      return value;
    };
    const base = ds.base_url.replace(/\/+$/, '');
    const auth: AccessTokenSource =
      ds.auth.type === 'static'
        ? new StaticAccessToken(need(ds.auth.access_token_env))
        : new RefreshingAccessToken({
            baseUrl: base,
            clientId: need(ds.auth.client_id_env),
            clientSecret: need(ds.auth.client_secret_env),
            refreshToken: need(ds.auth.refresh_token_env),
            timeoutMs: ds.timeout_ms,
          });
    const id = ds.id !== '' ? ds.id : env[ds.id_env] || undefined;
    return new DataSourceLifecycle({
      baseUrl: base,
      id,
      url: ds.url !== '' ? ds.url : config.jwt_validation.datasource_url,
      schemaId: ds.schema_id !== '' ? ds.schema_id : config.jwt_validation.datasource_schema_uuid,
      audience: ds.audience,
      subject: ds.subject,
      tokenLifetimeMinutes: ds.token_lifetime_minutes,
      renewalLeadMs: ds.renewal_lead_time_minutes * 60_000,
      retryMs: ds.retry_interval_seconds * 1000,
      timeoutMs: ds.timeout_ms,
      auth,
      logger: logger.child({ component: 'data_source' }),
    });
  }

  async function start(): Promise<{ grpcPort: number; monitoringPort: number | undefined }> {
    // Configuration errors first, before anything is registered or bound.
    checkExposure(config, config.allowInsecure, logger);
    const login = config.monitoring.enabled ? dashboardAuth() : undefined;
    dataSource = dataSourceLifecycle();
    // The data source is alive before WxCC can reach the gRPC port.
    if (dataSource !== undefined) {
      try {
        await dataSource.start();
      } catch (error) {
        if (config.data_source.fail_startup_on_error) {
          dataSource.stop();
          throw new DataSourceError(`data source lifecycle failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
        logger.error({ err: error }, 'data source lifecycle failed; continuing without it');
      }
    }
    try {
      return await listen(login);
    } catch (error) {
      await stop();
      throw error;
    }
  }

  async function listen(
    login: ReturnType<typeof dashboardAuth>,
  ): Promise<{ grpcPort: number; monitoringPort: number | undefined }> {
    // Connectors are built (plug-ins loaded) now; a connector that cannot start is left out (its
    // agents are not offered), as long as one works.
    connectors =
      options.connectors ??
      Object.entries(config.connectors).map(([key, entry]) =>
        loadConnector(key, entry, config.baseDir, logger),
      );
    const results = await Promise.allSettled(connectors.map((c) => c.init()));
    usable = connectors.filter((c, i) => {
      const result = results[i];
      if (result?.status === 'rejected') {
        logger.error(
          { connector: c.key, err: result.reason as Error },
          'connector failed to start; its agents are not offered',
        );
        return false;
      }
      return true;
    });
    activeRouter = new AgentRouter(usable);
    if (activeRouter.agents().length === 0)
      logger.error('no virtual agent is available; health reports NOT_SERVING');
    grpc = new GrpcGateway({
      config,
      registry,
      router: activeRouter,
      metrics,
      logger,
      health,
      jwt,
    });
    const grpcPort = await grpc.listen();
    registry.startReaper();
    let monitoringPort: number | undefined;
    if (config.monitoring.enabled) {
      dashboard = new DashboardServer({
        host: config.monitoring.host,
        port: config.monitoring.port,
        pingPath: config.monitoring.ping_path,
        auth: login?.auth,
        webex: login?.webex,
        data,
        ops: createOpsHandler({
          registry: metrics.metrics.registry,
          // Liveness: the process answers; the gRPC serving status is in the body.
          health: () => ({
            healthy: true,
            body: {
              status: 'healthy',
              service: 'BYOVA Gateway Monitoring',
              grpc_status: health.status(),
              timestamp: new Date().toISOString(),
            },
          }),
          logger,
        }),
        logger: logger.child({ component: 'dashboard' }),
      });
      monitoringPort = await dashboard.listen();
    }
    logger.info(
      {
        grpc: `${config.gateway.host}:${grpcPort}`,
        monitoring:
          monitoringPort !== undefined
            ? `http://${config.monitoring.host}:${monitoringPort}/`
            : 'disabled',
        agents: activeRouter.agents().map((a) => a.id),
        jwt_validation: jwtConfig.enabled,
        health_services: HEALTH_SERVICE_NAMES.length,
      },
      'BYOVA gateway started',
    );
    return { grpcPort, monitoringPort };
  }

  async function stop(): Promise<void> {
    health.shutdown();
    dataSource?.stop();
    await grpc?.close(config.gateway.shutdown_grace_seconds * 1000);
    await registry.close('shutdown');
    await dashboard?.close();
    await Promise.allSettled(connectors.map((c) => c.close()));
    if (options.dynamoClient === undefined) storeClient?.destroy();
    logger.info('BYOVA gateway stopped');
  }

  return {
    start,
    stop,
    get router() {
      return activeRouter;
    },
    registry,
    metrics,
    logger,
  };
}

/** Default config file shipped next to the built bundle and in the source tree. */
export function defaultConfigPath(mainDir: string): string {
  return join(mainDir, 'config', 'default.yaml');
}

// The composition root: builds every part of the gateway from the configuration, starts them in
// order (connectors, gRPC, dashboard) and stops them in reverse. A connector that fails to start
// is retried in the background and offered once it starts; health is NOT_SERVING meanwhile.

import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { systemClock, type Clock, type Connector } from '@org/byova';
import { trace, type Tracer } from '@opentelemetry/api';
import { createLogger, createOpsHandler } from '@org/service-kit';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config';
import { CallLimitRefusals } from './lib/call-limits';
import { ConnectionLog } from './lib/connection-log';
import {
  ConnectorSupervisor,
  connectorRetryPolicy,
  type ConnectorRetryPolicy,
} from './lib/connector-supervisor';
import { loadConnector } from './lib/connectors/loader';
import { ConversationRegistry } from './lib/conversations';
import { dashboardData } from './lib/dashboard/data';
import { DashboardServer } from './lib/dashboard/server';
import { DataSourceError, type DataSourceLifecycle } from './lib/datasource';
import { GrpcGateway } from './lib/grpc-server';
import { HEALTH_SERVICE_NAMES, HealthService } from './lib/health';
import type { JwtValidator } from './lib/jwt';
import { GatewayMetrics } from './lib/metrics';
import { AgentRouter } from './lib/router';
import { checkExposure } from './lib/security';
import {
  conversationStore,
  dashboardLogin,
  dataSourceLifecycle,
  jwtValidator,
  recordingService,
  turnSettings,
} from './lib/wiring';

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
  /**
   * The working directory connectors resolve the Python gateway's relative paths from (the local
   * audio connector's `audio` prompt folder). @default process.cwd()
   */
  readonly workingDir?: string;
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

class ByovaGateway implements Gateway {
  readonly logger: Logger;
  readonly registry: ConversationRegistry;
  readonly metrics: GatewayMetrics;
  readonly #config: GatewayConfig;
  readonly #options: CreateGatewayOptions;
  readonly #connections: ConnectionLog;
  readonly #health: HealthService;
  readonly #refusals: CallLimitRefusals;
  readonly #jwt: JwtValidator | undefined;
  readonly #table: ReturnType<typeof conversationStore>;
  readonly #startedAt = Date.now();
  readonly #router = new AgentRouter([]);
  #connectors: readonly Connector[];
  #supervisor: ConnectorSupervisor | undefined;
  #grpc: GrpcGateway | undefined;
  #dashboard: DashboardServer | undefined;
  #dataSource: DataSourceLifecycle | undefined;

  constructor(config: GatewayConfig, options: CreateGatewayOptions) {
    this.#config = config;
    this.#options = options;
    this.#connectors = options.connectors ?? [];
    this.logger =
      options.logger ?? createLogger({ service: 'byova-gateway', level: config.logging.level });
    this.#connections = new ConnectionLog(config.monitoring.event_history);
    this.#table = conversationStore(
      config,
      options.clock ?? systemClock,
      options.dynamoClient,
      this.logger,
    );
    this.metrics = new GatewayMetrics({
      connectorKeys: options.connectors?.map((c) => c.key) ?? Object.keys(config.connectors),
      activeConversations: () => this.registry.size,
      activeStreams: () => this.#grpc?.activeStreams ?? 0,
      pendingConnectors: () => this.#pendingConnectors().length,
      healthWatchers: () => this.#health.watchers,
    });
    this.#refusals = new CallLimitRefusals({ metrics: this.metrics, logger: this.logger });
    this.registry = new ConversationRegistry({
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      tracer: options.tracer ?? trace.getTracer('byova-gateway'),
      router: () => this.#router,
      settings: turnSettings(config),
      recordings: recordingService(config, this.metrics),
      store: this.#table?.store,
      idleTimeoutMs: config.gateway.idle_timeout_seconds * 1000,
      reaperIntervalMs: config.gateway.reaper_interval_seconds * 1000,
      logger: this.logger,
      metrics: this.metrics,
      connections: this.#connections,
      maxConversations: config.gateway.max_conversations,
      refuse: this.#refusals.refuse,
      turnLeaseMs: config.gateway.turn_lease_seconds * 1000,
      turnPollMs: config.gateway.turn_poll_ms,
    });
    this.#health = new HealthService(
      () => this.#router.agents().length,
      () => this.#pendingConnectors().length,
      { maxWatchers: config.gateway.max_health_watchers, refuse: this.#refusals.refuse },
    );
    this.#jwt = jwtValidator(config, options.jwtFetch);
  }

  get router(): AgentRouter {
    return this.#router;
  }

  /** Keys of configured connectors that have not started yet (being retried). */
  #pendingConnectors(): string[] {
    return this.#supervisor?.pending() ?? [];
  }

  async start(): Promise<{ grpcPort: number; monitoringPort: number | undefined }> {
    const config = this.#config;
    const env = this.#options.env ?? {};
    // Configuration errors first, before anything is registered or bound.
    checkExposure(config, config.allowInsecure, this.logger);
    const retry = connectorRetryPolicy(config.gateway);
    const login = config.monitoring.enabled ? dashboardLogin(config, env, this.logger) : undefined;
    this.#dataSource = dataSourceLifecycle(config, env, this.logger, this.#table);
    // The data source is alive before WxCC can reach the gRPC port.
    if (this.#dataSource !== undefined) {
      try {
        await this.#dataSource.start();
      } catch (error) {
        if (config.data_source.fail_startup_on_error) {
          this.#dataSource.stop();
          throw new DataSourceError(`data source lifecycle failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
        this.logger.error({ err: error }, 'data source lifecycle failed; continuing without it');
      }
    }
    try {
      await this.#startConnectors(retry);
      const grpcPort = await this.#startGrpc();
      const monitoringPort = config.monitoring.enabled
        ? await this.#startDashboard(login)
        : undefined;
      this.#logStarted(grpcPort, monitoringPort);
      return { grpcPort, monitoringPort };
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /**
   * Builds the connectors (plug-ins loaded now) and starts them; one whose `init()` fails is left
   * out and retried in the background with `retry`, and offered once it starts.
   */
  async #startConnectors(retry: ConnectorRetryPolicy): Promise<void> {
    const { config, logger } = { config: this.#config, logger: this.logger };
    this.#connectors =
      this.#options.connectors ??
      Object.entries(config.connectors).map(([key, entry]) =>
        loadConnector(
          key,
          entry,
          config.baseDir,
          logger,
          this.#options.workingDir ?? process.cwd(),
        ),
      );
    const supervisor = new ConnectorSupervisor({
      connectors: this.#connectors,
      policy: retry,
      logger,
      onStarted: () => this.#offerStarted(),
      onFailure: (c) => this.metrics.connectorStartFailures.inc({ connector: c.key }),
    });
    this.#supervisor = supervisor;
    await supervisor.start();
    this.#router.setConnectors(supervisor.started());
    if (this.#router.agents().length === 0)
      logger.error('no virtual agent is available; health reports NOT_SERVING');
  }

  /** A connector started on a retry: route to it and tell the health watchers. */
  #offerStarted(): void {
    const supervisor = this.#supervisor;
    if (supervisor === undefined) return;
    this.#router.setConnectors(supervisor.started());
    this.logger.info(
      {
        agents: this.#router.agents().map((a) => a.id),
        pending_connectors: supervisor.pending(),
      },
      'virtual agents updated',
    );
    this.#health.notify();
  }

  async #startGrpc(): Promise<number> {
    this.#grpc = new GrpcGateway({
      config: this.#config,
      registry: this.registry,
      router: this.#router,
      metrics: this.metrics,
      logger: this.logger,
      health: this.#health,
      jwt: this.#jwt,
      refuse: this.#refusals.refuse,
    });
    const port = await this.#grpc.listen();
    this.registry.startReaper();
    return port;
  }

  async #startDashboard(login: ReturnType<typeof dashboardLogin>): Promise<number> {
    const config = this.#config;
    const health = this.#health;
    this.#dashboard = new DashboardServer({
      host: config.monitoring.host,
      port: config.monitoring.port,
      pingPath: config.monitoring.ping_path,
      auth: login?.auth,
      webex: login?.webex,
      data: dashboardData({
        config,
        registry: this.registry,
        connections: this.#connections,
        health,
        router: () => this.#router,
        usable: () => this.#supervisor?.started() ?? [],
        pending: () => this.#pendingConnectors(),
        grpcPort: () => (this.#grpc !== undefined ? this.#grpc.port : undefined),
        dataSource: () => this.#dataSource,
        startedAt: this.#startedAt,
      }),
      ops: createOpsHandler({
        registry: this.metrics.metrics.registry,
        // Liveness: the process answers; the gRPC serving status is in the body.
        health: () => ({
          healthy: true,
          body: {
            status: 'healthy',
            service: 'BYOVA Gateway Monitoring',
            grpc_status: health.status(),
            // Configured connectors still being retried (NOT_SERVING until they start).
            pending_connectors: this.#pendingConnectors(),
            timestamp: new Date().toISOString(),
          },
        }),
        logger: this.logger,
      }),
      logger: this.logger.child({ component: 'dashboard' }),
    });
    return this.#dashboard.listen();
  }

  #logStarted(grpcPort: number, monitoringPort: number | undefined): void {
    const config = this.#config;
    this.logger.info(
      {
        grpc: `${config.gateway.host}:${grpcPort}`,
        monitoring:
          monitoringPort !== undefined
            ? `http://${config.monitoring.host}:${monitoringPort}/`
            : 'disabled',
        agents: this.#router.agents().map((a) => a.id),
        jwt_validation: config.jwt_validation.enabled,
        health_services: HEALTH_SERVICE_NAMES.length,
      },
      'BYOVA gateway started',
    );
  }

  async stop(): Promise<void> {
    // No retry starts a connector while (or after) the gateway stops.
    this.#supervisor?.stop();
    this.#health.shutdown();
    this.#dataSource?.stop();
    await this.#grpc?.close(this.#config.gateway.shutdown_grace_seconds * 1000);
    await this.registry.close('shutdown');
    await this.#dashboard?.close();
    await Promise.allSettled(this.#connectors.map((c) => c.close()));
    if (this.#options.dynamoClient === undefined) this.#table?.client.destroy();
    this.logger.info('BYOVA gateway stopped');
  }
}

/** Builds a gateway from its configuration (nothing listens before `start`). */
export function createGateway(config: GatewayConfig, options: CreateGatewayOptions = {}): Gateway {
  return new ByovaGateway(config, options);
}

/** Default config file shipped next to the built bundle and in the source tree. */
export function defaultConfigPath(mainDir: string): string {
  return join(mainDir, 'config', 'default.yaml');
}

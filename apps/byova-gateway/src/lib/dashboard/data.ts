// What the dashboard's JSON endpoints show, built from the running gateway's parts: status and
// health, the effective configuration (secrets redacted), conversations and connection events.

import type { Connector } from '@org/byova';
import type { GatewayConfig } from '../../config';
import type { ConnectionLog } from '../connection-log';
import type { ConversationRegistry } from '../conversations';
import type { DataSourceLifecycle } from '../datasource';
import type { HealthService } from '../health';
import type { AgentRouter } from '../router';
import { redactSecrets } from '../security';
import { createTestSession } from '../test-session';
import type { DashboardData } from './server';

export const GATEWAY_VERSION = '1.0.0';

/** The running parts the dashboard reads (getters: some exist only once started). */
export interface DashboardSources {
  readonly config: GatewayConfig;
  readonly registry: ConversationRegistry;
  readonly connections: ConnectionLog;
  readonly health: HealthService;
  readonly router: () => AgentRouter;
  readonly usable: () => readonly Connector[];
  /** Keys of configured connectors not started yet (retried in the background). */
  readonly pending?: () => readonly string[];
  readonly grpcPort: () => number | undefined;
  readonly dataSource: () => DataSourceLifecycle | undefined;
  readonly startedAt: number;
}

function status(s: DashboardSources): object {
  const statuses = s.health.statuses();
  const serving = Object.values(statuses).filter((v) => v === 'SERVING').length;
  const total = Object.keys(statuses).length;
  const agents = s.router().agents();
  const uptime = (Date.now() - s.startedAt) / 1000;
  return {
    status: 'running',
    available_agents: agents.map((a) => a.id),
    default_agent: agents.find((a) => a.isDefault)?.id ?? null,
    active_sessions: s.registry.all().map((c) => c.id),
    total_agents: agents.length,
    total_sessions: s.registry.created,
    total_connectors: s.usable().length,
    pending_connectors: s.pending?.() ?? [],
    uptime: `${Math.round(uptime)}s`,
    uptime_seconds: uptime,
    last_updated: new Date().toISOString(),
    data_source: s.dataSource()?.status() ?? null,
    health: {
      overall_healthy: serving === total,
      grpc_status: serving === total ? 'SERVING' : serving === 0 ? 'NOT_SERVING' : 'DEGRADED',
      services: statuses,
      serving_services: serving,
      total_services: total,
    },
  };
}

function effectiveConfig(s: DashboardSources): object {
  const { config } = s;
  const jwt = config.jwt_validation;
  return redactSecrets({
    gateway: {
      name: 'BYOVA Gateway',
      version: GATEWAY_VERSION,
      host: config.gateway.host,
      grpc_port: s.grpcPort() ?? config.gateway.port,
      web_port: config.monitoring.port,
      idle_timeout_seconds: config.gateway.idle_timeout_seconds,
      max_message_bytes: config.gateway.max_message_bytes,
      max_concurrent_streams: config.gateway.max_concurrent_streams,
      max_caller_streams: config.gateway.max_caller_streams,
      max_conversations: config.gateway.max_conversations,
      max_health_watchers: config.gateway.max_health_watchers,
    },
    connectors: s.usable().map((c) => ({
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
      enabled: jwt.enabled,
      enforce_validation: jwt.enforce_validation,
      datasource_url: jwt.datasource_url,
      allowed_issuers: jwt.allowed_issuers,
    },
    authentication: { enabled: config.authentication.enabled },
    audio_recording: config.audio_recording,
    connector_config: config.connectors,
    allow_insecure: config.allowInsecure,
  }) as object;
}

function connections(s: DashboardSources): object {
  const events = s.connections.events();
  const active = s.registry.all().map((c) => ({
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
}

function sessions(s: DashboardSources): object {
  return {
    count: s.registry.size,
    sessions: s.registry.all().map((c) => ({
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
  };
}

/** The dashboard's data endpoints over the running gateway. */
export function dashboardData(s: DashboardSources): DashboardData {
  return {
    grpcStatus: () => s.health.status(),
    createTestSession: () => createTestSession(s.registry, s.config.monitoring.max_test_sessions),
    status: () => status(s),
    config: () => effectiveConfig(s),
    connections: () => connections(s),
    sessions: () => sessions(s),
  };
}

// The gateway's parts as the configuration asks for them, one builder each, for the composition
// root (app.ts): turn rules, the conversation table, recordings, JWT validation, the dashboard
// login and the Webex data source lifecycle. Missing secrets are configuration errors.

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Clock, TurnSettings } from '@org/byova';
import { awsSdkLogger } from '@org/service-kit';
import type { Logger } from 'pino';
import { resolveConfigPath, type GatewayConfig } from '../config';
import { ConversationStore, conversationTableClient } from './conversation-store';
import { DashboardAuth } from './dashboard/auth';
import { WebexOAuth, parseOrgList } from './dashboard/webex-oauth';
import {
  DataSourceLifecycle,
  RefreshingAccessToken,
  StaticAccessToken,
  type AccessTokenSource,
} from './datasource';
import { DataSourceElection } from './datasource-election';
import { ConfigError } from './errors';
import { JwtValidator } from './jwt';
import type { GatewayMetrics } from './metrics';
import { DEFAULT_FILENAME_FORMAT, RecordingService } from './recorder';

type Env = Readonly<Record<string, string | undefined>>;

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

/** The shared conversation table (with CONVERSATION_TABLE) and its client. */
export function conversationStore(
  config: GatewayConfig,
  clock: Clock,
  injected: DynamoDBClient | undefined,
  logger: Logger,
): { store: ConversationStore; client: DynamoDBClient } | undefined {
  const table = config.conversationTable;
  if (table === undefined) return undefined;
  const client =
    injected ??
    conversationTableClient({
      region: table.region,
      endpoint: table.endpoint,
      timeoutMs: config.gateway.store_timeout_ms,
      logger: awsSdkLogger(logger, 'DynamoDB'),
    });
  const store = new ConversationStore({
    client,
    table: table.table,
    // The item outlives the idle timeout a little: the reaper of some instance ends it first.
    ttlSeconds: Math.ceil(config.gateway.idle_timeout_seconds) + 60,
    clock,
  });
  return { store, client };
}

/** Recordings: the gateway-wide policy of `audio_recording`, and room for connectors' own. */
export function recordingService(config: GatewayConfig, metrics: GatewayMetrics): RecordingService {
  const recording = config.audio_recording;
  return new RecordingService({
    policy: recording.enabled
      ? {
          dir: resolveConfigPath(config, recording.output_dir),
          filenameFormat: DEFAULT_FILENAME_FORMAT,
          caller: 'all',
          bot: true,
          callerEncoding: 'pcm16',
          callerSampleRate: undefined,
          maxFileBytes: undefined,
        }
      : undefined,
    maxConcurrent: recording.max_concurrent,
    maxOpenFiles: recording.max_open_files,
    flushBytes: recording.flush_bytes,
    metrics,
  });
}

/** JWT validation of incoming calls, when enabled. */
export function jwtValidator(
  config: GatewayConfig,
  fetchImpl: typeof fetch | undefined,
): JwtValidator | undefined {
  const jwt = config.jwt_validation;
  if (!jwt.enabled) return undefined;
  return new JwtValidator({
    allowedIssuers: jwt.allowed_issuers,
    datasourceUrl: jwt.datasource_url,
    schemaUuid: jwt.datasource_schema_uuid,
    audience: jwt.audience,
    subject: jwt.subject,
    clockToleranceSeconds: jwt.clock_tolerance_seconds,
    cacheMs: jwt.cache_duration_minutes * 60_000,
    fetchTimeoutMs: jwt.jwks_timeout_ms,
    ...(fetchImpl !== undefined ? { fetch: fetchImpl } : {}),
  });
}

/** A value of the environment that must be set. */
function needEnv(env: Env, name: string, why: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigError(`${why} needs $${name}`);
  return value;
}

/** The dashboard login, when enabled. */
export function dashboardLogin(
  config: GatewayConfig,
  env: Env,
  logger: Logger,
): { auth: DashboardAuth; webex: WebexOAuth | undefined } | undefined {
  const authentication = config.authentication;
  if (!authentication.enabled) return undefined;
  const token = env[authentication.token_env] || undefined;
  let webex: WebexOAuth | undefined;
  if (authentication.mode === 'webex') {
    const oauth = authentication.webex_oauth;
    const need = (name: string): string => needEnv(env, name, 'authentication.mode webex');
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
  const auth = new DashboardAuth({
    token,
    secret: env[authentication.session.secret_key_env],
    sessionTtlMs: authentication.session.timeout_hours * 3_600_000,
  });
  return { auth, webex };
}

/**
 * The Webex data source (BYODS) lifecycle, when enabled. With the conversation table (`table`),
 * instances starting together elect the one that registers the data source.
 */
export function dataSourceLifecycle(
  config: GatewayConfig,
  env: Env,
  logger: Logger,
  table?: { readonly store: ConversationStore; readonly client: DynamoDBClient },
): DataSourceLifecycle | undefined {
  const ds = config.data_source;
  if (!ds.enabled) return undefined;
  const need = (name: string): string =>
    needEnv(env, name, `data_source.auth.type ${ds.auth.type}`);
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
  const dsLogger = logger.child({ component: 'data_source' });
  return new DataSourceLifecycle({
    baseUrl: base,
    id: ds.id !== '' ? ds.id : env[ds.id_env] || undefined,
    url: ds.url !== '' ? ds.url : config.jwt_validation.datasource_url,
    schemaId: ds.schema_id !== '' ? ds.schema_id : config.jwt_validation.datasource_schema_uuid,
    audience: ds.audience,
    subject: ds.subject,
    tokenLifetimeMinutes: ds.token_lifetime_minutes,
    renewalLeadMs: ds.renewal_lead_time_minutes * 60_000,
    retryMs: ds.retry_interval_seconds * 1000,
    timeoutMs: ds.timeout_ms,
    auth,
    logger: dsLogger,
    ...(table !== undefined
      ? {
          election: new DataSourceElection({
            client: table.client,
            table: table.store.table,
            // A registrar takes a token, a list and a POST, each within timeout_ms.
            leaseMs: 4 * ds.timeout_ms,
            pollMs: 250,
            logger: dsLogger,
          }),
        }
      : {}),
  });
}

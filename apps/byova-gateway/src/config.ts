// Gateway configuration: one YAML file (the shape of the Python gateway's config/config.yaml),
// a few environment overrides, validated with zod once at start.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { EnvSource } from '@org/service-kit';
import { parseGatewayEnv, type GatewayEnv } from './env';
import {
  DEFAULT_MAX_CALLER_STREAMS,
  DEFAULT_MAX_CONVERSATIONS,
  DEFAULT_MAX_HEALTH_WATCHERS,
} from './lib/call-limits';
import { connectorSourceProblem, validateBuiltInConfig } from './lib/connectors/loader';
import { ConfigError } from './lib/errors';

const port = z.number().int().min(0).max(65535);
/** The shortest `gateway.turn_lease_seconds`: longer than any turn should take. */
export const MIN_TURN_LEASE_SECONDS = 5;
const positiveMs = z.number().int().positive();
/** A connector entry: a built-in by `type`, or a plug-in by `module` and `class`. */
const connectorEntry = z
  .object({
    type: z.string().optional(),
    class: z.string().min(1).optional(),
    module: z.string().min(1).optional(),
    config: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .superRefine((entry, ctx) => {
    const problem = connectorSourceProblem(entry);
    if (problem !== undefined)
      ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  });
export type ConnectorEntry = z.infer<typeof connectorEntry>;

const schema = z.object({
  gateway: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(50051),
      max_message_bytes: z
        .number()
        .int()
        .positive()
        .default(50 * 1024 * 1024),
      /**
       * Bytes a ProcessCallerInput request may carry besides caller audio (ids, DTMF keys, event
       * parameters...); a larger one is not decoded (INVALID_ARGUMENT). Decoding multiplies them.
       */
      max_request_non_audio_bytes: z
        .number()
        .int()
        .min(1024)
        .max(50 * 1024 * 1024)
        .default(64 * 1024),
      max_concurrent_streams: z.number().int().positive().default(1000),
      /** ProcessCallerInput streams open at once, over every connection; more: RESOURCE_EXHAUSTED. */
      max_caller_streams: z.number().int().positive().default(DEFAULT_MAX_CALLER_STREAMS),
      /**
       * Conversations this instance holds at once (a call's conversation outlives its streams,
       * until its end or the idle reaper); a stream that would start one more: RESOURCE_EXHAUSTED.
       */
      max_conversations: z.number().int().positive().default(DEFAULT_MAX_CONVERSATIONS),
      /** grpc.health.v1 Watch calls open at once, over every connection; more: RESOURCE_EXHAUSTED. */
      max_health_watchers: z.number().int().positive().default(DEFAULT_MAX_HEALTH_WATCHERS),
      idle_timeout_seconds: z.number().positive().default(600),
      reaper_interval_seconds: z.number().positive().default(30),
      strip_dtmf_terminator: z.boolean().default(true),
      text_only_prompts: z.enum(['send', 'drop']).default('send'),
      chunk_bytes: z.number().int().min(100).max(65536).default(16000),
      shutdown_grace_seconds: z.number().min(0).default(10),
      /**
       * A ProcessCallerInput stream that receives no request for this long while nothing of it
       * is under way is ended; 0 = never. A backstop for streams nobody closes, not a deadline
       * of WxCC's (the spec states none): as long as the idle conversation reaper by default.
       */
      stream_idle_timeout_seconds: z.number().min(0).max(86_400).default(600),
      /** Time limit of each conversation table request (with CONVERSATION_TABLE). */
      store_timeout_ms: z.number().int().positive().default(2000),
      /**
       * With CONVERSATION_TABLE: another instance's turn claim that has not moved for this long
       * (measured on this instance's clock) is taken for a crashed instance's. Longer than the
       * slowest turn (a Lex call with its retries): a shorter lease lets another instance take a
       * live claim and run the same turn twice, hence the floor.
       */
      turn_lease_seconds: z
        .number()
        .min(
          MIN_TURN_LEASE_SECONDS,
          `must be at least ${MIN_TURN_LEASE_SECONDS} s: a lease shorter than a turn lets another instance take a live claim and run the same turn twice`,
        )
        .max(3600)
        .default(60),
      /** With CONVERSATION_TABLE: first wait between reads of a claimed conversation (x8 at most). */
      turn_poll_ms: z.number().int().min(1).max(10_000).default(25),
    })
    .passthrough()
    .prefault({}),
  voice_activity_detection: z
    .object({
      speech_threshold_dbfs: z.number().max(0).default(-35),
      start_debounce_ms: z.number().int().min(0).max(3_600_000).default(60),
      end_silence_ms: z.number().int().min(20).max(3_600_000).default(1000),
      max_utterance_ms: z.number().int().min(1000).max(3_600_000).default(30000),
      min_frame_bytes: z.number().int().min(0).default(15),
      fallback_sample_rate_hertz: z.number().int().min(8000).max(48000).default(8000),
      fallback_encoding: z
        .enum(['MULAW_FORMAT', 'ALAW_FORMAT', 'LINEAR16_FORMAT'])
        .default('MULAW_FORMAT'),
      /**
       * Gateway-side no-input: after this much caller audio without speech in a turn, end the turn
       * (END_OF_INPUT named "no_input") and answer as for WxCC's NO_INPUT event. 0 = off (WxCC's
       * own no_input timer sends NO_INPUT).
       */
      no_input_timeout_ms: z.number().int().min(0).default(0),
      /** Audio kept from before START_OF_INPUT and handed to the connector with the utterance. */
      pre_roll_ms: z.number().int().min(0).max(2000).default(400),
      /** Silero-only key of the Python gateway: accepted and ignored (this VAD is energy-based). */
      threshold: z.number().optional(),
      speech_end_grace_ms: z.number().optional(),
    })
    .strict()
    .prefault({}),
  connectors: z
    .record(z.string(), connectorEntry)
    .default({ local_audio_connector: { type: 'local_audio_connector', config: {} } })
    .refine((c) => Object.keys(c).length > 0, 'at least one connector is required'),
  monitoring: z
    .object({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(8080),
      ping_path: z.string().startsWith('/').default('/voiceva/v1/ping'),
      event_history: z.number().int().min(10).max(10000).default(200),
      /** Test conversations `/api/test/create-session` keeps open at once. */
      max_test_sessions: z.number().int().min(0).max(1000).default(10),
    })
    .passthrough()
    .prefault({}),
  authentication: z
    .object({
      enabled: z.boolean().default(false),
      /** `token`: an access token from the environment; `webex`: Webex OAuth login with an org allow-list. */
      mode: z.enum(['token', 'webex']).default('token'),
      /** Environment variable holding the dashboard access token (optional in webex mode: bearer access). */
      token_env: z.string().default('BYOVA_DASHBOARD_TOKEN'),
      /** Environment variable with the comma-separated Webex org ids allowed to log in (empty: nobody). */
      authorized_orgs_env: z.string().default('AUTHORIZED_WEBEX_ORG_IDS'),
      webex_oauth: z
        .object({
          client_id_env: z.string().default('WEBEX_CLIENT_ID'),
          client_secret_env: z.string().default('WEBEX_CLIENT_SECRET'),
          redirect_uri_env: z.string().default('WEBEX_REDIRECT_URI'),
          scopes: z.string().default('openid email profile'),
          base_url: z.string().url().default('https://webexapis.com/v1'),
          timeout_ms: z.number().int().positive().default(10000),
        })
        .passthrough()
        .prefault({}),
      session: z
        .object({
          timeout_hours: z.number().positive().default(24),
          secret_key_env: z.string().default('BYOVA_SESSION_SECRET'),
        })
        .passthrough()
        .prefault({}),
    })
    .passthrough()
    .prefault({}),
  jwt_validation: z
    .object({
      enabled: z.boolean().default(false),
      enforce_validation: z.boolean().default(true),
      datasource_url: z.string().default(''),
      datasource_schema_uuid: z.string().default('5397013b-7920-4ffc-807c-e8a3e0a18f43'),
      cache_duration_minutes: z.number().positive().default(60),
      allowed_issuers: z
        .array(z.string().url())
        .default([
          'https://idbrokerbts.webex.com/idb',
          'https://idbrokerbts-eu.webex.com/idb',
          'https://idbroker.webex.com/idb',
          'https://idbroker-eu.webex.com/idb',
          'https://idbroker-b-us.webex.com/idb',
          'https://idbroker-ca.webex.com/idb',
        ]),
      audience: z.string().optional(),
      subject: z.string().optional(),
      clock_tolerance_seconds: z.number().min(0).max(30).default(30),
      exempt_health: z.boolean().default(true),
      jwks_timeout_ms: positiveMs.default(5000),
    })
    .strict()
    .prefault({})
    .refine((j) => !j.enabled || j.datasource_url.length > 0, {
      message: 'jwt_validation.enabled requires jwt_validation.datasource_url',
    }),
  data_source: z
    .object({
      enabled: z.boolean().default(false),
      fail_startup_on_error: z.boolean().default(true),
      id: z.string().default(''),
      id_env: z.string().default('WEBEX_BYODS_DATA_SOURCE_ID'),
      /** Defaults to jwt_validation.datasource_url; both set means both must be equal. */
      url: z.string().default(''),
      schema_id: z.string().default(''),
      audience: z.string().min(1).default('BYOVAGateway'),
      subject: z.string().min(1).default('callAudioData'),
      token_lifetime_minutes: z.number().int().min(1).max(1440).default(1440),
      renewal_lead_time_minutes: z.number().positive().default(60),
      retry_interval_seconds: z.number().positive().default(60),
      base_url: z.string().url().default('https://webexapis.com/v1'),
      timeout_ms: z.number().int().positive().default(10000),
      auth: z
        .object({
          type: z
            .enum(['oauth_refresh', 'static', 'service_app'])
            .default('oauth_refresh')
            .refine(
              (t) => t !== 'service_app',
              'data_source.auth.type service_app is not supported: use oauth_refresh or static',
            ),
          client_id_env: z.string().default('WEBEX_BYODS_CLIENT_ID'),
          client_secret_env: z.string().default('WEBEX_BYODS_CLIENT_SECRET'),
          refresh_token_env: z.string().default('WEBEX_BYODS_REFRESH_TOKEN'),
          access_token_env: z.string().default('WEBEX_BYODS_ACCESS_TOKEN'),
          /** Keys of the Python gateway's `service_app` type, accepted so its files load. */
          app_id_env: z.string().optional(),
          target_org_id_env: z.string().optional(),
          personal_auth: z.record(z.string(), z.unknown()).optional(),
        })
        .strict()
        .prefault({}),
    })
    .strict()
    .prefault({})
    .refine((d) => d.renewal_lead_time_minutes < d.token_lifetime_minutes, {
      message: 'data_source.renewal_lead_time_minutes must be shorter than token_lifetime_minutes',
    }),
  audio_recording: z
    .object({
      enabled: z.boolean().default(false),
      output_dir: z.string().default('logs/audio'),
      /** Conversations recorded at once; more are not recorded (error log + metric). */
      max_concurrent: z.number().int().positive().default(1000),
      /** Recording files open at once (each only while audio is appended). */
      max_open_files: z.number().int().positive().default(64),
      /** Buffered audio per file that is appended before the stream ends. */
      flush_bytes: z.number().int().min(1024).default(65536),
    })
    .strict()
    .prefault({}),
  logging: z
    .object({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .passthrough()
    .prefault({}),
});

const checkedSchema = schema.superRefine((config, ctx) => {
  const ds = config.data_source;
  if (!ds.enabled) return;
  const jwtUrl = config.jwt_validation.datasource_url;
  if (ds.url === '' && jwtUrl === '') {
    ctx.addIssue({
      code: 'custom',
      path: ['data_source', 'url'],
      message: 'data_source.enabled needs data_source.url or jwt_validation.datasource_url',
    });
  }
  if (ds.url !== '' && jwtUrl !== '' && ds.url !== jwtUrl) {
    ctx.addIssue({
      code: 'custom',
      path: ['data_source', 'url'],
      message: 'data_source.url and jwt_validation.datasource_url must be identical',
    });
  }
});

/** The validated configuration. */
export type GatewayConfig = z.infer<typeof schema> & {
  /** Directory of the config file: relative paths in it resolve from here. */
  readonly baseDir: string;
  /**
   * BYOVA_ALLOW_INSECURE=true: start even with an unauthenticated listener on a non-loopback
   * address (loud warning). Only the environment can set it.
   */
  readonly allowInsecure: boolean;
  /** The shared conversation table (CONVERSATION_TABLE), when set. */
  readonly conversationTable:
    | { readonly table: string; readonly endpoint: string | undefined; readonly region: string }
    | undefined;
  /** OpenTelemetry export (OTEL_EXPORTER_OTLP_ENDPOINT / _HEADERS); off without an endpoint. */
  readonly otel: { readonly endpoint: string | undefined; readonly headers: string | undefined };
};

export { ConfigError } from './lib/errors';

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1) as string] = value;
}

/** The YAML document with the environment's overrides applied. */
function withOverrides(document: unknown, env: GatewayEnv): Record<string, unknown> {
  if (document !== null && document !== undefined && typeof document !== 'object') {
    throw new ConfigError('the configuration must be a YAML mapping');
  }
  const raw: Record<string, unknown> =
    document !== null && typeof document === 'object'
      ? (structuredClone(document as object) as Record<string, unknown>)
      : {};
  if (env.PORT !== undefined) setPath(raw, ['gateway', 'port'], env.PORT);
  if (env.BYOVA_GRPC_HOST !== undefined) setPath(raw, ['gateway', 'host'], env.BYOVA_GRPC_HOST);
  if (env.BYOVA_MONITORING_PORT !== undefined)
    setPath(raw, ['monitoring', 'port'], env.BYOVA_MONITORING_PORT);
  if (env.BYOVA_MONITORING_HOST !== undefined)
    setPath(raw, ['monitoring', 'host'], env.BYOVA_MONITORING_HOST);
  if (env.LOG_LEVEL !== undefined) setPath(raw, ['logging', 'level'], env.LOG_LEVEL);
  return raw;
}

/**
 * Validates a parsed YAML document with the environment (the app passes `process.env`) applied.
 *
 * @throws ConfigError listing every problem of the YAML; the service kit's ConfigError
 * (`SVC_ERR_CONFIG`) naming every bad environment variable.
 */
export function parseConfig(document: unknown, source: EnvSource, baseDir: string): GatewayConfig {
  const env = parseGatewayEnv(source);
  const result = checkedSchema.safeParse(withOverrides(document, env));
  const lines = result.success
    ? []
    : result.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  // The built-in connectors' own settings, checked now so that every problem is listed at once.
  if (result.success) {
    for (const [key, entry] of Object.entries(result.data.connectors))
      lines.push(...validateBuiltInConfig(key, entry));
  }
  if (!result.success || lines.length > 0) {
    throw new ConfigError(`invalid gateway configuration:\n${lines.join('\n')}`);
  }
  return {
    ...result.data,
    baseDir,
    allowInsecure: env.BYOVA_ALLOW_INSECURE,
    conversationTable:
      env.CONVERSATION_TABLE !== undefined
        ? { table: env.CONVERSATION_TABLE, endpoint: env.DYNAMODB_ENDPOINT, region: env.AWS_REGION }
        : undefined,
    otel: { endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, headers: env.OTEL_EXPORTER_OTLP_HEADERS },
  };
}

/**
 * Reads and validates the configuration file (`--config <path>`, else `GATEWAY_CONFIG`, else
 * `defaultPath`).
 *
 * @throws ConfigError for an unreadable file, bad YAML or invalid values.
 */
export function loadConfig(path: string, source: EnvSource): GatewayConfig {
  const file = isAbsolute(path) ? path : resolve(path);
  const inline = parseGatewayEnv(source).BYOVA_CONFIG_YAML;
  let text: string;
  let origin = file;
  if (inline !== undefined) {
    // Relative paths still resolve from the config file's folder (the shipped `config/`).
    text = inline;
    origin = '$BYOVA_CONFIG_YAML';
  } else {
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `cannot read the configuration file ${file}: ${(error as Error).message}`,
      );
    }
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${origin} is not valid YAML: ${(error as Error).message}`);
  }
  return parseConfig(document, source, dirname(file));
}

/** Resolves a path from the configuration relative to the config file's directory. */
export function resolveConfigPath(config: Pick<GatewayConfig, 'baseDir'>, path: string): string {
  return isAbsolute(path) ? path : resolve(config.baseDir, path);
}

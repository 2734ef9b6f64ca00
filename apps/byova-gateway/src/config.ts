// Gateway configuration: one YAML file (the shape of the Python gateway's config/config.yaml),
// a few environment overrides, validated with zod once at start.

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);
const positiveMs = z.number().int().positive();
const dtmfKey = z.enum([
  '0',
  '1',
  '2',
  '3',
  '4',
  '5',
  '6',
  '7',
  '8',
  '9',
  'A',
  'B',
  'C',
  'D',
  '*',
  '#',
]);

/** What a connector asks WxCC to collect next (sent as input_mode / input_handling_config). */
const inputSchema = z
  .object({
    mode: z
      .enum(['INPUT_VOICE', 'INPUT_EVENT_DTMF', 'INPUT_VOICE_DTMF'])
      .default('INPUT_VOICE_DTMF'),
    dtmf: z
      .object({
        max_digits: z.number().int().min(1).max(64).default(1),
        inter_digit_timeout_ms: positiveMs.default(3000),
        terminator: dtmfKey.default('#'),
      })
      .strict()
      .prefault({}),
    speech_timers: z
      .object({
        max_speech_timeout_ms: z.number().int().min(0).default(0),
        complete_timeout_ms: z.number().int().min(0).default(5000),
        incomplete_timeout_ms: z.number().int().min(0).default(0),
        no_input_timeout_ms: z.number().int().min(0).default(0),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type InputConfig = z.infer<typeof inputSchema>;

const replyMode = z.enum(['wav', 'chunk']);

const localAudioConfig = z
  .object({
    agent_id: z.string().min(1).default('Local Playback'),
    audio_base_path: z.string().default('assets/prompts'),
    audio_files: z
      .object({
        welcome: z.string().default('welcome.wav'),
        transfer: z.string().default('transferring.wav'),
        goodbye: z.string().default('goodbye.wav'),
        error: z.string().default('error.wav'),
        default: z.string().default('default_response.wav'),
      })
      .strict()
      .prefault({}),
    texts: z
      .object({
        welcome: z
          .string()
          .default(
            'Hello, welcome to the webex contact center voice virtual agent gateway. How can I help you today?',
          ),
        transfer: z.string().default('Transferring you to an agent. Please wait.'),
        goodbye: z.string().default('Thank you for calling. Goodbye!'),
        error: z.string().default('Sorry, something went wrong. Please try again.'),
        default: z.string().default('I heard you. Press 5 for an agent or 6 to end the call.'),
      })
      .strict()
      .prefault({}),
    /** Answer every caller utterance with the default prompt (the Python connector stays silent). */
    respond_to_speech: z.boolean().default(true),
    /** Answer NO_INPUT and an empty DTMF entry with the default prompt instead of a plain FINAL. */
    reprompt_on_no_input: z.boolean().default(false),
    /** DTMF entry -> action. */
    dtmf_actions: z
      .record(
        z.string().regex(/^[0-9A-D*#]+$/),
        z.enum(['transfer', 'goodbye', 'default', 'error']),
      )
      .default({ '5': 'transfer', '6': 'goodbye' }),
    barge_in: z
      .object({ welcome: z.boolean().default(false), default: z.boolean().default(true) })
      .strict()
      .prefault({}),
    reply_mode: replyMode.default('wav'),
    input: inputSchema.prefault({}),
    /** Python parity keys: record caller audio (use the gateway-wide audio_recording instead). */
    record_caller_audio: z.boolean().default(false),
    audio_recording: z
      .object({ output_dir: z.string().default('logs') })
      .strict()
      .prefault({}),
    /** Accepted for compatibility with the Python sample's README (`agents: ["Local Playback"]`). */
    agents: z.array(z.string()).optional(),
  })
  .strict();
export type LocalAudioConfig = z.infer<typeof localAudioConfig>;

const lexConfig = z
  .object({
    region_name: z.string().min(1, 'region_name is required'),
    locale_id: z.string().min(1).default('en_US'),
    /** Fixed bot (both ids set) instead of discovery. */
    bot_id: z.string().min(1).optional(),
    bot_alias_id: z.string().min(1).optional(),
    bot_name: z.string().min(1).optional(),
    /** Limit discovery to these bot names (empty: every bot with an alias). */
    bot_names: z.array(z.string().min(1)).default([]),
    agent_id_prefix: z.string().default('aws_lex_connector'),
    endpoint: z.string().url().optional(),
    models_endpoint: z.string().url().optional(),
    initial_trigger_text: z.string().min(1).default('hello'),
    text_request_content_type: z.string().default('text/plain; charset=utf-8'),
    audio_request_content_type: z
      .string()
      .default(
        'audio/lpcm; sample-rate=8000; sample-size-bits=16; channel-count=1; is-big-endian=false',
      ),
    response_content_type: z.string().default('audio/pcm'),
    barge_in_enabled: z.boolean().default(false),
    transfer_intent_name: z.string().default('agent'),
    continue_intents: z.array(z.string()).default(['AIAgent', 'FallbackIntent']),
    welcome_text: z.string().optional(),
    error_text: z
      .string()
      .default('An error occurred while processing your input. Please try again.'),
    escalate_after_errors: z.number().int().min(0).default(2),
    max_utterance_bytes: z.number().int().positive().default(1048576),
    max_retries: z.number().int().min(0).max(10).default(2),
    timeout: z.number().positive().default(10),
    session_attributes: z.record(z.string(), z.string()).default({}),
    reply_mode: replyMode.default('wav'),
    input: inputSchema.prefault({ dtmf: { max_digits: 10, inter_digit_timeout_ms: 5000 } }),
    event_names: z
      .object({
        session_end: z.string().default('lex_intent_fulfilled'),
        transfer: z.string().default('lex_intent_failed'),
      })
      .strict()
      .prefault({}),
    aws_access_key_id: z
      .never({ error: 'AWS credentials in YAML are refused: use the AWS credential chain' })
      .optional(),
    aws_secret_access_key: z
      .never({ error: 'AWS credentials in YAML are refused: use the AWS credential chain' })
      .optional(),
    agents: z.array(z.string()).optional(),
  })
  .strict()
  .refine((c) => (c.bot_id === undefined) === (c.bot_alias_id === undefined), {
    message: 'bot_id and bot_alias_id go together',
  });
export type LexConfig = z.infer<typeof lexConfig>;

const connectorEntry = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal(['local_audio_connector', 'local_audio']),
      class: z.string().optional(),
      module: z.string().optional(),
      config: localAudioConfig.prefault({}),
    })
    .strict(),
  z
    .object({
      type: z.literal(['aws_lex_connector', 'aws_lex']),
      class: z.string().optional(),
      module: z.string().optional(),
      config: lexConfig,
    })
    .strict(),
]);
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
      max_concurrent_streams: z.number().int().positive().default(1000),
      idle_timeout_seconds: z.number().positive().default(600),
      reaper_interval_seconds: z.number().positive().default(30),
      strip_dtmf_terminator: z.boolean().default(true),
      text_only_prompts: z.enum(['send', 'drop']).default('send'),
      chunk_bytes: z.number().int().min(100).max(65536).default(16000),
      shutdown_grace_seconds: z.number().min(0).default(10),
      /** Time limit of each conversation table request (with CONVERSATION_TABLE). */
      store_timeout_ms: z.number().int().positive().default(2000),
    })
    .passthrough()
    .prefault({}),
  voice_activity_detection: z
    .object({
      speech_threshold_dbfs: z.number().max(0).default(-35),
      start_debounce_ms: z.number().int().min(0).default(60),
      end_silence_ms: z.number().int().min(20).default(1000),
      max_utterance_ms: z.number().int().min(1000).default(30000),
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
    .default({ local_audio_connector: { type: 'local_audio_connector', config: {} } } as never)
    .refine((c) => Object.keys(c).length > 0, 'at least one connector is required'),
  monitoring: z
    .object({
      enabled: z.boolean().default(true),
      host: z.string().min(1).default('127.0.0.1'),
      port: port.default(8080),
      ping_path: z.string().startsWith('/').default('/voiceva/v1/ping'),
      event_history: z.number().int().min(10).max(10000).default(200),
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
};

/** A configuration problem, with every issue listed. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Environment variables the gateway reads (and nothing else). */
export interface GatewayEnv {
  readonly GATEWAY_CONFIG?: string | undefined;
  readonly PORT?: string | undefined;
  readonly BYOVA_GRPC_HOST?: string | undefined;
  readonly BYOVA_MONITORING_PORT?: string | undefined;
  readonly BYOVA_MONITORING_HOST?: string | undefined;
  readonly LOG_LEVEL?: string | undefined;
  /** The whole YAML document; takes precedence over the file (ECS injects it from SSM). */
  readonly BYOVA_CONFIG_YAML?: string | undefined;
  /** `true` accepts unauthenticated listeners on non-loopback addresses. */
  readonly BYOVA_ALLOW_INSECURE?: string | undefined;
  /** DynamoDB table shared by every instance for conversation state. */
  readonly CONVERSATION_TABLE?: string | undefined;
  /** DynamoDB endpoint override (dynalite, DynamoDB Local, a VPC endpoint). */
  readonly DYNAMODB_ENDPOINT?: string | undefined;
  readonly AWS_REGION?: string | undefined;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path.at(-1) as string] = value;
}

function envNumber(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n))
    throw new ConfigError(`${name} must be an integer, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Validates a parsed YAML document with the environment overrides applied.
 *
 * @throws ConfigError listing every problem.
 */
export function parseConfig(document: unknown, env: GatewayEnv, baseDir: string): GatewayConfig {
  const raw: Record<string, unknown> =
    document !== null && typeof document === 'object'
      ? (structuredClone(document as object) as Record<string, unknown>)
      : {};
  if (document !== null && document !== undefined && typeof document !== 'object') {
    throw new ConfigError('the configuration must be a YAML mapping');
  }
  if (env.PORT !== undefined && env.PORT !== '')
    setPath(raw, ['gateway', 'port'], envNumber('PORT', env.PORT));
  if (env.BYOVA_GRPC_HOST) setPath(raw, ['gateway', 'host'], env.BYOVA_GRPC_HOST);
  if (env.BYOVA_MONITORING_PORT) {
    setPath(
      raw,
      ['monitoring', 'port'],
      envNumber('BYOVA_MONITORING_PORT', env.BYOVA_MONITORING_PORT),
    );
  }
  if (env.BYOVA_MONITORING_HOST) setPath(raw, ['monitoring', 'host'], env.BYOVA_MONITORING_HOST);
  if (env.LOG_LEVEL) setPath(raw, ['logging', 'level'], env.LOG_LEVEL);
  const result = checkedSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new ConfigError(`invalid gateway configuration:\n${lines.join('\n')}`);
  }
  const allow = env.BYOVA_ALLOW_INSECURE?.trim().toLowerCase();
  if (allow !== undefined && allow !== '' && allow !== 'true' && allow !== 'false') {
    throw new ConfigError(
      `BYOVA_ALLOW_INSECURE must be true or false, got ${JSON.stringify(allow)}`,
    );
  }
  const table = env.CONVERSATION_TABLE?.trim();
  const endpoint = env.DYNAMODB_ENDPOINT?.trim();
  return {
    ...result.data,
    baseDir,
    allowInsecure: allow === 'true',
    conversationTable:
      table !== undefined && table !== ''
        ? {
            table,
            endpoint: endpoint !== undefined && endpoint !== '' ? endpoint : undefined,
            region: env.AWS_REGION?.trim() || 'us-east-1',
          }
        : undefined,
  };
}

/**
 * Reads and validates the configuration file (`--config <path>`, else `GATEWAY_CONFIG`, else
 * `defaultPath`).
 *
 * @throws ConfigError for an unreadable file, bad YAML or invalid values.
 */
export function loadConfig(path: string, env: GatewayEnv): GatewayConfig {
  const file = isAbsolute(path) ? path : resolve(path);
  const inline = env.BYOVA_CONFIG_YAML;
  let text: string;
  let source = file;
  if (inline !== undefined && inline.trim() !== '') {
    // Relative paths still resolve from the config file's folder (the shipped `config/`).
    text = inline;
    source = '$BYOVA_CONFIG_YAML';
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
    throw new ConfigError(`${source} is not valid YAML: ${(error as Error).message}`);
  }
  return parseConfig(document, env, dirname(file));
}

/** Resolves a path from the configuration relative to the config file's directory. */
export function resolveConfigPath(config: Pick<GatewayConfig, 'baseDir'>, path: string): string {
  return isAbsolute(path) ? path : resolve(config.baseDir, path);
}

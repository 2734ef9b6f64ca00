import { dirname, join } from 'node:path';
import {
  ConfigError,
  envBool,
  envDuration,
  envInt,
  envNumber,
  envString,
  parseEnv as parseServiceEnv,
  secret,
} from '@org/service-kit/env';
import { z } from 'zod';
import { CollectorError } from './lib/errors';
import { redactUrl } from './lib/redact';
import { LOOPBACK_HOSTS, resolveGenesysEnv } from './lib/regions';
import { checkTopicOverride } from './lib/topics';

/** The "is this an AudioHook event?" tests, applied in the configured order. */
export type AudioHookMatcher = 'id-prefix' | 'entity-type' | 'name' | 'topic';

/** Elasticsearch sink settings; absent when `ELASTIC_URL` is empty. */
export interface ElasticConfig {
  /** Base URL without a trailing slash, and without credentials (they moved to `authorization`). */
  url: string;
  /**
   * The ready-made `Authorization` header value: from `ELASTIC_AUTH`, or Basic from the
   * `user:pass@` of `ELASTIC_URL`. Secret.
   */
  authorization: string | undefined;
  index: string;
  dataStream: boolean;
  bulkSize: number;
  flushIntervalMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  queueMax: number;
  /**
   * Characters of documents held in memory (queued, being sent, or waiting for the spool file)
   * past which the queue goes to the spool and, while the spool file is slower than the input,
   * new documents are left to the JSONL output (and sent from it later).
   */
  queueMaxBytes: number;
  timeoutMs: number;
  spoolFile: string;
  /** Cap of the spool (both files); documents beyond it are dropped from the Elasticsearch feed. */
  spoolMaxBytes: number;
  deadLetterFile: string;
  /** Cap of the dead-letter file; rejected documents beyond it are only counted. */
  deadLetterMaxBytes: number;
}

/** The DynamoDB leader lease (`LEASE_TABLE`). */
export interface LeaseConfig {
  table: string;
  /** The item's `pk`: `event-collector/lease/<LEASE_NAME>`. */
  key: string;
  durationMs: number;
  renewEveryMs: number;
  pollEveryMs: number;
  region: string;
  endpoint: string | undefined;
}

/** The whole collector configuration, read once at start-up by {@link loadConfig}. */
export interface CollectorConfig {
  genesys: {
    env: string;
    loginBaseUrl: string;
    apiBaseUrl: string;
    clientId: string;
    /** Secret: never logged. */
    clientSecret: string;
    subscribeIgnoreErrors: boolean;
    tokenRefreshMarginMs: number;
    minChannelCreateIntervalMs: number;
    channelRefreshAgeMs: number;
    heartbeatTimeoutMs: number;
    pingIntervalMs: number;
    pongTimeoutMs: number;
    socketClosingReconnectDelayMs: number;
    reconnectDelayMs: number;
    maxReconnectDelayMs: number;
    requestTimeoutMs: number;
  };
  topics: {
    file: string | undefined;
    /** True when TOPICS_FILE was set explicitly (a missing file is then worth a warning). */
    fileExplicit: boolean;
    override: string[] | undefined;
    discover: boolean;
    definitionsRefreshMs: number;
  };
  events: {
    match: AudioHookMatcher[];
    writeAll: boolean;
    timestampSource: 'received' | 'event';
    dedupeWindowMs: number;
    dedupeMaxKeys: number;
  };
  backfill: { enabled: boolean; marginMs: number; maxAgeMs: number; maxLagMs: number };
  output: {
    file: string;
    maxFileSize: number;
    backupCount: number;
    queueMax: number;
    checkpointFile: string;
    checkpointIntervalMs: number;
  };
  elastic: ElasticConfig | undefined;
  /** High availability (`LEASE_TABLE`); absent: this instance always collects. */
  lease: LeaseConfig | undefined;
  http: { host: string; port: number };
  /** The EMF `Leader` / `EventsWritten` publisher (`EMF_NAMESPACE`); off without a namespace. */
  emf: { namespace: string | undefined; intervalMs: number };
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'; consoleEvents: boolean };
  shutdownTimeoutMs: number;
}

/**
 * Cleans one raw environment value the way `.env` files are written in practice: trims it,
 * drops an inline ` # comment`, and strips one pair of surrounding quotes. Empty becomes
 * `undefined`, so the default applies.
 */
export function cleanEnvValue(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let v = raw.trim();
  const quoted = /^(["'])(.*)\1$/s.exec(v);
  if (quoted) {
    v = (quoted[2] ?? '').trim();
  } else {
    const hash = /\s#/.exec(v);
    if (hash) v = v.slice(0, hash.index).trim();
    else if (v.startsWith('#')) v = '';
  }
  return v === '' ? undefined : v;
}

// Field helpers of the service kit; `loose` booleans keep collector.py's y/n/on/off working.
const bool = (def: boolean) => envBool({ default: def, loose: true });

const num = (def: number, opts: { int?: boolean; min?: number; max?: number } = {}) => {
  const { int, ...bounds } = opts;
  return int === true
    ? envInt({ default: def, ...bounds })
    : envNumber({ default: def, ...bounds });
};

const str = (def: string) => envString({ default: def });

/**
 * A Genesys base URL (login, REST API): http(s), plain http only towards loopback (so secrets never
 * cross a network in clear), without credentials (the OAuth client goes in GENESYS_CLIENT_ID and
 * GENESYS_CLIENT_SECRET, never in a URL that is logged and shown on `/health`), and without a query
 * string or fragment (request paths are appended to it). Marked secret so the kit never echoes a
 * rejected value; the messages carry its redacted form instead.
 */
const baseUrl = secret(
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const fail = (message: string): never => {
        ctx.addIssue({
          code: 'custom',
          message: `${message} (got ${JSON.stringify(redactUrl(v))})`,
        });
        return z.NEVER;
      };
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        return fail('is not a URL');
      }
      if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname))) {
        return fail('must be https:// (plain http:// is accepted only for 127.0.0.1/localhost)');
      }
      if (u.username !== '' || u.password !== '') {
        return fail(
          'must not contain credentials (user:password@); the OAuth client goes in GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET',
        );
      }
      if (/[?#]/.test(v)) {
        return fail(
          'must not contain a query string or fragment (request paths are appended to it)',
        );
      }
      return v.replace(/\/+$/, '');
    }),
);

/** Any http(s) URL (e.g. DYNAMODB_ENDPOINT: dynalite, DynamoDB Local, a VPC endpoint). */
const baseUrlAny = z
  .string()
  .optional()
  .refine((v) => v === undefined || /^https?:\/\/[^/]/.test(v), 'must be an http(s):// URL');

const MATCHERS: readonly AudioHookMatcher[] = ['id-prefix', 'entity-type', 'name', 'topic'];

/** Every variable the collector reads (the stack refuses the secret ones in APP_SETTINGS). */
export const envSchema = z.object({
  GENESYS_ENV: str('usw2.pure.cloud').transform((v, ctx) => {
    const env = resolveGenesysEnv(v);
    if (env === undefined) {
      ctx.addIssue({
        code: 'custom',
        message:
          'is not a known Genesys Cloud region key or domain (e.g. us-west-2 or usw2.pure.cloud)',
      });
      return z.NEVER;
    }
    return env;
  }),
  GENESYS_CLIENT_ID: z.string({ error: 'is required (the OAuth client id)' }),
  GENESYS_CLIENT_SECRET: secret(z.string({ error: 'is required (the OAuth client secret)' })),
  GENESYS_LOGIN_BASE_URL: baseUrl,
  GENESYS_API_BASE_URL: baseUrl,
  TOPICS_FILE: z.string().optional(),
  TOPICS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const checked = checkTopicOverride(v.split(','));
      if ('problems' in checked) {
        ctx.addIssue({
          code: 'custom',
          message: `must list operational-event topics (v2.operations.events.<definition id>) or bare definition ids (AUDIOHOOK-0001), comma-separated: ${checked.problems.join('; ')}`,
        });
        return z.NEVER;
      }
      return checked.topics.length > 0 ? checked.topics : undefined;
    }),
  DISCOVER_TOPICS: bool(true),
  DEFINITIONS_REFRESH_HOURS: num(24, { min: 0 }),
  SUBSCRIBE_IGNORE_ERRORS: bool(true),
  AUDIOHOOK_MATCH: str('id-prefix,entity-type,name,topic').transform((v, ctx) => {
    const parts = v
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const bad = parts.filter((p) => !MATCHERS.includes(p as AudioHookMatcher));
    if (bad.length > 0 || parts.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown matcher(s) ${bad.join(', ') || '(none given)'}; use ${MATCHERS.join(', ')}`,
      });
      return z.NEVER;
    }
    return parts as AudioHookMatcher[];
  }),
  WRITE_ALL_EVENTS: bool(false),
  TIMESTAMP_SOURCE: z.enum(['received', 'event']).optional(),
  DEDUPE_WINDOW_H: num(24, { min: 0 }),
  DEDUPE_MAX_KEYS: num(1_000_000, { int: true, min: 1000 }),
  BACKFILL_ENABLED: bool(true),
  BACKFILL_MARGIN_S: num(60, { min: 0 }),
  BACKFILL_MAX_AGE_H: num(240, { min: 0 }),
  BACKFILL_MAX_LAG_S: num(300, { min: 0 }),
  OUTPUT_FILE: str('./audiohook_events.jsonl'),
  MAX_FILE_SIZE: num(10 * 1024 * 1024, { int: true, min: 1024 }),
  BACKUP_COUNT: num(5, { int: true, min: 1, max: 1000 }),
  WRITE_QUEUE_MAX: num(10_000, { int: true, min: 1 }),
  CHECKPOINT_FILE: z.string().optional(),
  CHECKPOINT_INTERVAL_MS: num(1000, { int: true, min: 10 }),
  CONSOLE_OUTPUT: bool(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).optional(),
  // Secret: it may carry `user:pass@` (moved to the Authorization header by elasticFrom).
  ELASTIC_URL: secret(z.string().optional()),
  ELASTIC_AUTH: secret(z.string().optional()),
  ELASTIC_INDEX: str('genesys-audiohook').refine(
    (v) =>
      v === v.toLowerCase() &&
      !/[\\/*?"<>|,# ]/.test(v) &&
      !/^[-_+]/.test(v) &&
      Buffer.byteLength(v) <= 255,
    'is not a valid Elasticsearch index name (lowercase, no \\ / * ? " < > | , # or space, not starting with - _ +)',
  ),
  ELASTIC_DATASTREAM: bool(false),
  BULK_SIZE: num(50, { int: true, min: 1, max: 10_000 }),
  ELASTIC_FLUSH_INTERVAL_MS: num(5000, { int: true, min: 1 }),
  ELASTIC_MAX_RETRIES: num(5, { int: true, min: 0 }),
  ELASTIC_RETRY_BASE_MS: num(1000, { int: true, min: 1 }),
  ELASTIC_RETRY_MAX_MS: num(30_000, { int: true, min: 1 }),
  ELASTIC_QUEUE_MAX: num(10_000, { int: true, min: 1 }),
  ELASTIC_QUEUE_MAX_BYTES: num(64 * 1024 * 1024, { int: true, min: 1024 }),
  ELASTIC_TIMEOUT_MS: num(30_000, { int: true, min: 1 }),
  ELASTIC_SPOOL_FILE: z.string().optional(),
  ELASTIC_DEAD_LETTER_FILE: z.string().optional(),
  ELASTIC_SPOOL_MAX_BYTES: num(256 * 1024 * 1024, { int: true, min: 1024 }),
  ELASTIC_DEAD_LETTER_MAX_BYTES: num(64 * 1024 * 1024, { int: true, min: 1024 }),
  HTTP_HOST: str('0.0.0.0'),
  HTTP_PORT: num(8077, { int: true, min: 0, max: 65535 }),
  RECONNECT_DELAY: num(1, { min: 0 }),
  MAX_RECONNECT_DELAY: num(60, { min: 0 }),
  HEARTBEAT_TIMEOUT_MS: num(65_000, { int: true, min: 1 }),
  PING_INTERVAL_MS: num(30_000, { int: true, min: 0 }),
  PONG_TIMEOUT_MS: num(10_000, { int: true, min: 1 }),
  SOCKET_CLOSING_RECONNECT_DELAY_MS: num(0, { int: true, min: 0 }),
  TOKEN_REFRESH_MARGIN_S: num(300, { min: 0 }),
  MIN_CHANNEL_CREATE_INTERVAL_S: num(60, { min: 0 }),
  CHANNEL_REFRESH_AGE_H: num(23, { min: 0 }),
  HTTP_REQUEST_TIMEOUT_MS: num(30_000, { int: true, min: 1 }),
  SHUTDOWN_TIMEOUT_MS: num(10_000, { int: true, min: 1 }),
  LEASE_TABLE: z.string().optional(),
  LEASE_NAME: str('default').refine(
    (v) => /^[A-Za-z0-9._-]{1,100}$/.test(v),
    'must be 1-100 letters, digits, dots, dashes or underscores',
  ),
  LEASE_DURATION_S: num(15, { min: 0.1, max: 3600 }),
  LEASE_RENEW_S: envNumber({ optional: true, min: 0.02 }),
  LEASE_POLL_S: envNumber({ optional: true, min: 0.02 }),
  AWS_REGION: z.string().optional(),
  DYNAMODB_ENDPOINT: baseUrlAny,
  EMF_NAMESPACE: envString({
    optional: true,
    maxLength: 255,
    pattern: /^(?!:)[\x20-\x7e]*[\x21-\x7e][\x20-\x7e]*$/,
    patternReason: 'must be printable ASCII, not blank, not starting with ":" (CloudWatch)',
  }),
  EMF_INTERVAL_SECONDS: envDuration({ unit: 's', defaultMs: 60_000, minMs: 1000 }),
});

/** Legacy `collector.py` names accepted as fallbacks, so existing `.env` files keep working. */
const LEGACY_ALIASES: Record<string, string> = {
  BULK_MAX_DOCS: 'BULK_SIZE',
  HTTP_STATUS_HOST: 'HTTP_HOST',
  HTTP_STATUS_PORT: 'HTTP_PORT',
};

/**
 * Builds the `Authorization` header from `ELASTIC_AUTH`, with the semantics documented for the
 * Python collector's `EnvironmentVariables.md`: `Bearer <t>` / `ApiKey <k>` are used verbatim,
 * `user:pass` becomes Basic, and anything else is a bearer token.
 *
 * @example
 * ```ts
 * elasticAuthorization('elastic:changeme'); // 'Basic ZWxhc3RpYzpjaGFuZ2VtZQ=='
 * elasticAuthorization('ApiKey dGVzdA=='); // 'ApiKey dGVzdA=='
 * ```
 */
export function elasticAuthorization(value: string): string {
  const m = /^(bearer|apikey|basic)\s+(.+)$/i.exec(value);
  if (m) {
    const scheme = (m[1] ?? '').toLowerCase();
    const name = scheme === 'apikey' ? 'ApiKey' : scheme === 'basic' ? 'Basic' : 'Bearer';
    return `${name} ${m[2] ?? ''}`;
  }
  if (value.includes(':')) return basicAuthorization(value);
  return `Bearer ${value}`;
}

/** `Basic` + base64 of `user:pass` (UTF-8). */
function basicAuthorization(userPass: string): string {
  return `Basic ${Buffer.from(userPass, 'utf8').toString('base64')}`;
}

type Env = z.infer<typeof envSchema>;

const configError = (lines: string[]): CollectorError =>
  new CollectorError('COLLECTOR_ERR_CONFIG', `Invalid configuration:\n  - ${lines.join('\n  - ')}`);

/** Cleans the raw values, applies the legacy names, and validates them with the schema. */
function parseEnv(env: Record<string, string | undefined>): Env {
  const cleaned: Record<string, string | undefined> = {};
  for (const key of Object.keys(envSchema.shape)) cleaned[key] = cleanEnvValue(env[key]);
  for (const [legacy, current] of Object.entries(LEGACY_ALIASES)) {
    if (cleaned[current] === undefined) cleaned[current] = cleanEnvValue(env[legacy]);
  }
  if (cleaned['ELASTIC_FLUSH_INTERVAL_MS'] === undefined) {
    const legacySeconds = cleanEnvValue(env['BULK_MAX_SECONDS']);
    if (legacySeconds !== undefined && Number.isFinite(Number(legacySeconds))) {
      cleaned['ELASTIC_FLUSH_INTERVAL_MS'] = String(Math.round(Number(legacySeconds) * 1000));
    }
  }
  cleaned['AWS_REGION'] ??= cleanEnvValue(env['AWS_DEFAULT_REGION']);
  let e: Env;
  try {
    // The service kit's reader: every bad variable at once, values echoed unless secret.
    e = parseServiceEnv(envSchema.shape, cleaned);
  } catch (err) {
    if (err instanceof ConfigError) {
      throw configError(err.issues.map((i) => `${i.variable} ${i.reason}`));
    }
    throw err;
  }
  if (e.MAX_RECONNECT_DELAY < e.RECONNECT_DELAY) {
    throw configError(['MAX_RECONNECT_DELAY must be >= RECONNECT_DELAY']);
  }
  return e;
}

/**
 * Moves `user:pass@` out of `ELASTIC_URL` (Node's `fetch` refuses URLs with credentials) into a
 * Basic `Authorization` value, percent-decoded, and clears them from `url`. `undefined` when the
 * URL has none. Credentials in the URL together with `ELASTIC_AUTH` are ambiguous: an error that
 * names both variables and echoes neither value.
 */
function elasticUrlCredentials(url: URL, hasElasticAuth: boolean): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  if (hasElasticAuth) {
    throw configError([
      'ELASTIC_URL contains credentials (user:password@) and ELASTIC_AUTH is also set; use only one of them',
    ]);
  }
  let userPass: string;
  try {
    userPass = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  } catch {
    throw configError(['ELASTIC_URL contains credentials that are not valid percent-encoding']);
  }
  url.username = '';
  url.password = '';
  return basicAuthorization(userPass);
}

function elasticFrom(e: Env): ElasticConfig | undefined {
  if (e.ELASTIC_URL === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(e.ELASTIC_URL);
  } catch {
    throw configError(['ELASTIC_URL is not a URL']);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw configError(['ELASTIC_URL must be http:// or https://']);
  }
  if (/[?#]/.test(e.ELASTIC_URL)) {
    // `/_bulk` is appended to the URL: a query or fragment would swallow it (or be dropped).
    throw configError([
      'ELASTIC_URL must not contain a query string or fragment (?… or #…): it is the base URL that /_bulk is appended to; put credentials in ELASTIC_AUTH',
    ]);
  }
  const authorization = elasticUrlCredentials(url, e.ELASTIC_AUTH !== undefined);
  const outDir = dirname(e.OUTPUT_FILE);
  return {
    url: url.href.replace(/\/+$/, ''),
    authorization:
      authorization ??
      (e.ELASTIC_AUTH === undefined ? undefined : elasticAuthorization(e.ELASTIC_AUTH)),
    index: e.ELASTIC_INDEX,
    dataStream: e.ELASTIC_DATASTREAM,
    bulkSize: e.BULK_SIZE,
    flushIntervalMs: e.ELASTIC_FLUSH_INTERVAL_MS,
    maxRetries: e.ELASTIC_MAX_RETRIES,
    retryBaseMs: e.ELASTIC_RETRY_BASE_MS,
    retryMaxMs: e.ELASTIC_RETRY_MAX_MS,
    queueMax: e.ELASTIC_QUEUE_MAX,
    queueMaxBytes: e.ELASTIC_QUEUE_MAX_BYTES,
    timeoutMs: e.ELASTIC_TIMEOUT_MS,
    spoolFile: e.ELASTIC_SPOOL_FILE ?? join(outDir, 'elastic-spool.jsonl'),
    spoolMaxBytes: e.ELASTIC_SPOOL_MAX_BYTES,
    deadLetterFile: e.ELASTIC_DEAD_LETTER_FILE ?? join(outDir, 'elastic-dead-letter.jsonl'),
    deadLetterMaxBytes: e.ELASTIC_DEAD_LETTER_MAX_BYTES,
  };
}

function leaseFrom(e: Env): LeaseConfig | undefined {
  if (e.LEASE_TABLE === undefined) return undefined;
  const durationMs = e.LEASE_DURATION_S * 1000;
  const renewEveryMs = (e.LEASE_RENEW_S ?? e.LEASE_DURATION_S / 3) * 1000;
  const pollEveryMs = (e.LEASE_POLL_S ?? Math.min(2, e.LEASE_DURATION_S / 5)) * 1000;
  const bad: string[] = [];
  if (renewEveryMs > durationMs / 2)
    bad.push('LEASE_RENEW_S must be at most half of LEASE_DURATION_S');
  if (pollEveryMs > durationMs) bad.push('LEASE_POLL_S must be at most LEASE_DURATION_S');
  if (e.AWS_REGION === undefined) bad.push('AWS_REGION is required with LEASE_TABLE');
  if (bad.length > 0) throw configError(bad);
  return {
    table: e.LEASE_TABLE,
    key: `event-collector/lease/${e.LEASE_NAME}`,
    durationMs,
    renewEveryMs,
    pollEveryMs,
    region: e.AWS_REGION ?? '',
    endpoint: e.DYNAMODB_ENDPOINT,
  };
}

function genesysFrom(e: Env): CollectorConfig['genesys'] {
  return {
    env: e.GENESYS_ENV,
    loginBaseUrl: e.GENESYS_LOGIN_BASE_URL ?? `https://login.${e.GENESYS_ENV}`,
    apiBaseUrl: e.GENESYS_API_BASE_URL ?? `https://api.${e.GENESYS_ENV}`,
    clientId: e.GENESYS_CLIENT_ID,
    clientSecret: e.GENESYS_CLIENT_SECRET,
    subscribeIgnoreErrors: e.SUBSCRIBE_IGNORE_ERRORS,
    tokenRefreshMarginMs: e.TOKEN_REFRESH_MARGIN_S * 1000,
    minChannelCreateIntervalMs: e.MIN_CHANNEL_CREATE_INTERVAL_S * 1000,
    channelRefreshAgeMs: e.CHANNEL_REFRESH_AGE_H * 3_600_000,
    heartbeatTimeoutMs: e.HEARTBEAT_TIMEOUT_MS,
    pingIntervalMs: e.PING_INTERVAL_MS,
    pongTimeoutMs: e.PONG_TIMEOUT_MS,
    socketClosingReconnectDelayMs: e.SOCKET_CLOSING_RECONNECT_DELAY_MS,
    reconnectDelayMs: e.RECONNECT_DELAY * 1000,
    maxReconnectDelayMs: e.MAX_RECONNECT_DELAY * 1000,
    requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
  };
}

/**
 * Reads and validates the configuration from an environment (normally `process.env`). Throws a
 * {@link CollectorError} `COLLECTOR_ERR_CONFIG` that lists every bad variable; secrets never
 * appear in the message.
 *
 * @example
 * ```ts
 * const config = loadConfig({ GENESYS_CLIENT_ID: 'id', GENESYS_CLIENT_SECRET: 's' });
 * config.genesys.apiBaseUrl; // 'https://api.usw2.pure.cloud'
 * ```
 */
export function loadConfig(env: Record<string, string | undefined>): CollectorConfig {
  const e = parseEnv(env);
  return {
    genesys: genesysFrom(e),
    topics: {
      file: e.TOPICS_FILE ?? './topics.json',
      fileExplicit: e.TOPICS_FILE !== undefined,
      override: e.TOPICS,
      discover: e.DISCOVER_TOPICS,
      definitionsRefreshMs: e.DEFINITIONS_REFRESH_HOURS * 3_600_000,
    },
    events: {
      match: e.AUDIOHOOK_MATCH,
      writeAll: e.WRITE_ALL_EVENTS,
      timestampSource: e.TIMESTAMP_SOURCE ?? 'received',
      dedupeWindowMs: e.DEDUPE_WINDOW_H * 3_600_000,
      dedupeMaxKeys: e.DEDUPE_MAX_KEYS,
    },
    backfill: {
      enabled: e.BACKFILL_ENABLED,
      marginMs: e.BACKFILL_MARGIN_S * 1000,
      maxAgeMs: e.BACKFILL_MAX_AGE_H * 3_600_000,
      maxLagMs: e.BACKFILL_MAX_LAG_S * 1000,
    },
    output: {
      file: e.OUTPUT_FILE,
      maxFileSize: e.MAX_FILE_SIZE,
      backupCount: e.BACKUP_COUNT,
      queueMax: e.WRITE_QUEUE_MAX,
      checkpointFile: e.CHECKPOINT_FILE ?? `${e.OUTPUT_FILE}.checkpoint`,
      checkpointIntervalMs: e.CHECKPOINT_INTERVAL_MS,
    },
    elastic: elasticFrom(e),
    lease: leaseFrom(e),
    http: { host: e.HTTP_HOST, port: e.HTTP_PORT },
    emf: { namespace: e.EMF_NAMESPACE, intervalMs: e.EMF_INTERVAL_SECONDS },
    log: { level: e.LOG_LEVEL ?? 'info', consoleEvents: e.CONSOLE_OUTPUT },
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}

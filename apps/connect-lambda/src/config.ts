import {
  DEFAULT_EXCLUDED_PARAMETER_KEYS,
  DEFAULT_SECRET_PARTITIONS,
  DEFAULT_SUPPORTED_DTMF_CHARS,
  MAX_RETRIES_LIMIT,
  UPSTREAM_EXCLUDED_PARAMETER_KEYS,
  parseDuration,
} from '@org/cresta-handoff';
import type { LogLevel } from '@org/service-kit/lambda';
import * as z from 'zod/mini';
import { ConfigError } from './lib/errors';
import type { VersionSourceOrder } from './lib/version';

/**
 * The per-invocation keys. Each is looked up in the Connect parameters first, then in the
 * environment variable of the same (case-sensitive, camelCase) name, exactly as upstream.
 */
export const INVOCATION_KEYS = [
  'action',
  'region',
  'apiDomain',
  'authDomain',
  'virtualAgentName',
  'oauthClientId',
  'oauthClientSecret',
  'oauthSecretArn',
  'apiKey',
] as const;

/** One of {@link INVOCATION_KEYS}. */
export type InvocationKey = (typeof INVOCATION_KEYS)[number];

/** The validated configuration of the Lambda, read once when the module loads. */
export interface ConnectLambdaConfig {
  /** Environment fallbacks of the per-invocation keys (`""` = unset). */
  readonly env: Readonly<Record<InvocationKey, string>>;
  readonly supportedDtmfChars: string;
  readonly strictUpstreamParity: boolean;
  readonly emptyParameterMode: 'fallback' | 'mask';
  readonly requireParameters: boolean;
  readonly http: {
    readonly maxRetries: number;
    readonly baseDelayMs: number;
    readonly attemptTimeoutMs: number;
    /** Overall budget of one invocation's Cresta calls; `undefined` = none. */
    readonly totalTimeoutMs: number | undefined;
    /** Kept free of the Lambda's remaining time. */
    readonly lambdaTimeMarginMs: number;
    readonly honorRetryAfter: boolean;
    readonly maxRetryAfterMs: number;
    readonly acceptAny2xx: boolean;
    readonly apiKeyHeader: 'authorization' | 'x-api-key';
    readonly refreshTokenOn401: boolean;
  };
  readonly tokenCache: {
    readonly expiryBufferMs: number;
    readonly keyBy: 'authBaseAndClientId' | 'clientId';
  };
  readonly secrets: {
    /** How long parsed credentials are reused; 0 = fetch on every invocation. */
    readonly cacheTtlMs: number;
    readonly allowedPartitions: readonly string[];
    /** Endpoint override for Secrets Manager (LocalStack, tests); `undefined` = AWS. */
    readonly endpoint: string | undefined;
  };
  readonly resolve: {
    readonly lowerCaseRegionForAuth: boolean;
    readonly stripTrailingSlash: boolean;
    readonly pathSegmentChecks: 'extended' | 'upstream';
  };
  readonly output: {
    readonly flattenPstnResponse: boolean;
    readonly handoffOutput: 'contract' | 'full';
    /** Largest response returned to Connect, in bytes of JSON; 0 = no check. */
    readonly maxResponseBytes: number;
  };
  readonly excludedParameterKeys: readonly string[];
  readonly versionSourceOrder: VersionSourceOrder;
  readonly envVersion: string | undefined;
  /** `DEBUG_LOGGING=true` (the upstream switch): the event and response are logged at DEBUG. */
  readonly debugLogging: boolean;
  /** `LOG_LEVEL`; `debug` whenever `DEBUG_LOGGING=true`. */
  readonly logLevel: LogLevel;
  /** The `service` of every log line (`POWERTOOLS_SERVICE_NAME`, kept from the Powertools days). */
  readonly serviceName: string;
  /** Whether the process runs inside the Lambda runtime (graceful SIGTERM handling). */
  readonly inLambda: boolean;
}

export { ConfigError } from './lib/errors';

/** `LOG_LEVEL` values: the service kit's level words, any case. */
const LOG_LEVEL_WORDS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

const BOOL = /^(true|false|1|0|yes|no)$/i;

/** Empty or blank values count as unset, as upstream. */
const clean = (v: string | undefined): string | undefined =>
  v === undefined || v.trim() === '' ? undefined : v.trim();

function text(check?: (value: string) => boolean, message = 'is invalid') {
  const schema = z.optional(z.string());
  return check === undefined
    ? schema
    : schema.check(
        z.refine((v) => {
          const value = clean(v);
          return value === undefined || check(value);
        }, message),
      );
}

function isDuration(value: string): boolean {
  try {
    parseDuration(value);
    return true;
  } catch {
    return false;
  }
}

const bool = text((v) => BOOL.test(v), 'must be true or false');
const duration = text(isDuration, 'must be a duration such as 100ms, 10s, 1m or 1m30s');
const integer = text((v) => /^-?\d+$/.test(v), 'must be an integer');
const oneOf = (values: readonly string[]) =>
  text((v) => values.includes(v), `must be one of ${values.join(', ')}`);

const envSchema = z.object({
  action: text(),
  region: text(),
  apiDomain: text(),
  authDomain: text(),
  virtualAgentName: text(),
  oauthClientId: text(),
  oauthClientSecret: text(),
  oauthSecretArn: text(),
  apiKey: text(),
  supportedDtmfChars: text(),
  // The client refuses more (each retry waits, and a Lambda's time is short): say so at start.
  HTTP_MAX_RETRIES: text(
    (v) => /^-?\d+$/.test(v) && Number(v) <= MAX_RETRIES_LIMIT,
    `must be an integer of at most ${MAX_RETRIES_LIMIT}`,
  ),
  HTTP_RETRY_BASE_DELAY: duration,
  HTTP_CLIENT_TIMEOUT: duration,
  HTTP_TOTAL_TIMEOUT: duration,
  LAMBDA_TIME_MARGIN: duration,
  HTTP_HONOR_RETRY_AFTER: bool,
  HTTP_MAX_RETRY_AFTER: duration,
  ACCEPT_ANY_2XX: bool,
  API_KEY_HEADER: oneOf(['authorization', 'x-api-key']),
  REFRESH_TOKEN_ON_401: bool,
  TOKEN_EXPIRY_BUFFER: duration,
  TOKEN_CACHE_KEY: oneOf(['authBaseAndClientId', 'clientId']),
  SECRET_CACHE_TTL: text(
    (v) => v === '0' || isDuration(v),
    'must be 0 or a duration such as 300s or 5m',
  ),
  SECRET_ARN_PARTITIONS: text(),
  SECRETS_MANAGER_ENDPOINT: text((v) => /^https?:\/\/\S+$/.test(v), 'must be an http(s) URL'),
  LOWERCASE_REGION_FOR_AUTH: bool,
  STRIP_TRAILING_SLASH: bool,
  PATH_SEGMENT_CHECKS: oneOf(['extended', 'upstream']),
  FLATTEN_PSTN_RESPONSE: bool,
  HANDOFF_OUTPUT: oneOf(['contract', 'full']),
  MAX_RESPONSE_BYTES: integer,
  METADATA_EXCLUDED_PARAMETERS: text(),
  VERSION_SOURCE_ORDER: oneOf(['build-first', 'env-first']),
  LAMBDA_VERSION: text(),
  EMPTY_PARAMETER_MODE: oneOf(['fallback', 'mask']),
  REQUIRE_PARAMETERS: bool,
  STRICT_UPSTREAM_PARITY: bool,
  DEBUG_LOGGING: text(),
  LOG_LEVEL: text(
    (v) => (LOG_LEVEL_WORDS as readonly string[]).includes(v.toLowerCase()),
    `must be one of ${LOG_LEVEL_WORDS.join(', ')}`,
  ),
  POWERTOOLS_SERVICE_NAME: text(),
  AWS_LAMBDA_RUNTIME_API: text(),
});

/** Every environment variable the Lambda reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

const asBool = (v: string | undefined, fallback: boolean): boolean =>
  v === undefined ? fallback : /^(true|1|yes)$/i.test(v);
const asMs = (v: string | undefined, fallback: number): number =>
  v === undefined ? fallback : parseDuration(v);
const asList = (v: string | undefined): string[] | undefined =>
  v === undefined
    ? undefined
    : v
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0);

/**
 * Reads and validates the configuration from an environment (normally `process.env`).
 *
 * `STRICT_UPSTREAM_PARITY=true` switches every default that deliberately differs from the upstream
 * TypeScript Lambda back to the upstream behaviour; a variable set explicitly still wins.
 *
 * The Lambda parses with `zod/mini` instead of the service kit's environment helpers: those bring
 * zod's classic API (about 450 KB minified, which more than doubled this bundle's cold import).
 * The error is the kit's coded kind (`ServiceError`), and the names and messages are unchanged.
 *
 * @throws {@link ConfigError} (`CONNECT_LAMBDA_ERR_CONFIG`) naming every invalid variable.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ConnectLambdaConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const raw = parsed.data as Record<string, string | undefined>;
  const e = Object.fromEntries(
    Object.entries(raw).map(([key, value]) => [key, clean(value)]),
  ) as Record<keyof typeof raw, string | undefined>;
  const invocationValue = (key: InvocationKey): string => raw[key] ?? '';
  const parity = asBool(e.STRICT_UPSTREAM_PARITY, false);
  const totalTimeout = e.HTTP_TOTAL_TIMEOUT;
  return {
    env: {
      action: invocationValue('action'),
      region: invocationValue('region'),
      apiDomain: invocationValue('apiDomain'),
      authDomain: invocationValue('authDomain'),
      virtualAgentName: invocationValue('virtualAgentName'),
      oauthClientId: invocationValue('oauthClientId'),
      oauthClientSecret: invocationValue('oauthClientSecret'),
      oauthSecretArn: invocationValue('oauthSecretArn'),
      apiKey: invocationValue('apiKey'),
    },
    supportedDtmfChars: e.supportedDtmfChars ?? DEFAULT_SUPPORTED_DTMF_CHARS,
    strictUpstreamParity: parity,
    emptyParameterMode: (e.EMPTY_PARAMETER_MODE as 'fallback' | 'mask' | undefined) ?? 'fallback',
    requireParameters: asBool(e.REQUIRE_PARAMETERS, false),
    http: {
      maxRetries: e.HTTP_MAX_RETRIES === undefined ? 3 : Number(e.HTTP_MAX_RETRIES),
      baseDelayMs: asMs(e.HTTP_RETRY_BASE_DELAY, 100),
      attemptTimeoutMs: Math.max(1, asMs(e.HTTP_CLIENT_TIMEOUT, 10_000)),
      totalTimeoutMs:
        totalTimeout !== undefined ? parseDuration(totalTimeout) : parity ? undefined : 7500,
      lambdaTimeMarginMs: asMs(e.LAMBDA_TIME_MARGIN, 500),
      honorRetryAfter: asBool(e.HTTP_HONOR_RETRY_AFTER, !parity),
      maxRetryAfterMs: asMs(e.HTTP_MAX_RETRY_AFTER, 30_000),
      acceptAny2xx: asBool(e.ACCEPT_ANY_2XX, false),
      apiKeyHeader:
        (e.API_KEY_HEADER as 'authorization' | 'x-api-key' | undefined) ?? 'authorization',
      refreshTokenOn401: asBool(e.REFRESH_TOKEN_ON_401, !parity),
    },
    tokenCache: {
      expiryBufferMs: asMs(e.TOKEN_EXPIRY_BUFFER, 300_000),
      keyBy:
        (e.TOKEN_CACHE_KEY as 'authBaseAndClientId' | 'clientId' | undefined) ??
        (parity ? 'clientId' : 'authBaseAndClientId'),
    },
    secrets: {
      cacheTtlMs: e.SECRET_CACHE_TTL === '0' ? 0 : asMs(e.SECRET_CACHE_TTL, parity ? 0 : 300_000),
      allowedPartitions: asList(e.SECRET_ARN_PARTITIONS) ?? DEFAULT_SECRET_PARTITIONS,
      endpoint: e.SECRETS_MANAGER_ENDPOINT,
    },
    resolve: {
      lowerCaseRegionForAuth: asBool(e.LOWERCASE_REGION_FOR_AUTH, !parity),
      stripTrailingSlash: asBool(e.STRIP_TRAILING_SLASH, !parity),
      pathSegmentChecks:
        (e.PATH_SEGMENT_CHECKS as 'extended' | 'upstream' | undefined) ??
        (parity ? 'upstream' : 'extended'),
    },
    output: {
      flattenPstnResponse: asBool(e.FLATTEN_PSTN_RESPONSE, false),
      handoffOutput: (e.HANDOFF_OUTPUT as 'contract' | 'full' | undefined) ?? 'contract',
      maxResponseBytes:
        e.MAX_RESPONSE_BYTES === undefined
          ? parity
            ? 0
            : 32_768
          : Math.max(0, Number(e.MAX_RESPONSE_BYTES)),
    },
    excludedParameterKeys:
      asList(e.METADATA_EXCLUDED_PARAMETERS) ??
      (parity ? UPSTREAM_EXCLUDED_PARAMETER_KEYS : DEFAULT_EXCLUDED_PARAMETER_KEYS),
    versionSourceOrder: (e.VERSION_SOURCE_ORDER as VersionSourceOrder | undefined) ?? 'build-first',
    envVersion: e.LAMBDA_VERSION,
    debugLogging: e.DEBUG_LOGGING?.toLowerCase() === 'true',
    logLevel:
      e.DEBUG_LOGGING?.toLowerCase() === 'true'
        ? 'debug'
        : ((e.LOG_LEVEL?.toLowerCase() as LogLevel | undefined) ?? 'info'),
    serviceName: e.POWERTOOLS_SERVICE_NAME ?? 'connect-lambda',
    inLambda: e.AWS_LAMBDA_RUNTIME_API !== undefined,
  };
}

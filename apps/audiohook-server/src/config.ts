// The server's whole configuration, read once from the environment at start-up and validated
// with zod. Variable names of the vendor sample are kept; everything else is our own.

import { resolve } from 'node:path';
import { z } from 'zod';
import { ServerError, ServerErrorCode } from './lib/errors';

/** The documentation's sample credentials; enabled only by `--local-defaults`. */
export const SAMPLE_API_KEY = 'SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh';
export const SAMPLE_CLIENT_SECRET = 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `{ "<apiKey>": "<base64 secret>" | "" | null }`, as in STATIC_API_KEY_MAP and the secret. */
export const apiKeyMapSchema = z.record(
  z.string().min(1),
  z
    .string()
    .regex(BASE64, 'the client secret must be base64 (or "" / null for an unsigned key)')
    .nullable(),
);
export type ApiKeyMap = z.infer<typeof apiKeyMapSchema>;

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .optional()
    .transform((v) => (v === undefined ? fallback : ['true', '1', 'yes', 'on'].includes(v)));

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'expected a whole number')
    .optional()
    .transform((v) => (v === undefined ? fallback : Number(v)))
    .pipe(z.number().int().min(min).max(max));

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const envSchema = z.object({
  SERVERPORT: int(3000, 0, 65535),
  SERVERHOST: z.string().min(1).default('127.0.0.1'),
  LOG_ROOT_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RECORDING_ENABLED: bool(true),
  RECORDING_HEADER_UPDATE: z.enum(['close', 'append']).default('close'),
  RECORDING_FLUSH_BYTES: int(16_384, 0, 16 * 1_048_576),
  RECORDING_SIDECAR_MAX_PINGS: int(1000, 0, 1_000_000),
  RECORDING_SIDECAR_MAX_BYTES: int(4 * 1_048_576, 65_536, 1_073_741_824),
  RECORDING_S3_BUCKET: optionalText,
  RECORDING_S3_PREFIX: z.string().default(''),
  S3_ENDPOINT: optionalText.pipe(z.url().optional()),
  S3_FORCE_PATH_STYLE: bool(false),
  S3_CHECKSUMS: z.enum(['when_supported', 'when_required']).optional(),
  UPLOAD_ATTEMPTS: int(5, 1, 100),
  UPLOAD_RETRY_BASE_MS: int(500, 1, 600_000),
  UPLOAD_PART_SIZE_MB: int(8, 5, 512),
  SECRET_NAME_OR_ARN: optionalText,
  SECRETS_MANAGER_ENDPOINT: optionalText.pipe(z.url().optional()),
  SECRET_REFRESH_KNOWN_S: int(300, 0, 86_400),
  SECRET_REFRESH_UNKNOWN_S: int(60, 0, 86_400),
  STATIC_API_KEY_MAP: optionalText,
  SESSION_AUTH_STRATEGY: z.enum(['session', 'request']).default('session'),
  AUTH_FAILURE_DELAY_MS: int(500, 0, 10_000),
  SIGNATURE_MAX_AGE_S: int(10, 1, 3600),
  SIGNATURE_TIME_MODE: z.enum(['tolerant', 'reference']).default('tolerant'),
  SIGNATURE_CLOCK_SKEW_S: int(3, 0, 3600),
  SIGNATURE_NONCE_MIN_LENGTH: int(22, 0, 1024),
  REPLAY_CACHE_SIZE: int(100_000, 0, 10_000_000),
  REPLAY_CACHE_TABLE: optionalText,
  REPLAY_CACHE_TIMEOUT_MS: int(1500, 50, 10_000),
  DYNAMODB_ENDPOINT: optionalText.pipe(z.url().optional()),
  MAX_SESSIONS: int(5000, 1, 1_000_000),
  MAX_PAYLOAD_BYTES: int(1_048_576, 65_536, 64 * 1_048_576),
  MAX_BUFFERED_BYTES: int(262_144, 16_384, 64 * 1_048_576),
  OPEN_TIMEOUT_MS: int(4000, 100, 60_000),
  IDLE_TIMEOUT_MS: int(0, 0, 86_400_000),
  CLOSE_TIMEOUT_MS: int(10_000, 100, 600_000),
  DRAIN_TIMEOUT_MS: int(30_000, 0, 3_600_000),
  DRAIN_SEND_RECONNECT: bool(false),
  STRICT_VALIDATION: bool(false),
  UNKNOWN_MESSAGE_TYPES: z.enum(['disconnect', 'ignore']).default('disconnect'),
  SEND_UPDATED: bool(false),
  L16_BYTE_ORDER: z.enum(['le', 'be']).default('le'),
  PROBE_MEDIA: z.enum(['select', 'none']).default('select'),
  POSITION_MODE: z.enum(['timeline', 'samples']).default('timeline'),
  LOADTEST_ENABLED: bool(false),
  VOICETRANSCRIPTION_ENABLED: bool(true),
  VOICETRANSCRIPTION_LANGUAGES: z
    .string()
    .default('en-US,en-AU,en-GB,en-IN,en-ZA,fr-CA,fr-FR,pt-BR,zh-CN,cmn-CN,bg-BG,el-GR'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  GC_HEAP_GROWING_PERCENT: int(100, 0, 1000),
});

/** The validated configuration the composition root is built from. */
export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  /**
   * V8's old-generation growing factor as a percentage over 1 (V8's `--heap-growing-percent`);
   * 0 leaves V8's own heuristics. See the README (`GC_HEAP_GROWING_PERCENT`).
   */
  readonly gcHeapGrowingPercent: number;
  readonly recording: {
    readonly enabled: boolean;
    readonly directory: string;
    readonly headerUpdate: 'close' | 'append';
    readonly flushBytes: number;
    readonly maxBufferedBytes: number;
    /** Ping exchanges written to a sidecar in full; later ones are summarised in `end`. */
    readonly sidecarMaxPings: number;
    /** Largest sidecar body; later entries are counted in `end`, not written. */
    readonly sidecarMaxBytes: number;
  };
  readonly s3:
    | {
        readonly bucket: string;
        readonly prefix: string;
        readonly region: string;
        readonly endpoint?: string;
        readonly forcePathStyle: boolean;
        /** SDK request/response checksums; `when_required` for S3-compatible stores. */
        readonly checksums: 'when_supported' | 'when_required';
        readonly attempts: number;
        readonly retryBaseMs: number;
        readonly partSizeBytes: number;
      }
    | undefined;
  readonly apiKeys: {
    readonly staticMap: ApiKeyMap;
    readonly secret:
      | {
          readonly secretId: string;
          readonly region: string;
          readonly endpoint?: string;
          readonly refreshKnownMs: number;
          readonly refreshUnknownMs: number;
        }
      | undefined;
  };
  readonly auth: {
    readonly strategy: 'session' | 'request';
    readonly failureDelayMs: number;
    readonly maxAgeSeconds: number;
    readonly timeMode: 'tolerant' | 'reference';
    readonly clockSkewSeconds: number;
    readonly nonceMinLength: number;
    readonly replayCacheSize: number;
    /** The DynamoDB replay cache shared by every instance (`REPLAY_CACHE_TABLE`). */
    readonly replayTable:
      | {
          readonly table: string;
          readonly region: string;
          readonly endpoint?: string;
          readonly timeoutMs: number;
        }
      | undefined;
  };
  readonly limits: {
    readonly maxSessions: number;
    readonly maxPayloadBytes: number;
    readonly openTimeoutMs: number;
    readonly idleTimeoutMs: number;
    readonly closeTimeoutMs: number;
  };
  readonly drain: { readonly timeoutMs: number; readonly sendReconnect: boolean };
  /** Answers to the spec's open questions (§21), passed to every protocol session. */
  readonly protocol: {
    readonly strict: boolean;
    readonly unknownMessageTypes: 'disconnect' | 'ignore';
    readonly sendUpdated: boolean;
    readonly l16ByteOrder: 'le' | 'be';
    readonly probeMedia: 'select' | 'none';
    readonly positionMode: 'timeline' | 'samples';
  };
  readonly endpoints: {
    readonly loadTest: boolean;
    readonly voiceTranscription: boolean;
    readonly languages: readonly string[];
  };
}

/** A configuration problem: one line that names the variable and what is wrong with it. */
export class ConfigError extends ServerError {
  override readonly name = 'ConfigError';

  constructor(message: string) {
    super(ServerErrorCode.Config, message);
  }
}

export interface LoadConfigOptions {
  /** Working directory that relative paths are resolved against. @default process.cwd() */
  readonly cwd?: string;
  /**
   * Fill what is unset with the local-development defaults: recordings under `./recordings`
   * and the documentation's sample API key and secret. Never use in production.
   * @default false
   */
  readonly localDefaults?: boolean;
}

/**
 * Validates `env` and returns the configuration.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env, { localDefaults: process.argv.includes('--local-defaults') });
 * ```
 * @throws ConfigError with one line naming every bad variable.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions = {},
): ServerConfig {
  const cwd = options.cwd ?? process.cwd();
  const source: Record<string, string | undefined> = { ...env };
  if (options.localDefaults === true) {
    source['LOG_ROOT_DIR'] ??= 'recordings';
    if (source['STATIC_API_KEY_MAP'] === undefined && source['SECRET_NAME_OR_ARN'] === undefined) {
      source['STATIC_API_KEY_MAP'] = JSON.stringify({ [SAMPLE_API_KEY]: SAMPLE_CLIENT_SECRET });
    }
  }
  // Empty strings count as unset, as a shell `VAR=` usually means "leave it at the default".
  for (const [key, value] of Object.entries(source)) {
    if (value === '') source[key] = undefined;
  }
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  let staticMap: ApiKeyMap = {};
  if (e.STATIC_API_KEY_MAP !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(e.STATIC_API_KEY_MAP);
    } catch {
      throw new ConfigError('invalid configuration: STATIC_API_KEY_MAP: not valid JSON');
    }
    const map = apiKeyMapSchema.safeParse(json);
    if (!map.success) {
      const problem = map.error.issues[0];
      throw new ConfigError(
        `invalid configuration: STATIC_API_KEY_MAP${problem ? `.${problem.path.join('.')}: ${problem.message}` : ''}`,
      );
    }
    staticMap = map.data;
  }
  if (e.REPLAY_CACHE_TABLE !== undefined && e.REPLAY_CACHE_SIZE === 0) {
    throw new ConfigError(
      'invalid configuration: REPLAY_CACHE_SIZE=0 turns the replay check off, but REPLAY_CACHE_TABLE is set',
    );
  }
  const languages = e.VOICETRANSCRIPTION_LANGUAGES.split(',')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const badLanguage = languages.find((l) => !/^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/.test(l));
  if (badLanguage !== undefined) {
    throw new ConfigError(
      `invalid configuration: VOICETRANSCRIPTION_LANGUAGES: "${badLanguage}" is not a language tag`,
    );
  }
  return {
    port: e.SERVERPORT,
    host: e.SERVERHOST,
    logLevel: e.LOG_LEVEL,
    gcHeapGrowingPercent: e.GC_HEAP_GROWING_PERCENT,
    recording: {
      enabled: e.RECORDING_ENABLED,
      directory: resolve(cwd, e.LOG_ROOT_DIR ?? '.'),
      headerUpdate: e.RECORDING_HEADER_UPDATE,
      flushBytes: e.RECORDING_FLUSH_BYTES,
      maxBufferedBytes: e.MAX_BUFFERED_BYTES,
      sidecarMaxPings: e.RECORDING_SIDECAR_MAX_PINGS,
      sidecarMaxBytes: e.RECORDING_SIDECAR_MAX_BYTES,
    },
    s3:
      e.RECORDING_S3_BUCKET === undefined
        ? undefined
        : {
            bucket: e.RECORDING_S3_BUCKET,
            prefix: e.RECORDING_S3_PREFIX,
            region: e.AWS_REGION,
            ...(e.S3_ENDPOINT === undefined ? {} : { endpoint: e.S3_ENDPOINT }),
            forcePathStyle: e.S3_FORCE_PATH_STYLE,
            // Stores behind a custom endpoint (MinIO, s3rver, ...) often lack the newer
            // CRC checksum trailers the SDK sends by default.
            checksums:
              e.S3_CHECKSUMS ?? (e.S3_ENDPOINT === undefined ? 'when_supported' : 'when_required'),
            attempts: e.UPLOAD_ATTEMPTS,
            retryBaseMs: e.UPLOAD_RETRY_BASE_MS,
            partSizeBytes: e.UPLOAD_PART_SIZE_MB * 1024 * 1024,
          },
    apiKeys: {
      staticMap,
      secret:
        e.SECRET_NAME_OR_ARN === undefined
          ? undefined
          : {
              secretId: e.SECRET_NAME_OR_ARN,
              region: e.AWS_REGION,
              ...(e.SECRETS_MANAGER_ENDPOINT === undefined
                ? {}
                : { endpoint: e.SECRETS_MANAGER_ENDPOINT }),
              refreshKnownMs: e.SECRET_REFRESH_KNOWN_S * 1000,
              refreshUnknownMs: e.SECRET_REFRESH_UNKNOWN_S * 1000,
            },
    },
    auth: {
      strategy: e.SESSION_AUTH_STRATEGY,
      failureDelayMs: e.AUTH_FAILURE_DELAY_MS,
      maxAgeSeconds: e.SIGNATURE_MAX_AGE_S,
      timeMode: e.SIGNATURE_TIME_MODE,
      clockSkewSeconds: e.SIGNATURE_CLOCK_SKEW_S,
      nonceMinLength: e.SIGNATURE_NONCE_MIN_LENGTH,
      replayCacheSize: e.REPLAY_CACHE_SIZE,
      replayTable:
        e.REPLAY_CACHE_TABLE === undefined
          ? undefined
          : {
              table: e.REPLAY_CACHE_TABLE,
              region: e.AWS_REGION,
              ...(e.DYNAMODB_ENDPOINT === undefined ? {} : { endpoint: e.DYNAMODB_ENDPOINT }),
              timeoutMs: e.REPLAY_CACHE_TIMEOUT_MS,
            },
    },
    limits: {
      maxSessions: e.MAX_SESSIONS,
      maxPayloadBytes: e.MAX_PAYLOAD_BYTES,
      openTimeoutMs: e.OPEN_TIMEOUT_MS,
      idleTimeoutMs: e.IDLE_TIMEOUT_MS,
      closeTimeoutMs: e.CLOSE_TIMEOUT_MS,
    },
    drain: { timeoutMs: e.DRAIN_TIMEOUT_MS, sendReconnect: e.DRAIN_SEND_RECONNECT },
    protocol: {
      strict: e.STRICT_VALIDATION,
      unknownMessageTypes: e.UNKNOWN_MESSAGE_TYPES,
      sendUpdated: e.SEND_UPDATED,
      l16ByteOrder: e.L16_BYTE_ORDER,
      probeMedia: e.PROBE_MEDIA,
      positionMode: e.POSITION_MODE,
    },
    endpoints: {
      loadTest: e.LOADTEST_ENABLED,
      voiceTranscription: e.VOICETRANSCRIPTION_ENABLED,
      languages,
    },
  };
}

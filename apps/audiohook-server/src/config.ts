// The server's whole configuration, read once from the environment at start-up and validated
// with the service kit's zod-based helpers. Variable names of the vendor sample are kept;
// everything else is our own.

import { hostname } from 'node:os';
import { resolve } from 'node:path';
import {
  ConfigError,
  envBool,
  envDuration,
  envEnum,
  envInt,
  envList,
  envLogLevel,
  envString,
  envUrl,
  parseEnv,
  type EnvOf,
  type LogLevel,
} from '@org/service-kit';
import { toTranscribeLanguage, type RedactionMode } from '@org/speech';
import { z } from 'zod';

export { ConfigError };

/** The documentation's sample credentials; enabled only by `--local-defaults`. */
export const SAMPLE_API_KEY = 'SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh';
export const SAMPLE_CLIENT_SECRET = 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const LANGUAGE_TAG = /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/;

/** `{ "<apiKey>": "<base64 secret>" | "" | null }`, as in STATIC_API_KEY_MAP and the secret. */
export const apiKeyMapSchema = z.record(
  z.string().min(1),
  z
    .string()
    .regex(BASE64, 'the client secret must be base64 (or "" / null for an unsigned key)')
    .nullable(),
);
export type ApiKeyMap = z.infer<typeof apiKeyMapSchema>;

/** Variables of the listener, logs and telemetry. */
const SERVICE_SHAPE = {
  SERVERPORT: envInt({ default: 3000, min: 0, max: 65535 }),
  SERVERHOST: envString({ default: '127.0.0.1' }),
  LOG_LEVEL: envLogLevel(),
  OTEL_EXPORTER_OTLP_ENDPOINT: envUrl({ optional: true }),
  OTEL_EXPORTER_OTLP_HEADERS: envString({ optional: true, secret: true }),
  EMF_NAMESPACE: envString({ optional: true, maxLength: 255 }),
  EMF_INTERVAL_SECONDS: envDuration({ unit: 's', defaultMs: 60_000, minMs: 1000 }),
  GC_HEAP_GROWING_PERCENT: envInt({ default: 100, min: 0, max: 1000 }),
  AWS_REGION: envString({ default: 'us-east-1' }),
} as const;

/** Variables of recording, storage and recovery. */
const RECORDING_SHAPE = {
  LOG_ROOT_DIR: envString({ optional: true }),
  RECORDING_ENABLED: envBool({ default: true }),
  RECORDING_HEADER_UPDATE: envEnum(['close', 'append'], { default: 'close' }),
  RECORDING_FLUSH_BYTES: envInt({ default: 16_384, min: 0, max: 16 * 1_048_576 }),
  RECORDING_SIDECAR_MAX_PINGS: envInt({ default: 1000, min: 0, max: 1_000_000 }),
  RECORDING_SIDECAR_MAX_BYTES: envInt({ default: 4 * 1_048_576, min: 65_536, max: 1_073_741_824 }),
  RECORDING_IO_THREADS: envInt({ default: 1, min: 1, max: 16 }),
  RECORDING_IO_BATCH_MS: envInt({ default: 50, min: 0, max: 100 }),
  MAX_BUFFERED_BYTES: envInt({ default: 262_144, min: 16_384, max: 64 * 1_048_576 }),
  INSTANCE_ID: envString({ optional: true }),
  RECOVERY_HEARTBEAT_S: envInt({ default: 10, min: 1, max: 3600 }),
  RECOVERY_STALE_AFTER_S: envInt({ default: 60, min: 3, max: 86_400 }),
  RECOVERY_SCAN_INTERVAL_S: envInt({ default: 60, min: 0, max: 86_400 }),
  RECORDING_S3_BUCKET: envString({ optional: true }),
  RECORDING_S3_PREFIX: envString({ default: '' }),
  S3_ENDPOINT: envUrl({ optional: true }),
  S3_FORCE_PATH_STYLE: envBool({ default: false }),
  S3_CHECKSUMS: envEnum(['when_supported', 'when_required'], { optional: true }),
  UPLOAD_ATTEMPTS: envInt({ default: 5, min: 1, max: 100 }),
  UPLOAD_RETRY_BASE_MS: envInt({ default: 500, min: 1, max: 600_000 }),
  UPLOAD_PART_SIZE_MB: envInt({ default: 8, min: 5, max: 512 }),
} as const;

/** Variables of authentication and the replay cache. */
const AUTH_SHAPE = {
  SECRET_NAME_OR_ARN: envString({ optional: true }),
  SECRETS_MANAGER_ENDPOINT: envUrl({ optional: true }),
  SECRET_REFRESH_KNOWN_S: envInt({ default: 300, min: 0, max: 86_400 }),
  SECRET_REFRESH_UNKNOWN_S: envInt({ default: 60, min: 0, max: 86_400 }),
  STATIC_API_KEY_MAP: envString({ optional: true, secret: true }),
  SESSION_AUTH_STRATEGY: envEnum(['session', 'request'], { default: 'session' }),
  AUTH_FAILURE_DELAY_MS: envInt({ default: 500, min: 0, max: 10_000 }),
  SIGNATURE_MAX_AGE_S: envInt({ default: 10, min: 1, max: 3600 }),
  SIGNATURE_TIME_MODE: envEnum(['tolerant', 'reference'], { default: 'tolerant' }),
  SIGNATURE_CLOCK_SKEW_S: envInt({ default: 3, min: 0, max: 3600 }),
  SIGNATURE_NONCE_MIN_LENGTH: envInt({ default: 22, min: 0, max: 1024 }),
  REPLAY_CACHE_SIZE: envInt({ default: 100_000, min: 0, max: 10_000_000 }),
  REPLAY_CACHE_TABLE: envString({ optional: true }),
  REPLAY_CACHE_TIMEOUT_MS: envInt({ default: 1500, min: 50, max: 10_000 }),
  DYNAMODB_ENDPOINT: envUrl({ optional: true }),
} as const;

/** Variables of the protocol, limits and endpoints. */
const PROTOCOL_SHAPE = {
  MAX_SESSIONS: envInt({ default: 5000, min: 1, max: 1_000_000 }),
  MAX_PAYLOAD_BYTES: envInt({ default: 1_048_576, min: 65_536, max: 64 * 1_048_576 }),
  OPEN_WAIT_TIMEOUT_MS: envInt({ default: 10_000, min: 0, max: 600_000 }),
  OPEN_TIMEOUT_MS: envInt({ default: 4000, min: 100, max: 60_000 }),
  IDLE_TIMEOUT_MS: envInt({ default: 0, min: 0, max: 86_400_000 }),
  // Genesys' client gives up on `closed` after 10 s (spec §7.1): answer with time to spare.
  CLOSE_TIMEOUT_MS: envInt({ default: 8000, min: 100, max: 600_000 }),
  DISCONNECT_TIMEOUT_MS: envInt({ default: 10_000, min: 100, max: 600_000 }),
  WS_CLOSE_TIMEOUT_MS: envInt({ default: 5000, min: 0, max: 600_000 }),
  MAX_SEND_BACKLOG_BYTES: envInt({ default: 1_048_576, min: 65_536, max: 64 * 1_048_576 }),
  DRAIN_TIMEOUT_MS: envInt({ default: 30_000, min: 0, max: 3_600_000 }),
  DRAIN_SEND_RECONNECT: envBool({ default: false }),
  STRICT_VALIDATION: envBool({ default: false }),
  UNKNOWN_MESSAGE_TYPES: envEnum(['disconnect', 'ignore'], { default: 'disconnect' }),
  SEND_UPDATED: envBool({ default: false }),
  L16_BYTE_ORDER: envEnum(['le', 'be'], { default: 'le' }),
  PROBE_MEDIA: envEnum(['select', 'none'], { default: 'select' }),
  POSITION_MODE: envEnum(['timeline', 'samples'], { default: 'timeline' }),
  LOADTEST_ENABLED: envBool({ default: false }),
  VOICETRANSCRIPTION_ENABLED: envBool({ default: true }),
  VOICETRANSCRIPTION_LANGUAGES: envList({
    default: 'en-US,en-AU,en-GB,en-IN,en-ZA,fr-CA,fr-FR,pt-BR,zh-CN,cmn-CN,bg-BG,el-GR'.split(','),
    minItems: 1,
  }),
} as const;

/** Variables of the transcription engine (the voice-transcription endpoint, agent assist). */
const TRANSCRIPTION_SHAPE = {
  TRANSCRIPTION_ENGINE: envEnum(['simulator', 'transcribe'], { default: 'simulator' }),
  TRANSCRIPTION_PARTIAL_RESULTS: envBool({ default: false }),
  TRANSCRIPTION_PARTIAL_INTERVAL_MS: envInt({ default: 1000, min: 0, max: 60_000 }),
  TRANSCRIPTION_BUFFER_MS: envInt({ default: 30_000, min: 1000, max: 300_000 }),
  TRANSCRIPTION_RETRY_ATTEMPTS: envInt({ default: 5, min: 0, max: 100 }),
  TRANSCRIPTION_RETRY_BASE_MS: envInt({ default: 200, min: 1, max: 60_000 }),
  TRANSCRIPTION_RETRY_MAX_MS: envInt({ default: 5000, min: 1, max: 300_000 }),
  TRANSCRIPTION_VOCABULARIES: envList({ default: [] }),
  TRANSCRIPTION_REDACTION: envEnum(['off', 'redact', 'identify'], { default: 'off' }),
  TRANSCRIBE_ENDPOINT: envUrl({ optional: true }),
  TRANSCRIBE_CHANNEL_IDENTIFICATION: envBool({ default: true }),
  TRANSCRIBE_PII_ENTITY_TYPES: envList({ default: [] }),
  TRANSCRIBE_START_TIMEOUT_MS: envInt({ default: 10_000, min: 1000, max: 120_000 }),
  AGENT_ASSIST_UTTERANCES: envEnum(['demo', 'transcripts'], { default: 'demo' }),
} as const;

/** Every variable the server reads (the stack refuses the secret ones in APP_SETTINGS). */
export const ENV_SHAPE = {
  ...SERVICE_SHAPE,
  ...RECORDING_SHAPE,
  ...AUTH_SHAPE,
  ...PROTOCOL_SHAPE,
  ...TRANSCRIPTION_SHAPE,
};
type Env = EnvOf<typeof ENV_SHAPE>;

export interface ServerConfig {
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  /** OpenTelemetry export (`OTEL_EXPORTER_OTLP_*`); tracing is off without an endpoint. */
  readonly tracing: { readonly endpoint?: string; readonly headers?: string };
  /** The EMF `ActiveSessions` publisher (`EMF_NAMESPACE`); off without a namespace. */
  readonly emf: { readonly namespace?: string; readonly intervalMs: number };
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
    /** The worker threads that write recordings, and how long they collect operations. */
    readonly io: { readonly threads: number; readonly batchMs: number };
    /** Ownership of recording files when instances share the folder (see the README). */
    readonly ownership: {
      /** Readable name of this instance; each process adds a random run suffix. */
      readonly instanceId: string;
      /** True when `INSTANCE_ID` was set (rather than the host name taken). */
      readonly instanceIdSet: boolean;
      readonly heartbeatMs: number;
      readonly staleAfterMs: number;
      /** `0`: dead instances are looked for at start-up only. */
      readonly scanIntervalMs: number;
    };
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
    /** How long a connection may go without `open` (`0`: forever). */
    readonly openWaitTimeoutMs: number;
    readonly openTimeoutMs: number;
    readonly idleTimeoutMs: number;
    readonly closeTimeoutMs: number;
    /** How long a client gets to answer a `disconnect` with `close`. */
    readonly disconnectTimeoutMs: number;
    /** How long a client gets to answer the WebSocket closing handshake (`0`: `ws`'s 30 s). */
    readonly wsCloseTimeoutMs: number;
    /** Server messages queued for a client that does not read them before it is cut off. */
    readonly maxSendBacklogBytes: number;
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
  readonly transcription: TranscriptionConfig;
}

/** The speech engine and the transcriber settings of every session. */
export interface TranscriptionConfig {
  readonly engine: 'simulator' | 'transcribe';
  readonly partialResults: boolean;
  readonly partialIntervalMs: number;
  readonly bufferMs: number;
  readonly retry: {
    readonly attempts: number;
    readonly baseDelayMs: number;
    readonly maxDelayMs: number;
  };
  /** Custom vocabulary name by language tag; `*` for every other language. */
  readonly vocabularies: Readonly<Record<string, string>>;
  readonly redaction: RedactionMode;
  readonly transcribe: {
    readonly region: string;
    readonly endpoint?: string;
    readonly channelIdentification: boolean;
    readonly piiEntityTypes: readonly string[];
    /** How long a Transcribe stream may wait for the service to answer its request. */
    readonly startTimeoutMs: number;
  };
  /** Where the agent-assist demo's utterances come from. */
  readonly agentAssistUtterances: 'demo' | 'transcripts';
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

function fail(variable: string, reason: string): never {
  throw new ConfigError([{ variable, reason }]);
}

function parseApiKeyMap(text: string | undefined): ApiKeyMap {
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('STATIC_API_KEY_MAP', 'not valid JSON');
  }
  const map = apiKeyMapSchema.safeParse(json);
  if (map.success) return map.data;
  const problem = map.error.issues[0];
  return fail(
    problem === undefined ? 'STATIC_API_KEY_MAP' : `STATIC_API_KEY_MAP.${problem.path.join('.')}`,
    problem?.message ?? 'invalid',
  );
}

/** `en-US=name,*=name` → `{ 'en-US': 'name', '*': 'name' }`. */
function parseVocabularies(entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const match = /^([A-Za-z0-9-]+|\*)=([0-9A-Za-z._-]{1,200})$/.exec(entry);
    if (match === null) {
      fail('TRANSCRIPTION_VOCABULARIES', `"${entry}" is not <language>=<vocabulary name>`);
    }
    out[match[1] as string] = match[2] as string;
  }
  return out;
}

/** Checks that span several variables. */
function crossCheck(e: Env): void {
  const bad = e.VOICETRANSCRIPTION_LANGUAGES.find((l) => !LANGUAGE_TAG.test(l));
  if (bad !== undefined) fail('VOICETRANSCRIPTION_LANGUAGES', `"${bad}" is not a language tag`);
  if (e.TRANSCRIPTION_ENGINE === 'transcribe') {
    const unknown = e.VOICETRANSCRIPTION_LANGUAGES.find((l) => !toTranscribeLanguage(l));
    if (unknown !== undefined) {
      fail('VOICETRANSCRIPTION_LANGUAGES', `"${unknown}" is not a language of Amazon Transcribe`);
    }
  }
  if (e.TRANSCRIPTION_RETRY_MAX_MS < e.TRANSCRIPTION_RETRY_BASE_MS) {
    fail('TRANSCRIPTION_RETRY_MAX_MS', 'must be at least TRANSCRIPTION_RETRY_BASE_MS');
  }
  if (e.RECOVERY_STALE_AFTER_S < 3 * e.RECOVERY_HEARTBEAT_S) {
    fail(
      'RECOVERY_STALE_AFTER_S',
      'must be at least 3 × RECOVERY_HEARTBEAT_S (a live instance would look dead)',
    );
  }
  if (e.REPLAY_CACHE_TABLE !== undefined && e.REPLAY_CACHE_SIZE === 0) {
    fail('REPLAY_CACHE_SIZE', '0 turns the replay check off, but REPLAY_CACHE_TABLE is set');
  }
}

function recordingConfig(e: Env, cwd: string): ServerConfig['recording'] {
  return {
    enabled: e.RECORDING_ENABLED,
    directory: resolve(cwd, e.LOG_ROOT_DIR ?? '.'),
    headerUpdate: e.RECORDING_HEADER_UPDATE,
    flushBytes: e.RECORDING_FLUSH_BYTES,
    maxBufferedBytes: e.MAX_BUFFERED_BYTES,
    sidecarMaxPings: e.RECORDING_SIDECAR_MAX_PINGS,
    sidecarMaxBytes: e.RECORDING_SIDECAR_MAX_BYTES,
    io: { threads: e.RECORDING_IO_THREADS, batchMs: e.RECORDING_IO_BATCH_MS },
    ownership: {
      instanceId: e.INSTANCE_ID ?? hostname(),
      instanceIdSet: e.INSTANCE_ID !== undefined,
      heartbeatMs: e.RECOVERY_HEARTBEAT_S * 1000,
      staleAfterMs: e.RECOVERY_STALE_AFTER_S * 1000,
      scanIntervalMs: e.RECOVERY_SCAN_INTERVAL_S * 1000,
    },
  };
}

function s3Config(e: Env): ServerConfig['s3'] {
  if (e.RECORDING_S3_BUCKET === undefined) return undefined;
  return {
    bucket: e.RECORDING_S3_BUCKET,
    prefix: e.RECORDING_S3_PREFIX,
    region: e.AWS_REGION,
    ...(e.S3_ENDPOINT === undefined ? {} : { endpoint: e.S3_ENDPOINT }),
    forcePathStyle: e.S3_FORCE_PATH_STYLE,
    // Stores behind a custom endpoint (MinIO, s3rver, ...) often lack the newer CRC checksum
    // trailers the SDK sends by default.
    checksums: e.S3_CHECKSUMS ?? (e.S3_ENDPOINT === undefined ? 'when_supported' : 'when_required'),
    attempts: e.UPLOAD_ATTEMPTS,
    retryBaseMs: e.UPLOAD_RETRY_BASE_MS,
    partSizeBytes: e.UPLOAD_PART_SIZE_MB * 1024 * 1024,
  };
}

function apiKeysConfig(e: Env): ServerConfig['apiKeys'] {
  return {
    staticMap: parseApiKeyMap(e.STATIC_API_KEY_MAP),
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
  };
}

function authConfig(e: Env): ServerConfig['auth'] {
  return {
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
  };
}

function protocolConfig(e: Env): Pick<ServerConfig, 'limits' | 'drain' | 'protocol' | 'endpoints'> {
  return {
    limits: {
      maxSessions: e.MAX_SESSIONS,
      maxPayloadBytes: e.MAX_PAYLOAD_BYTES,
      openWaitTimeoutMs: e.OPEN_WAIT_TIMEOUT_MS,
      openTimeoutMs: e.OPEN_TIMEOUT_MS,
      idleTimeoutMs: e.IDLE_TIMEOUT_MS,
      closeTimeoutMs: e.CLOSE_TIMEOUT_MS,
      disconnectTimeoutMs: e.DISCONNECT_TIMEOUT_MS,
      wsCloseTimeoutMs: e.WS_CLOSE_TIMEOUT_MS,
      maxSendBacklogBytes: e.MAX_SEND_BACKLOG_BYTES,
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
      languages: e.VOICETRANSCRIPTION_LANGUAGES,
    },
  };
}

function transcriptionConfig(e: Env): TranscriptionConfig {
  return {
    engine: e.TRANSCRIPTION_ENGINE,
    partialResults: e.TRANSCRIPTION_PARTIAL_RESULTS,
    partialIntervalMs: e.TRANSCRIPTION_PARTIAL_INTERVAL_MS,
    bufferMs: e.TRANSCRIPTION_BUFFER_MS,
    retry: {
      attempts: e.TRANSCRIPTION_RETRY_ATTEMPTS,
      baseDelayMs: e.TRANSCRIPTION_RETRY_BASE_MS,
      maxDelayMs: e.TRANSCRIPTION_RETRY_MAX_MS,
    },
    vocabularies: parseVocabularies(e.TRANSCRIPTION_VOCABULARIES),
    redaction: e.TRANSCRIPTION_REDACTION,
    transcribe: {
      region: e.AWS_REGION,
      ...(e.TRANSCRIBE_ENDPOINT === undefined ? {} : { endpoint: e.TRANSCRIBE_ENDPOINT }),
      channelIdentification: e.TRANSCRIBE_CHANNEL_IDENTIFICATION,
      piiEntityTypes: e.TRANSCRIBE_PII_ENTITY_TYPES,
      startTimeoutMs: e.TRANSCRIBE_START_TIMEOUT_MS,
    },
    agentAssistUtterances: e.AGENT_ASSIST_UTTERANCES,
  };
}

/**
 * Validates `env` and returns the configuration.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env, { localDefaults: process.argv.includes('--local-defaults') });
 * ```
 * @throws ConfigError (`SVC_ERR_CONFIG`) with one line naming every bad variable.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions = {},
): ServerConfig {
  const source: Record<string, string | undefined> = { ...env };
  if (options.localDefaults === true) {
    source['LOG_ROOT_DIR'] ||= 'recordings';
    if (!source['STATIC_API_KEY_MAP'] && !source['SECRET_NAME_OR_ARN']) {
      source['STATIC_API_KEY_MAP'] = JSON.stringify({ [SAMPLE_API_KEY]: SAMPLE_CLIENT_SECRET });
    }
  }
  const e = parseEnv(ENV_SHAPE, source);
  crossCheck(e);
  return {
    port: e.SERVERPORT,
    host: e.SERVERHOST,
    logLevel: e.LOG_LEVEL,
    tracing: {
      ...(e.OTEL_EXPORTER_OTLP_ENDPOINT === undefined
        ? {}
        : { endpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT }),
      ...(e.OTEL_EXPORTER_OTLP_HEADERS === undefined
        ? {}
        : { headers: e.OTEL_EXPORTER_OTLP_HEADERS }),
    },
    emf: {
      ...(e.EMF_NAMESPACE === undefined ? {} : { namespace: e.EMF_NAMESPACE }),
      intervalMs: e.EMF_INTERVAL_SECONDS,
    },
    gcHeapGrowingPercent: e.GC_HEAP_GROWING_PERCENT,
    recording: recordingConfig(e, options.cwd ?? process.cwd()),
    s3: s3Config(e),
    apiKeys: apiKeysConfig(e),
    auth: authConfig(e),
    ...protocolConfig(e),
    transcription: transcriptionConfig(e),
  };
}

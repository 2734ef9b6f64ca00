// Prometheus metrics of the server, on a registry of its own (so tests can build many servers).

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The server's metrics. */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly sessionsActive: Gauge<'endpoint'>;
  readonly sessionsTotal: Counter<'endpoint' | 'outcome'>;
  readonly openLatency: Histogram<'endpoint'>;
  readonly audioBytes: Counter<'endpoint'>;
  /**
   * Adds received audio bytes to `audioBytes`. Per frame, at thousands of sessions, a counter
   * increment (label hashing, an object per call) is measurable; this adds to a plain number that
   * the counter takes over when it is read (scrapes, `get()`).
   */
  readonly countAudioBytes: (endpoint: string, bytes: number) => void;
  readonly authResults: Counter<'code'>;
  readonly disconnects: Counter<'reason' | 'cause'>;
  readonly uploads: Counter<'result'>;
  readonly recordingErrors: Counter<'stage'>;
  /** Signature checks refused because the replay cache could not be written (fail closed). */
  readonly replayStoreErrors: Counter;
}

/** The value every label takes when its input is not one of the known values. */
export const OTHER_LABEL = 'other';

/** `value` when it is one of `allowed`, else `other`: labels never take client-controlled text. */
export function boundedLabel<T extends string>(
  value: string | undefined,
  allowed: ReadonlySet<T>,
): T | typeof OTHER_LABEL {
  return value !== undefined && allowed.has(value as T) ? (value as T) : OTHER_LABEL;
}

/** Reasons of a server `disconnect` (spec), the `reason` label. */
export const DISCONNECT_REASON_LABELS: ReadonlySet<string> = new Set([
  'completed',
  'unauthorized',
  'error',
]);

/**
 * The `cause` label of a `disconnect`: a fixed category found from the start of its `info`, which
 * the server wrote (never the text itself, which may quote the client). First match wins.
 */
const DISCONNECT_CAUSES: readonly (readonly [RegExp, string])[] = [
  [/^FAILED: /, 'auth_failed'],
  [/^UNSIGNED: /, 'auth_unsigned'],
  [/^EXPIRED: /, 'auth_expired'],
  [/^INVALID: /, 'auth_invalid'],
  [/^PRECONDITION: /, 'auth_precondition'],
  [/^UNSUPPORTED: /, 'auth_unsupported'],
  [/^UNAVAILABLE: /, 'auth_unavailable'],
  [/^Mismatch between "organizationId"/, 'organization_mismatch'],
  [/^Unauthorized$/, 'unauthorized'],
  [/^Client Error: /, 'client_error'],
  [/^Rate limited /, 'rate_limited'],
  [/^Server error: no message from the client/, 'idle_timeout'],
  [/^Server error: /, 'server_error'],
  [/^No matching media format offered/, 'no_media'],
  [/^Server shutting down$/, 'shutdown'],
];

/** Every value the `cause` label can take. */
export const DISCONNECT_CAUSE_LABELS: readonly string[] = [
  ...DISCONNECT_CAUSES.map(([, cause]) => cause),
  'none',
  OTHER_LABEL,
];

/**
 * Bounded labels of one `disconnect`: `reason` is one of the spec's three (else `other`), `cause`
 * one of {@link DISCONNECT_CAUSE_LABELS}.
 */
export function disconnectLabels(
  reason: string,
  info: string | undefined,
): { reason: string; cause: string } {
  let cause = info === undefined || info === '' ? 'none' : OTHER_LABEL;
  if (info !== undefined) {
    for (const [pattern, name] of DISCONNECT_CAUSES) {
      if (pattern.test(info)) {
        cause = name;
        break;
      }
    }
  }
  return { reason: boundedLabel(reason, DISCONNECT_REASON_LABELS), cause };
}

/**
 * @example
 * ```ts
 * const metrics = createMetrics({ defaultMetrics: true });
 * metrics.sessionsActive.inc({ endpoint: 'audiohook' });
 * ```
 */
export function createMetrics(options: { readonly defaultMetrics?: boolean } = {}): ServerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics === true) collectDefaultMetrics({ register: registry });
  const pendingAudioBytes = new Map<string, number>();
  return {
    registry,
    sessionsActive: new Gauge({
      name: 'audiohook_sessions_active',
      help: 'WebSocket sessions currently connected',
      labelNames: ['endpoint'],
      registers: [registry],
    }),
    sessionsTotal: new Counter({
      name: 'audiohook_sessions_total',
      help: 'Sessions ended, by how they ended',
      labelNames: ['endpoint', 'outcome'],
      registers: [registry],
    }),
    openLatency: new Histogram({
      name: 'audiohook_open_latency_seconds',
      help: 'Time from receiving open to sending opened',
      labelNames: ['endpoint'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    audioBytes: new Counter({
      name: 'audiohook_audio_bytes_total',
      help: 'Audio bytes received',
      labelNames: ['endpoint'],
      registers: [registry],
      collect() {
        for (const [endpoint, bytes] of pendingAudioBytes) {
          if (bytes > 0) this.inc({ endpoint }, bytes);
          pendingAudioBytes.set(endpoint, 0);
        }
      },
    }),
    countAudioBytes: (endpoint, bytes) => {
      pendingAudioBytes.set(endpoint, (pendingAudioBytes.get(endpoint) ?? 0) + bytes);
    },
    authResults: new Counter({
      name: 'audiohook_auth_results_total',
      help: 'Authentication results by code (VERIFIED, UNSIGNED_OK, FAILED, UNKNOWN_KEY, ...)',
      labelNames: ['code'],
      registers: [registry],
    }),
    disconnects: new Counter({
      name: 'audiohook_disconnects_total',
      help: 'disconnect messages sent, by reason and a fixed cause category',
      labelNames: ['reason', 'cause'],
      registers: [registry],
    }),
    uploads: new Counter({
      name: 'audiohook_recording_uploads_total',
      help: 'Recording uploads to S3 by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    replayStoreErrors: new Counter({
      name: 'audiohook_replay_store_errors_total',
      help: 'Sessions refused because the replay cache could not record their nonce (fail closed)',
      registers: [registry],
    }),
    recordingErrors: new Counter({
      name: 'audiohook_recording_errors_total',
      help: 'Recordings that could not be started or finished (the session itself continues)',
      labelNames: ['stage'],
      registers: [registry],
    }),
  };
}

// Prometheus metrics of the server, on the service kit (a registry of its own, so tests can
// build many servers). Every label has a fixed set of values; anything else counts as `other`.

import {
  createMetrics as createKitMetrics,
  OTHER,
  type BoundedCounter,
  type BoundedGauge,
  type BoundedHistogram,
  type Registry,
} from '@org/service-kit';

/** The server's metrics. */
export interface ServerMetrics {
  readonly registry: Registry;
  readonly sessionsActive: BoundedGauge<'endpoint'>;
  readonly sessionsTotal: BoundedCounter<'endpoint' | 'outcome'>;
  readonly openLatency: BoundedHistogram<'endpoint'>;
  readonly audioBytes: BoundedCounter<'endpoint'>;
  /**
   * Adds received audio bytes to `audioBytes`. Per frame, at thousands of sessions, a counter
   * increment (label hashing, an object per call) is measurable; this adds to a plain number that
   * the counter takes over when it is read (scrapes, `get()`).
   */
  readonly countAudioBytes: (endpoint: string, bytes: number) => void;
  readonly authResults: BoundedCounter<'code'>;
  readonly disconnects: BoundedCounter<'reason' | 'cause'>;
  readonly uploads: BoundedCounter<'result'>;
  readonly recordingErrors: BoundedCounter<'stage'>;
  /** Signature checks refused because the replay cache could not be written (fail closed). */
  readonly replayStoreErrors: BoundedCounter<never>;
  /** Heartbeat writes of this process's recording work folder that failed. */
  readonly heartbeatFailures: BoundedCounter<never>;
  /** 1 while new sessions are refused because the recording heartbeat keeps failing. */
  readonly heartbeatRefusing: BoundedGauge<never>;
}

/** The value every label takes when its input is not one of the known values. */
export const OTHER_LABEL = OTHER;

/** The endpoints (the `endpoint` label). */
export const ENDPOINT_LABELS = ['audiohook', 'voicetranscription', 'loadtest'] as const;

/** Every `code` label of `audiohook_auth_results_total`. */
export const AUTH_RESULT_LABELS = [
  'VERIFIED',
  'UNSIGNED_KEY',
  'UNKNOWN_KEY',
  'FAILED',
  'UNSIGNED',
  'EXPIRED',
  'INVALID',
  'PRECONDITION',
  'UNSUPPORTED',
  'UNAVAILABLE',
] as const;

/** Reasons of a server `disconnect` (spec), the `reason` label. */
export const DISCONNECT_REASON_LABELS = ['completed', 'unauthorized', 'error'] as const;

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
  [/^Client Error: No open message received/, 'open_timeout'],
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
];

/**
 * Labels of one `disconnect`: the `reason` as sent (the metric maps anything but the spec's three
 * to `other`), and the `cause` category of its `info` (one of {@link DISCONNECT_CAUSE_LABELS}).
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
  return { reason, cause };
}

/**
 * @example
 * ```ts
 * const metrics = createMetrics({ defaultMetrics: true });
 * metrics.sessionsActive.inc({ endpoint: 'audiohook' });
 * ```
 */
export function createMetrics(options: { readonly defaultMetrics?: boolean } = {}): ServerMetrics {
  const kit = createKitMetrics({ defaultMetrics: options.defaultMetrics === true });
  const endpoint = { endpoint: ENDPOINT_LABELS };
  const pendingAudioBytes = new Map<string, number>();
  return {
    registry: kit.registry,
    sessionsActive: kit.gauge({
      name: 'audiohook_sessions_active',
      help: 'WebSocket sessions currently connected',
      labels: endpoint,
    }),
    sessionsTotal: kit.counter({
      name: 'audiohook_sessions_total',
      help: 'Sessions ended, by how they ended',
      labels: { ...endpoint, outcome: ['closed', 'unauthorized', 'error', 'dropped'] },
    }),
    openLatency: kit.histogram({
      name: 'audiohook_open_latency_seconds',
      help: 'Time from receiving open to sending opened',
      labels: endpoint,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
    audioBytes: kit.counter({
      name: 'audiohook_audio_bytes_total',
      help: 'Audio bytes received',
      labels: endpoint,
      collect(counter) {
        for (const [name, bytes] of pendingAudioBytes) {
          if (bytes > 0) counter.inc({ endpoint: name }, bytes);
          pendingAudioBytes.set(name, 0);
        }
      },
    }),
    countAudioBytes: (name, bytes) => {
      pendingAudioBytes.set(name, (pendingAudioBytes.get(name) ?? 0) + bytes);
    },
    authResults: kit.counter({
      name: 'audiohook_auth_results_total',
      help: 'Authentication results by code (VERIFIED, UNSIGNED_KEY, FAILED, UNKNOWN_KEY, ...)',
      labels: { code: AUTH_RESULT_LABELS },
    }),
    disconnects: kit.counter({
      name: 'audiohook_disconnects_total',
      help: 'disconnect messages sent, by reason and a fixed cause category',
      labels: { reason: DISCONNECT_REASON_LABELS, cause: DISCONNECT_CAUSE_LABELS },
    }),
    uploads: kit.counter({
      name: 'audiohook_recording_uploads_total',
      help: 'Recording uploads to S3 by result',
      labels: { result: ['ok', 'failed'] },
    }),
    recordingErrors: kit.counter({
      name: 'audiohook_recording_errors_total',
      help: 'Recordings that could not be started or finished (the session itself continues)',
      labels: { stage: ['start', 'finish'] },
    }),
    replayStoreErrors: kit.counter({
      name: 'audiohook_replay_store_errors_total',
      help: 'Sessions refused because the replay cache could not record their nonce (fail closed)',
    }),
    heartbeatFailures: kit.counter({
      name: 'audiohook_recording_heartbeat_failures_total',
      help: "Failed writes of the heartbeat of this instance's recording work folder",
    }),
    heartbeatRefusing: kit.gauge({
      name: 'audiohook_recording_heartbeat_refusing',
      help: '1 while new sessions are refused: the recording heartbeat has failed for half of RECOVERY_STALE_AFTER_S',
    }),
  };
}

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
  readonly disconnects: Counter<'reason' | 'info'>;
  readonly uploads: Counter<'result'>;
  readonly recordingErrors: Counter<'stage'>;
}

/**
 * Turns a disconnect `info` into a bounded label: numbers become `N`, so
 * "Text message too large (>64K). Length: 70000" and the same with another length share one series.
 */
export function infoLabel(info: string | undefined): string {
  if (info === undefined || info === '') return 'none';
  return info.replace(/\d+/g, 'N').slice(0, 96);
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
      help: 'disconnect messages sent, by reason and info (numbers folded to N)',
      labelNames: ['reason', 'info'],
      registers: [registry],
    }),
    uploads: new Counter({
      name: 'audiohook_recording_uploads_total',
      help: 'Recording uploads to S3 by result',
      labelNames: ['result'],
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

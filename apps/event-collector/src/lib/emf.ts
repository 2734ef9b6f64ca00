// The collector's CloudWatch metrics (EMF_NAMESPACE): one Embedded Metric Format document per
// EMF_INTERVAL_SECONDS on the log stream, from which CloudWatch Logs extracts `Leader`,
// `Receiving` and `EventsWritten`. The stack alarms when no task reports `Leader` 1 (nobody
// collects) and when none reports `Receiving` 1 (a leader whose Genesys channel is down).

import { startEmfPublisher, type EmfClock } from '@org/service-kit';
import type { Logger } from 'pino';

/** The one dimension of every document: fixed, never a value a client controls. */
export const EMF_DIMENSIONS = { Service: 'event-collector' } as const;
/** The metrics and their units. */
export const EMF_METRICS = { Leader: 'None', Receiving: 'None', EventsWritten: 'Count' } as const;

/** Options of {@link startCollectorEmf}. */
export interface CollectorEmfOptions {
  /** CloudWatch namespace (`EMF_NAMESPACE`), e.g. `EventCollector`. */
  readonly namespace: string;
  /** Milliseconds between documents (`EMF_INTERVAL_SECONDS` × 1000). */
  readonly intervalMs: number;
  /** True while this instance holds the lease (or runs alone) and its session collects. */
  readonly collecting: () => boolean;
  /**
   * True while this instance collects and receives: its channel is open, a frame arrived within
   * `HEARTBEAT_TIMEOUT_MS` and a topic is permitted (what `/health` calls `receiving`).
   */
  readonly receiving: () => boolean;
  /** The `events_written` counter (monotonic since start). */
  readonly eventsWritten: () => number;
  /** Writes one document (without the newline), e.g. `rawLineWriter(logger)`. */
  readonly write: (line: string) => void;
  /** @default the real clock (tests pass a fake) */
  readonly clock?: EmfClock;
  /** Where a failing document is logged (the publisher keeps going). */
  readonly logger?: Logger;
}

/** A running publisher. */
export interface CollectorEmf {
  /** Stops the interval and writes a last document (the events written since the previous one). Idempotent. */
  stop(): void;
}

/**
 * Publishes `Leader` (1 while {@link CollectorEmfOptions.collecting}, else 0), `Receiving` (1
 * while {@link CollectorEmfOptions.receiving}, else 0) and `EventsWritten` (the events written
 * since the previous document that was written) under `Service=event-collector`.
 *
 * @example
 * ```ts
 * const emf = startCollectorEmf({
 *   namespace: 'EventCollector',
 *   intervalMs: 60_000,
 *   collecting: () => leadership.role === 'leader' && leadership.session !== undefined,
 *   receiving: () => health().body.receiving,
 *   eventsWritten: () => metrics.snapshot().events_written,
 *   write: rawLineWriter(logger),
 * });
 * // after the last event is written:
 * emf.stop();
 * ```
 */
export function startCollectorEmf(o: CollectorEmfOptions): CollectorEmf {
  let reported = o.eventsWritten();
  let pending = reported;
  const publisher = startEmfPublisher({
    namespace: o.namespace,
    dimensions: EMF_DIMENSIONS,
    metrics: EMF_METRICS,
    read: () => {
      pending = o.eventsWritten();
      const leader = o.collecting();
      return {
        Leader: leader ? 1 : 0,
        Receiving: leader && o.receiving() ? 1 : 0,
        EventsWritten: Math.max(0, pending - reported),
      };
    },
    intervalMs: o.intervalMs,
    // The delta counts as reported only once its document is out: a failed write carries it over.
    write: (line) => {
      o.write(line);
      reported = pending;
    },
    ...(o.clock === undefined ? {} : { clock: o.clock }),
    ...(o.logger === undefined ? {} : { logger: o.logger }),
  });
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      publisher.stop();
      publisher.publish();
    },
  };
}

// CloudWatch Embedded Metric Format: one JSON document per interval, written as a line to stdout
// (or the logger's destination), from which CloudWatch Logs extracts the metrics. Used for
// autoscaling on a custom metric without a CloudWatch API call or an agent.

import type { Logger } from 'pino';
import { describeError, ServiceKitError, ServiceKitErrorCode } from './errors';
import { checkTimerMs } from './timer-range';

/** CloudWatch metric units. */
export type EmfUnit =
  | 'Seconds'
  | 'Microseconds'
  | 'Milliseconds'
  | 'Bytes'
  | 'Kilobytes'
  | 'Megabytes'
  | 'Gigabytes'
  | 'Terabytes'
  | 'Bits'
  | 'Kilobits'
  | 'Megabits'
  | 'Gigabits'
  | 'Terabits'
  | 'Percent'
  | 'Count'
  | 'Bytes/Second'
  | 'Kilobytes/Second'
  | 'Megabytes/Second'
  | 'Gigabytes/Second'
  | 'Terabytes/Second'
  | 'Bits/Second'
  | 'Kilobits/Second'
  | 'Megabits/Second'
  | 'Gigabits/Second'
  | 'Terabits/Second'
  | 'Count/Second'
  | 'None';

/** The clock and timers of the publisher (tests pass fakes). */
export interface EmfClock {
  /** Milliseconds since the epoch. */
  now(): number;
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realClock: EmfClock = {
  now: () => Date.now(),
  setInterval: (callback, ms) => {
    const handle = setInterval(callback, ms);
    // Never keeps the process alive on its own.
    handle.unref();
    return handle;
  },
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** Options of {@link startEmfPublisher}. */
export interface EmfPublisherOptions<M extends string> {
  /** CloudWatch namespace, e.g. `AudioHook` (`EMF_NAMESPACE`). */
  readonly namespace: string;
  /** Dimension name → value; all of them form the one dimension set, e.g. `{ Service: 'audiohook-server' }`. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Metric name → unit, e.g. `{ ActiveSessions: 'Count' }`. */
  readonly metrics: Readonly<Record<M, EmfUnit>>;
  /** Reads the current values, once per interval. */
  readonly read: () => Readonly<Record<M, number>>;
  /**
   * Milliseconds between documents (`EMF_INTERVAL_SECONDS` × 1000): 1000..2147483647 (Node would
   * run a longer interval every millisecond).
   */
  readonly intervalMs: number;
  /** Writes one document (without the newline). @default a line on `process.stdout` */
  readonly write?: (line: string) => void;
  /** @default the real clock; the real interval is unref'd */
  readonly clock?: EmfClock;
  /** Where a failing `read` or `write` is logged (the publisher keeps going). */
  readonly logger?: Logger;
}

/** A running publisher. */
export interface EmfPublisher {
  /** Writes one document now (also what each interval does). */
  publish(): void;
  /** Stops the interval. Idempotent. */
  stop(): void;
}

function fail(message: string): never {
  throw new ServiceKitError(ServiceKitErrorCode.Telemetry, `EMF: ${message}`);
}

/** The ASCII, non-control text CloudWatch accepts in names and dimension values. */
function checkText(what: string, text: string, max: number): void {
  if (
    text.trim() === '' ||
    text.length > max ||
    !/^[\x20-\x7e]+$/.test(text) ||
    text.startsWith(':')
  )
    fail(`${what} must be 1..${max} printable ASCII characters, not starting with ":"`);
}

function validate<M extends string>(o: EmfPublisherOptions<M>): void {
  checkText('the namespace', o.namespace, 255);
  const dimensions = Object.entries(o.dimensions);
  if (dimensions.length > 30) fail('at most 30 dimensions');
  for (const [name, value] of dimensions) {
    checkText(`dimension name ${JSON.stringify(name)}`, name, 255);
    checkText(`the value of dimension ${name}`, value, 1024);
  }
  const metrics = Object.keys(o.metrics);
  if (metrics.length === 0 || metrics.length > 100) fail('1 to 100 metrics');
  for (const name of metrics) {
    checkText(`metric name ${JSON.stringify(name)}`, name, 255);
    if (name === '_aws' || name in o.dimensions) fail(`metric name ${name} is taken`);
  }
  checkTimerMs('EMF: intervalMs', o.intervalMs, 1000, ServiceKitErrorCode.Telemetry);
}

/**
 * Builds one EMF document: `_aws.Timestamp` (ms since the epoch), one metric directive with the
 * namespace, the one dimension set and the metric definitions, and the dimension and metric
 * values as top-level members. Non-finite values are left out.
 *
 * @example
 * ```ts
 * emfDocument({ namespace: 'AudioHook', dimensions: { Service: 'audiohook-server' },
 *   metrics: { ActiveSessions: 'Count' } }, { ActiveSessions: 3 }, 1700000000000);
 * // {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"AudioHook",
 * //   "Dimensions":[["Service"]],"Metrics":[{"Name":"ActiveSessions","Unit":"Count"}]}]},
 * //   "Service":"audiohook-server","ActiveSessions":3}
 * ```
 */
export function emfDocument<M extends string>(
  o: Pick<EmfPublisherOptions<M>, 'namespace' | 'dimensions' | 'metrics'>,
  values: Readonly<Record<M, number>>,
  timestampMs: number,
): Record<string, unknown> {
  const names = (Object.keys(o.metrics) as M[]).filter((name) => Number.isFinite(values[name]));
  const doc: Record<string, unknown> = {
    _aws: {
      Timestamp: timestampMs,
      CloudWatchMetrics: [
        {
          Namespace: o.namespace,
          Dimensions: [Object.keys(o.dimensions)],
          Metrics: names.map((name) => ({ Name: name, Unit: o.metrics[name] })),
        },
      ],
    },
    ...o.dimensions,
  };
  for (const name of names) doc[name] = values[name];
  return doc;
}

/**
 * Writes one EMF document every `intervalMs` until stopped. The audiohook-server contract:
 * namespace `AudioHook`, metric `ActiveSessions` (Count), dimension set `[["Service"]]`.
 *
 * @throws {@link ServiceKitError} `SVC_ERR_TELEMETRY` for invalid names, values or interval.
 * @example
 * ```ts
 * const emf = startEmfPublisher({
 *   namespace: 'AudioHook',
 *   dimensions: { Service: 'audiohook-server' },
 *   metrics: { ActiveSessions: 'Count' },
 *   read: () => ({ ActiveSessions: gateway.activeSessions }),
 *   intervalMs: config.emf.intervalMs,
 *   write: rawLineWriter(logger),
 * });
 * // on stop:
 * emf.stop();
 * ```
 */
export function startEmfPublisher<M extends string>(o: EmfPublisherOptions<M>): EmfPublisher {
  validate(o);
  const clock = o.clock ?? realClock;
  const write = o.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const publish = (): void => {
    try {
      write(JSON.stringify(emfDocument(o, o.read(), clock.now())));
    } catch (error) {
      o.logger?.warn({ err: describeError(error) }, 'EMF document not written');
    }
  };
  let handle: unknown = clock.setInterval(publish, o.intervalMs);
  return {
    publish,
    stop() {
      if (handle === undefined) return;
      clock.clearInterval(handle);
      handle = undefined;
    },
  };
}

// The one metrics implementation: prom-client on a registry per app (tests build many), with
// every label declared with its finite set of values. A value outside the set is counted as
// `other`, so no series can be created from client input.

import {
  Counter,
  Gauge,
  Histogram,
  Registry,
  collectDefaultMetrics,
  type LabelValues,
} from 'prom-client';
import { ServiceKitError, ServiceKitErrorCode } from './errors';

export type { Registry } from 'prom-client';

/** The label value that stands for every value outside a label's declared set. */
export const OTHER = 'other';

/**
 * `value` when it is one of `allowed`, else `other`. For the rare label that is computed outside
 * a kit metric.
 *
 * @example
 * ```ts
 * boundedLabel(req.headers['x-client'], ['genesys', 'loadtest']); // 'genesys' | 'loadtest' | 'other'
 * ```
 */
export function boundedLabel<const V extends string>(
  value: unknown,
  allowed: readonly V[],
): V | typeof OTHER {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value)
    ? (value as V)
    : OTHER;
}

/** Label name → the values it may take (`other` is always added). */
export type LabelSets<K extends string> = Readonly<Record<K, readonly string[]>>;

/** Label values given to a metric: any string; unknown ones are counted as `other`. */
export type Labels<K extends string> = Readonly<Record<K, string | undefined>>;

interface MetricOptions<K extends string> {
  /** Prometheus name, e.g. `audiohook_sessions_total`. */
  readonly name: string;
  readonly help: string;
  /** Each label with its finite set of values. */
  readonly labels?: LabelSets<K>;
}

/** Options of {@link Metrics.counter}. */
export interface CounterOptions<K extends string> extends MetricOptions<K> {
  /** Called before each scrape (e.g. to add a count kept in a plain number on a hot path). */
  readonly collect?: (counter: BoundedCounter<K>) => void;
}

/** Options of {@link Metrics.gauge}. */
export interface GaugeOptions<K extends string> extends MetricOptions<K> {
  /** Called before each scrape to set the current value(s). */
  readonly collect?: (gauge: BoundedGauge<K>) => void;
}

/** Options of {@link Metrics.histogram}. */
export interface HistogramOptions<K extends string> extends MetricOptions<K> {
  /** Upper bounds of the buckets. @default prom-client's default buckets */
  readonly buckets?: readonly number[];
}

/** A counter whose labels are bounded. */
export interface BoundedCounter<K extends string> {
  inc(labels?: Labels<K>, value?: number): void;
  /** The current value of one series (after mapping unknown values to `other`). */
  get(labels?: Labels<K>): Promise<number>;
}

/** A gauge whose labels are bounded. */
export interface BoundedGauge<K extends string> {
  /** Sets the value (of the series without labels). */
  set(value: number): void;
  set(labels: Labels<K> | undefined, value: number): void;
  inc(labels?: Labels<K>, value?: number): void;
  dec(labels?: Labels<K>, value?: number): void;
  get(labels?: Labels<K>): Promise<number>;
}

/** A histogram whose labels are bounded. */
export interface BoundedHistogram<K extends string> {
  /** Observes a value (of the series without labels). */
  observe(value: number): void;
  observe(labels: Labels<K> | undefined, value: number): void;
  /** Starts a timer; the returned function observes the seconds elapsed. */
  startTimer(labels?: Labels<K>): () => number;
}

/** An app's metrics: a registry and factories of bounded metrics registered on it. */
export interface Metrics {
  readonly registry: Registry;
  counter<K extends string = never>(options: CounterOptions<K>): BoundedCounter<K>;
  gauge<K extends string = never>(options: GaugeOptions<K>): BoundedGauge<K>;
  histogram<K extends string = never>(options: HistogramOptions<K>): BoundedHistogram<K>;
  /** The exposition text (what `GET /metrics` returns). */
  text(): Promise<string>;
  /** Number of time series currently exposed (all metrics, all label combinations). */
  seriesCount(): Promise<number>;
}

/** Options of {@link createMetrics}. */
export interface CreateMetricsOptions {
  /**
   * Collect Node.js process metrics too (`process_cpu_seconds_total` as a counter,
   * `process_resident_memory_bytes`, heap, event-loop lag, GC, ...).
   * @default true
   */
  readonly defaultMetrics?: boolean;
  /** Prefix of the default metric names. @default '' */
  readonly defaultMetricsPrefix?: string;
}

type Mapper<K extends string> = (labels: Labels<K> | undefined) => LabelValues<K>;

function labelMapper<K extends string>(name: string, sets: LabelSets<K> | undefined): Mapper<K> {
  const entries = Object.entries(sets ?? {}) as [K, readonly string[]][];
  for (const [label, values] of entries) {
    if (values.length === 0 || values.some((v) => typeof v !== 'string' || v === '')) {
      throw new ServiceKitError(
        ServiceKitErrorCode.MetricDefinition,
        `metric ${name}: label ${label} needs a non-empty list of non-empty values`,
      );
    }
  }
  const allowed = entries.map(([label, values]) => [label, new Set(values)] as const);
  return (labels) => {
    const out: Partial<Record<K, string>> = {};
    for (const [label, set] of allowed) {
      const value = labels?.[label];
      out[label] = value !== undefined && set.has(value) ? value : OTHER;
    }
    return out as LabelValues<K>;
  };
}

async function valueOf(
  metric: Counter<string> | Gauge<string>,
  labels: Partial<Record<string, string | number>>,
): Promise<number> {
  const data = await metric.get();
  const keys = Object.keys(labels);
  const match = data.values.find(
    (v) =>
      keys.every((k) => String(v.labels[k]) === String(labels[k])) &&
      Object.keys(v.labels).length === keys.length,
  );
  return match?.value ?? 0;
}

function counterOn<K extends string>(registry: Registry, o: CounterOptions<K>): BoundedCounter<K> {
  const map = labelMapper(o.name, o.labels);
  const counter: Counter<K> = new Counter<K>({
    name: o.name,
    help: o.help,
    labelNames: Object.keys(o.labels ?? {}) as K[],
    registers: [registry],
    ...(o.collect === undefined
      ? {}
      : {
          // Runs only at scrape time, after `bounded` below exists.
          collect: () => o.collect?.(bounded),
        }),
  });
  const bounded: BoundedCounter<K> = {
    inc: (labels, value = 1) => counter.inc(map(labels), value),
    get: (labels) => valueOf(counter, map(labels)),
  };
  return bounded;
}

function gaugeOn<K extends string>(registry: Registry, o: GaugeOptions<K>): BoundedGauge<K> {
  const map = labelMapper(o.name, o.labels);
  const gauge: Gauge<K> = new Gauge<K>({
    name: o.name,
    help: o.help,
    labelNames: Object.keys(o.labels ?? {}) as K[],
    registers: [registry],
    ...(o.collect === undefined
      ? {}
      : {
          // Runs only at scrape time, after `bounded` below exists.
          collect: () => o.collect?.(bounded),
        }),
  });
  const bounded: BoundedGauge<K> = {
    set: (first: Labels<K> | number | undefined, value?: number) => {
      if (typeof first === 'number') gauge.set(map(undefined), first);
      else gauge.set(map(first), value ?? 0);
    },
    inc: (labels, value = 1) => gauge.inc(map(labels), value),
    dec: (labels, value = 1) => gauge.dec(map(labels), value),
    get: (labels) => valueOf(gauge, map(labels)),
  };
  return bounded;
}

function histogramOn<K extends string>(
  registry: Registry,
  o: HistogramOptions<K>,
): BoundedHistogram<K> {
  const map = labelMapper(o.name, o.labels);
  const histogram = new Histogram<K>({
    name: o.name,
    help: o.help,
    labelNames: Object.keys(o.labels ?? {}) as K[],
    registers: [registry],
    ...(o.buckets === undefined ? {} : { buckets: [...o.buckets] }),
  });
  return {
    observe: (first: Labels<K> | number | undefined, value?: number) => {
      if (typeof first === 'number') histogram.observe(map(undefined), first);
      else histogram.observe(map(first), value ?? 0);
    },
    startTimer: (labels) => histogram.startTimer(map(labels)),
  };
}

/**
 * Creates an app's metrics on a registry of its own.
 *
 * @example
 * ```ts
 * const metrics = createMetrics();
 * const sessions = metrics.counter({
 *   name: 'audiohook_sessions_total',
 *   help: 'Sessions ended, by endpoint and outcome',
 *   labels: { endpoint: ['audiohook', 'voicetranscription'], outcome: ['completed', 'failed'] },
 * });
 * sessions.inc({ endpoint: 'audiohook', outcome: 'completed' });
 * sessions.inc({ endpoint: 'audiohook', outcome: 'made-up' }); // counted as outcome="other"
 * ```
 */
export function createMetrics(options: CreateMetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({
      register: registry,
      ...(options.defaultMetricsPrefix === undefined
        ? {}
        : { prefix: options.defaultMetricsPrefix }),
    });
  }
  return {
    registry,
    counter: (o) => counterOn(registry, o),
    gauge: (o) => gaugeOn(registry, o),
    histogram: (o) => histogramOn(registry, o),
    text: () => registry.metrics(),
    async seriesCount() {
      const all = await registry.getMetricsAsJSON();
      return all.reduce((sum, metric) => sum + metric.values.length, 0);
    },
  };
}

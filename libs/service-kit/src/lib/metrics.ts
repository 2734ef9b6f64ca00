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
 * The kit's counter of metric samples it dropped, by `metric` (the name of the kit metric that was
 * given the value): NaN, an infinity, a non-number, or a negative counter increment. Registered on
 * the first drop, so a registry that never drops never shows it.
 */
export const DROPPED_SAMPLES_METRIC = 'service_kit_metric_samples_dropped_total';

/** Counts one dropped sample of `metric` (see {@link DROPPED_SAMPLES_METRIC}). */
type DropSample = (metric: string) => void;

function dropCounter(registry: Registry): DropSample {
  let counter: Counter<'metric'> | undefined;
  return (metric) => {
    counter ??= new Counter<'metric'>({
      name: DROPPED_SAMPLES_METRIC,
      help: 'Metric samples dropped because the value was not a finite number (or a negative counter increment), by metric',
      labelNames: ['metric'],
      registers: [registry],
    });
    counter.inc({ metric });
  };
}

/** A value a gauge or histogram can record. */
function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

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

/**
 * A counter whose labels are bounded. A value that is not a finite number >= 0 is dropped and
 * counted in {@link DROPPED_SAMPLES_METRIC}; no metric call throws.
 */
export interface BoundedCounter<K extends string> {
  inc(labels?: Labels<K>, value?: number): void;
  /** The current value of one series (after mapping unknown values to `other`). */
  get(labels?: Labels<K>): Promise<number>;
}

/**
 * A gauge whose labels are bounded. A value (or delta) that is not a finite number is dropped and
 * counted in {@link DROPPED_SAMPLES_METRIC}.
 */
export interface BoundedGauge<K extends string> {
  /** Sets the value (of the series without labels). */
  set(value: number): void;
  set(labels: Labels<K> | undefined, value: number): void;
  inc(labels?: Labels<K>, value?: number): void;
  dec(labels?: Labels<K>, value?: number): void;
  get(labels?: Labels<K>): Promise<number>;
}

/**
 * A histogram whose labels are bounded. A value that is not a finite number is dropped and counted
 * in {@link DROPPED_SAMPLES_METRIC}.
 */
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

function counterOn<K extends string>(
  registry: Registry,
  o: CounterOptions<K>,
  drop: DropSample,
): BoundedCounter<K> {
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
    inc: (labels, value = 1) => {
      if (finite(value) && value >= 0) counter.inc(map(labels), value);
      else drop(o.name);
    },
    get: (labels) => valueOf(counter, map(labels)),
  };
  return bounded;
}

function gaugeOn<K extends string>(
  registry: Registry,
  o: GaugeOptions<K>,
  drop: DropSample,
): BoundedGauge<K> {
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
      const [labels, v] = typeof first === 'number' ? [undefined, first] : [first, value ?? 0];
      if (finite(v)) gauge.set(map(labels), v);
      else drop(o.name);
    },
    inc: (labels, value = 1) => {
      if (finite(value)) gauge.inc(map(labels), value);
      else drop(o.name);
    },
    dec: (labels, value = 1) => {
      if (finite(value)) gauge.dec(map(labels), value);
      else drop(o.name);
    },
    get: (labels) => valueOf(gauge, map(labels)),
  };
  return bounded;
}

function histogramOn<K extends string>(
  registry: Registry,
  o: HistogramOptions<K>,
  drop: DropSample,
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
      const [labels, v] = typeof first === 'number' ? [undefined, first] : [first, value ?? 0];
      if (finite(v)) histogram.observe(map(labels), v);
      else drop(o.name);
    },
    startTimer: (labels) => {
      // prom-client's end function takes more labels, unchecked: it gets none.
      const end = histogram.startTimer(map(labels));
      return () => end();
    },
  };
}

/**
 * Creates an app's metrics on a registry of its own. No metric call throws on its value: NaN, an
 * infinity or a negative counter increment (a size computed from a malformed peer header, a
 * duration from a clock that went back) is dropped and counted in {@link DROPPED_SAMPLES_METRIC}
 * instead of turning a series into `NaN` for good or throwing on a hot path.
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
  const drop = dropCounter(registry);
  return {
    registry,
    counter: (o) => counterOn(registry, o, drop),
    gauge: (o) => gaugeOn(registry, o, drop),
    histogram: (o) => histogramOn(registry, o, drop),
    text: () => registry.metrics(),
    async seriesCount() {
      const all = await registry.getMetricsAsJSON();
      return all.reduce((sum, metric) => sum + metric.values.length, 0);
    },
  };
}

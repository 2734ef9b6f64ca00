// The checks after every attack: the service answers health within 200 ms, its RSS and /metrics
// size are back within bounds of the baseline taken after warm-up, and its open file handles are
// back to the baseline. The bounds are documented in the README ("What is checked").

import { rssBytes } from '@org/service-kit/testing';
import { eventually, openFds, sleep } from './proc';

/** The one timing assertion the issue asks for. */
export const HEALTH_LIMIT_MS = 200;
/** Health probes made before the check fails (the worst one is reported). */
export const HEALTH_ATTEMPTS = 5;
/** RSS may end at most this factor of the baseline plus {@link RSS_SLACK_BYTES}. */
export const RSS_FACTOR = 2;
export const RSS_SLACK_BYTES = 32 * 2 ** 20;
/** /metrics may end at most this factor of the baseline plus {@link METRICS_SLACK_BYTES}. */
export const METRICS_FACTOR = 1.25;
export const METRICS_SLACK_BYTES = 8 * 1024;
/** Heap in use after a full collection may end at most this factor of the baseline plus the slack. */
export const HEAP_FACTOR = 1.25;
export const HEAP_SLACK_BYTES = 16 * 2 ** 20;
/** Open descriptors may end at most this many above the baseline. */
export const FD_SLACK = 2;
/** Pause after an attack before the first health probe. */
export const SETTLE_PAUSE_MS = 300;

export interface Probe {
  readonly healthy: boolean;
  readonly ms: number;
  readonly detail?: string;
}

/** A running service under attack, seen from outside. */
export interface Service {
  readonly name: string;
  /** The service's process id now (a service may be restarted by an attack). */
  pid(): number;
  /** One health request. */
  probe(): Promise<Probe>;
  /** The /metrics text, when the service has one. */
  metrics?(): Promise<string>;
  /** A full garbage collection; the heap in use after it (bytes), when the service has an inspector. */
  collectGarbage?(): Promise<number | undefined>;
}

export interface Baseline {
  readonly rss: number;
  /** Heap in use after a full collection, when the service can be asked for one. */
  readonly heap?: number | undefined;
  readonly metricsBytes: number | undefined;
  readonly fds: number;
}

export interface CheckOutcome {
  readonly ok: boolean;
  readonly health: string;
  readonly rss: string;
  readonly heap: string;
  readonly metrics: string;
  readonly fds: string;
  /** Why a check failed, for the observed column. */
  readonly failures: readonly string[];
}

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
const kb = (bytes: number): string => (bytes / 1024).toFixed(1);

export function rssBound(baseline: Baseline): number {
  return baseline.rss * RSS_FACTOR + RSS_SLACK_BYTES;
}

export function metricsBound(baseline: Baseline): number | undefined {
  return baseline.metricsBytes === undefined
    ? undefined
    : baseline.metricsBytes * METRICS_FACTOR + METRICS_SLACK_BYTES;
}

/** Takes the baseline (after the service's warm-up, once its handles have settled). */
export async function takeBaseline(service: Service): Promise<Baseline> {
  await sleep(SETTLE_PAUSE_MS);
  let fds = await openFds(service.pid());
  // Let connections of the warm-up finish closing: take the lowest count over a short while.
  for (let i = 0; i < 5; i += 1) {
    await sleep(100);
    fds = Math.min(fds, await openFds(service.pid()));
  }
  const metrics = service.metrics === undefined ? undefined : await service.metrics();
  const heap = await service.collectGarbage?.();
  return {
    heap,
    rss: await rssBytes(service.pid()),
    metricsBytes: metrics === undefined ? undefined : Buffer.byteLength(metrics),
    fds,
  };
}

/** Health within {@link HEALTH_LIMIT_MS}: up to {@link HEALTH_ATTEMPTS} probes, worst reported. */
export async function checkHealth(service: Service): Promise<{ ok: boolean; text: string }> {
  let worst = 0;
  let last = '';
  for (let attempt = 1; attempt <= HEALTH_ATTEMPTS; attempt += 1) {
    const probe = await service
      .probe()
      .catch((error: unknown): Probe => ({ healthy: false, ms: Infinity, detail: String(error) }));
    worst = Math.max(worst, probe.ms);
    if (probe.healthy && probe.ms <= HEALTH_LIMIT_MS) {
      return {
        ok: true,
        text: `ok, worst ${fmtMs(worst)} (${attempt} probe${attempt > 1 ? 's' : ''})`,
      };
    }
    last = probe.healthy ? `${fmtMs(probe.ms)}` : `unhealthy: ${probe.detail ?? '?'}`;
    await sleep(200);
  }
  return {
    ok: false,
    text: `FAILED ${HEALTH_ATTEMPTS} probes, worst ${fmtMs(worst)}; last ${last}`,
  };
}

function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : 'no answer';
}

/** Every check of one attack. */
export async function checkAfter(
  service: Service,
  baseline: Baseline,
  settleMs: number,
): Promise<CheckOutcome> {
  await sleep(SETTLE_PAUSE_MS);
  const failures: string[] = [];
  const health = await checkHealth(service);
  if (!health.ok) failures.push(`health ${health.text}`);

  // Garbage is not growth: collect it before measuring memory.
  const heap = await service.collectGarbage?.().catch(() => undefined);
  let heapText = 'n/a';
  if (heap !== undefined && baseline.heap !== undefined) {
    const limit = baseline.heap * HEAP_FACTOR + HEAP_SLACK_BYTES;
    heapText = `${mb(baseline.heap)}→${mb(heap)}`;
    if (heap > limit) {
      failures.push(`heap after a full GC ${mb(heap)} MB > bound ${mb(limit)} MB`);
      heapText += ' ✗';
    }
  }

  let rss = 0;
  const rssLimit = rssBound(baseline);
  const rssOk = await eventually(async () => {
    rss = await rssBytes(service.pid());
    return rss <= rssLimit;
  }, settleMs);
  if (!rssOk) failures.push(`RSS ${mb(rss)} MB > bound ${mb(rssLimit)} MB`);

  let fds = 0;
  const fdLimit = baseline.fds + FD_SLACK;
  const fdsOk = await eventually(async () => {
    fds = await openFds(service.pid());
    return fds <= fdLimit;
  }, settleMs);
  if (!fdsOk) failures.push(`${fds} open fds > baseline ${baseline.fds} + ${FD_SLACK}`);

  let metricsText = 'n/a';
  const metricsLimit = metricsBound(baseline);
  if (service.metrics !== undefined && metricsLimit !== undefined) {
    const bytes = Buffer.byteLength(await service.metrics());
    metricsText = `${kb(baseline.metricsBytes ?? 0)}→${kb(bytes)} KB`;
    if (bytes > metricsLimit) {
      failures.push(`/metrics ${kb(bytes)} KB > bound ${kb(metricsLimit)} KB`);
      metricsText += ' ✗';
    }
  }
  return {
    ok: failures.length === 0,
    health: health.ok ? health.text : `✗ ${health.text}`,
    rss: `${mb(baseline.rss)}→${mb(rss)}${rssOk ? '' : ' ✗'}`,
    heap: heapText,
    metrics: metricsText,
    fds: `${baseline.fds}→${fds}${fdsOk ? '' : ' ✗'}`,
    failures,
  };
}

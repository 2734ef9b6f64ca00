// Percentiles and the load-run summary.

/** The value at percentile `p` (0..100) of `values`, nearest-rank; undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
}

/** p50/p90/p99/max in milliseconds, rounded to 0.1 ms. */
export interface Percentiles {
  readonly count: number;
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export function summarize(valuesMs: readonly number[]): Percentiles {
  const round = (v: number | undefined) => (v === undefined ? null : Math.round(v * 10) / 10);
  return {
    count: valuesMs.length,
    p50: round(percentile(valuesMs, 50)),
    p90: round(percentile(valuesMs, 90)),
    p99: round(percentile(valuesMs, 99)),
    max: round(percentile(valuesMs, 100)),
  };
}

export function formatPercentiles(label: string, p: Percentiles): string {
  if (p.count === 0) return `${label}: no samples`;
  return `${label}: p50 ${p.p50} ms, p90 ${p.p90} ms, p99 ${p.p99} ms, max ${p.max} ms (n=${p.count})`;
}

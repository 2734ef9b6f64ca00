import { formatPercentiles, percentile, summarize } from '../src/lib/stats';

describe('percentiles', () => {
  it('uses nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([], 50)).toBeUndefined();
  });

  it('summarizes and formats', () => {
    const s = summarize([1.04, 2, 3]);
    expect(s).toEqual({ count: 3, p50: 2, p90: 3, p99: 3, max: 3 });
    expect(formatPercentiles('rtt', s)).toBe('rtt: p50 2 ms, p90 3 ms, p99 3 ms, max 3 ms (n=3)');
    expect(formatPercentiles('rtt', summarize([]))).toBe('rtt: no samples');
  });
});

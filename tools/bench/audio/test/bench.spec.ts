import { judge, makeSignal, runBenchmark } from '../src/bench';
import { median } from '../src/measure';

describe('bench-audio', () => {
  it('runs both operations against both references at a tiny size', () => {
    const rows = runBenchmark({ samples: 1024, roundMs: 2, rounds: 1 });
    expect(rows.map((r) => r.operation)).toEqual(['decode', 'encode']);
    for (const r of rows) {
      for (const t of [r.ours, r.oursPreallocated, r.alawmulaw, r.copy])
        expect(t.mbPerSecond).toBeGreaterThan(0);
    }
    expect(judge(rows).map((t) => t.name)).toEqual([
      'decode vs alawmulaw',
      'encode vs alawmulaw',
      'decode vs Buffer.copy',
    ]);
  });

  it('makes a signal that visits every u-law segment', () => {
    const signal = makeSignal(16000);
    const magnitudes = new Set(
      Array.from(signal, (v) => 31 - Math.clz32(Math.min(Math.abs(v), 32635) + 0x84) - 7),
    );
    expect([...magnitudes].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('takes the median of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow(RangeError);
  });
});

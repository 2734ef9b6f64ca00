import { CATEGORIES, GENERATORS, createRandom } from '../src/frames';
import { runFuzz } from '../src/fuzz';

describe('bench-audiohook-fuzz', () => {
  it('throws a small run of malformed frames at server sessions without a crash', async () => {
    const report = await runFuzz({ frames: 3000, seed: 7, batch: 100 });
    expect(report.crashes).toBe(0);
    expect(report.crashSamples).toEqual([]);
    expect(report.disconnects).toBeGreaterThan(100);
    expect(report.sessions).toBeGreaterThan(100);
    expect(Object.values(report.byCategory).reduce((a, b) => a + b, 0)).toBe(3000);
    expect(report.framesPerSecond).toBeGreaterThan(0);
  });

  it('produces repeatable frames for a seed', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    for (const name of CATEGORIES) {
      expect((GENERATORS[name] as (typeof GENERATORS)[string])(a, 2)).toEqual(
        (GENERATORS[name] as (typeof GENERATORS)[string])(b, 2),
      );
    }
  });
});

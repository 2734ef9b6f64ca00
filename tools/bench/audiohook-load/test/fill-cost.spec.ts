import { measureFillCost } from '../src/lib/fill-cost';

describe('measureFillCost', () => {
  it('reports the CPU per frame copied into reused and into new arenas', () => {
    const cost = measureFillCost({
      frames: 2000,
      frameBytes: 1000,
      chunkBytes: 4096,
      arenaBytes: 65_536,
    });
    expect(cost.warmMicrosPerFrame).toBeGreaterThanOrEqual(0);
    expect(cost.freshMicrosPerFrame).toBeGreaterThanOrEqual(cost.freshSystemMicrosPerFrame);
    expect(cost.freshSystemMicrosPerFrame).toBeGreaterThanOrEqual(0);
  });

  it('refuses sizes that are not positive integers or do not nest', () => {
    expect(() => measureFillCost({ frames: 0 })).toThrow(/frames must be a positive integer/);
    expect(() => measureFillCost({ frames: 1, frameBytes: 1.5 })).toThrow(
      /frameBytes must be a positive integer/,
    );
    expect(() => measureFillCost({ frames: 1, frameBytes: 8192, chunkBytes: 4096 })).toThrow(
      /frameBytes ≤ chunkBytes ≤ arenaBytes/,
    );
  });
});

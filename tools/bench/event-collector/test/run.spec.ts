import { runBenchmark } from '../src/run';

describe('event collector benchmark (smoke)', () => {
  it('delivers a small run with a drop in the middle to disk exactly once', async () => {
    const res = await runBenchmark({ events: 3000, dropAfter: 1500, maxFileSize: 256 * 1024 });
    expect(res).toMatchObject({
      events: 3000,
      linesOnDisk: 3000,
      unique: 3000,
      missing: 0,
      duplicated: 0,
      ok: true,
    });
    expect(res.files).toBeGreaterThan(1);
    expect(res.reconnects).toBeGreaterThanOrEqual(1);
  });
});

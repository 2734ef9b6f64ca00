import { runFailover } from '../src/failover';
import { runBenchmark } from '../src/run';

describe('event collector benchmark (smoke)', () => {
  it('delivers a small run with a drop in the middle to disk exactly once', async () => {
    const res = await runBenchmark({
      events: 3000,
      dropAfter: 1500,
      maxFileSize: 256 * 1024,
      timeoutMs: 150_000,
    });
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

  it('survives a leader killed mid-stream: the standby takes over, nothing lost or duplicated', async () => {
    const res = await runFailover({
      events: 3000,
      killAfter: 1000,
      lease: { durationS: 5, renewS: 1, pollS: 0.5 },
      timeoutMs: 150_000,
    });
    expect(res).toMatchObject({
      events: 3000,
      linesOnDisk: 3000,
      lost: 0,
      duplicated: 0,
      ok: true,
    });
    expect(res.takeoverSeconds).toBeLessThan(30);
  });
});

import { formatResult, runBench } from '../src/lib/bench';

describe('byova load benchmark', () => {
  it('runs a small load against the gateway sources and reports latency, CPU and memory', async () => {
    const result = await runBench({
      calls: 3,
      turns: 1,
      endSilenceMs: 300,
      speechMs: 400,
      rampMs: 0,
      gateway: 'source',
    });
    expect(result.load).toMatchObject({ calls: 3, completedCalls: 3, failedRpcs: 0, turns: 3 });
    expect(result.load.replyMs.count).toBe(3);
    // The gateway cannot declare the end of speech before the trailing silence has streamed.
    expect(result.load.endOfInputMs.p50).toBeGreaterThanOrEqual(280);
    expect(result.rssPeakMb).toBeGreaterThan(0);
    expect(result.gatewayCpuSeconds).toBeGreaterThan(0);
    const text = formatResult(result);
    expect(text).toMatch(/^calls {12}3\/3 completed/m);
    expect(text).toMatch(/target p99 <= 350 ms/);
  });
});

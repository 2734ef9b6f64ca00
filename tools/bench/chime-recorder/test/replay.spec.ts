import { existsSync } from 'node:fs';
import { workload } from '../src/lib/events';
import { DEFAULT_OPTIONS, runReplay } from '../src/lib/replay';

describe('workload', () => {
  it('makes four events per call, duplicates the asked share and is reproducible by seed', () => {
    const a = workload(50, 0.1, 3);
    expect(a.transactionIds).toHaveLength(50);
    expect(a.events).toHaveLength(220);
    expect(new Set(a.transactionIds).size).toBe(50);
    expect(workload(50, 0.1, 3)).toEqual(a);
    expect(workload(50, 0.1, 4).events).not.toEqual(a.events);
  });
});

describe('runReplay (smoke)', () => {
  it('creates exactly one two-stream pipeline per call through the built bundle', async () => {
    // The test target depends on `chime-recorder-lambda:build`, which writes the bundle.
    expect(existsSync(DEFAULT_OPTIONS.bundle)).toBe(true);
    const r = await runReplay({ calls: 25, concurrency: 4, seed: 11, dynalite: 'in-process' });
    expect(r).toMatchObject({
      calls: 25,
      events: 110,
      pipelines: 25,
      duplicatePipelines: 0,
      twoStreamPipelines: 25,
      callsCreated: 25,
      metadataObjects: 25,
      handlerErrors: 0,
      ok: true,
    });
    expect(r.eventsPerSecond).toBeGreaterThan(0);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeCrestaApi, startFakeCrestaApi } from '@org/cresta-handoff/testing';
import {
  bundleSizes,
  measureBareRoundTrip,
  measureColdImport,
  measureWarmInvocations,
  summarize,
  withStdoutDiscarded,
} from '../src/measure';

let dir: string;
let fake: FakeCrestaApi;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bench-connect-lambda-'));
  fake = await startFakeCrestaApi();
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bench-connect-lambda measurements', () => {
  it('summarizes samples with median and nearest-rank percentiles', () => {
    expect(summarize([5, 1, 3])).toMatchObject({ count: 3, median: 3, min: 1, max: 5, mean: 3 });
    expect(summarize([1, 2, 3, 4]).median).toBe(2.5);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(summarize(hundred)).toMatchObject({ p90: 90, p99: 99 });
    expect(() => summarize([])).toThrow('no samples');
  });

  it('measures bundle, gzip and zip sizes', () => {
    const file = join(dir, 'index.js');
    writeFileSync(file, 'exports.handler = async () => ({});'.repeat(50));
    const sizes = bundleSizes(file, join(dir, 'missing.zip'));
    expect(sizes.bundleBytes).toBe(1750);
    expect(sizes.gzipBytes).toBeLessThan(sizes.bundleBytes);
    expect(sizes.zipBytes).toBeUndefined();
  });

  it('times a module import in fresh processes', () => {
    const file = join(dir, 'tiny.js');
    writeFileSync(file, 'module.exports = 42;');
    const samples = measureColdImport(file, 2);
    expect(samples).toHaveLength(2);
    expect(samples.every((s) => Number.isFinite(s) && s >= 0)).toBe(true);
  });

  it('reports a module that fails to load', () => {
    const file = join(dir, 'broken.js');
    writeFileSync(file, 'throw new Error("boom")');
    expect(() => measureColdImport(file, 1)).toThrow(/cold import of .* failed/);
  });

  it('times warm invocations after a warm-up', async () => {
    let calls = 0;
    const samples = await measureWarmInvocations(
      async () => {
        calls += 1;
      },
      5,
      3,
    );
    expect(samples).toHaveLength(5);
    expect(calls).toBe(8);
  });

  it('times bare keep-alive round trips to the fake API', async () => {
    const samples = await measureBareRoundTrip(
      `${fake.url}/v1/customers/a/profiles/b/virtualAgents/c:generatePSTNTransferData`,
      '{}',
      { authorization: 'ApiKey demo-api-key' },
      3,
      1,
    );
    expect(samples).toHaveLength(3);
    expect(fake.requestsTo('pstn')).toHaveLength(4);
  });

  it('discards stdout only while the measured function runs', async () => {
    const write = jest.spyOn(process.stdout, 'write');
    await withStdoutDiscarded(async () => {
      process.stdout.write('hidden\n');
    });
    expect(write).not.toHaveBeenCalledWith('hidden\n');
  });
});

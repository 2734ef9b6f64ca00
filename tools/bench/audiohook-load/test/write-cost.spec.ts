import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureWriteCost } from '../src/lib/write-cost';

describe('measureWriteCost', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-write-cost-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the CPU per write at every step and leaves no file behind', async () => {
    const steps = measureWriteCost({
      directory: dir,
      files: 3,
      totalBytes: 40 * 1024,
      chunkBytes: 1024,
      stepBytes: 16 * 1024,
    });
    expect(steps.map((step) => step.writtenBytes)).toEqual([16 * 1024, 32 * 1024, 40 * 1024]);
    for (const step of steps) {
      expect(step.cpuMicrosPerWrite).toBeGreaterThanOrEqual(step.systemMicrosPerWrite);
      expect(step.systemMicrosPerWrite).toBeGreaterThanOrEqual(0);
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses sizes that are not positive integers', () => {
    expect(() => measureWriteCost({ directory: dir, files: 0, totalBytes: 1024 })).toThrow(
      /files must be a positive integer/,
    );
    expect(() =>
      measureWriteCost({ directory: dir, files: 1, totalBytes: 1024, chunkBytes: 1.5 }),
    ).toThrow(/chunkBytes must be a positive integer/);
  });
});

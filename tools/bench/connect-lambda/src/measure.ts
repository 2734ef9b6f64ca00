import { spawnSync } from 'node:child_process';
import fsModule, { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';

/** Distribution of a set of timings, in ms. */
export interface Summary {
  readonly count: number;
  readonly median: number;
  readonly p90: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
}

/** Median, percentiles (nearest rank), min, max and mean of `samples`. */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
  const mid = sorted.length / 2;
  const median =
    sorted.length % 2 === 1
      ? (sorted[Math.floor(mid)] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return {
    count: sorted.length,
    median,
    p90: rank(0.9),
    p99: rank(0.99),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
  };
}

/** Sizes of the bundle (raw and gzip) and of the deployable zip, in bytes. */
export interface BundleSizes {
  readonly bundleBytes: number;
  readonly gzipBytes: number;
  readonly zipBytes: number | undefined;
}

export function bundleSizes(bundleFile: string, zipFile?: string): BundleSizes {
  const bundle = readFileSync(bundleFile);
  let zipBytes: number | undefined;
  if (zipFile !== undefined) {
    try {
      zipBytes = statSync(zipFile).size;
    } catch {
      zipBytes = undefined;
    }
  }
  return { bundleBytes: bundle.length, gzipBytes: gzipSync(bundle, { level: 9 }).length, zipBytes };
}

const COLD_IMPORT_SCRIPT = `
const { performance } = require('node:perf_hooks');
const start = performance.now();
require(process.argv[1]);
process.stdout.write(String(performance.now() - start));
`;

/**
 * Time to `require` a module in a fresh Node.js process (a Lambda cold start's module init,
 * without the runtime's own start-up), once per run.
 */
export function measureColdImport(
  file: string,
  runs: number,
  env: Readonly<Record<string, string | undefined>> = process.env,
): number[] {
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const result = spawnSync(process.execPath, ['-e', COLD_IMPORT_SCRIPT, file], {
      encoding: 'utf8',
      env: { ...env },
      timeout: 30_000,
    });
    if (result.status !== 0) {
      throw new Error(
        `cold import of ${file} failed: ${result.stderr || result.error?.message || ''}`,
      );
    }
    samples.push(Number(result.stdout.trim().split('\n').pop()));
  }
  return samples;
}

/** Calls `invoke` `warmup` times unmeasured, then `iterations` times measured (ms each). */
export async function measureWarmInvocations(
  invoke: () => Promise<unknown>,
  iterations: number,
  warmup = 20,
): Promise<number[]> {
  for (let i = 0; i < warmup; i += 1) await invoke();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const start = performance.now();
    await invoke();
    samples.push(performance.now() - start);
  }
  return samples;
}

/**
 * The bare cost of one keep-alive HTTP POST of `body` to `url` with `node:http`: the floor that
 * the handler's own overhead is measured against.
 */
export async function measureBareRoundTrip(
  url: string,
  body: string,
  headers: Record<string, string>,
  iterations: number,
  warmup = 20,
): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true });
  const post = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } },
        (res) => {
          res.resume();
          res.on('end', () => resolve());
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  try {
    return await measureWarmInvocations(post, iterations, warmup);
  } finally {
    agent.destroy();
  }
}

/**
 * Runs `fn` with standard output sent to /dev/null, so the Lambda's JSON log lines cost a real
 * write (as they do in Lambda) without flooding the report. The Lambda's logger (pino) writes to
 * file descriptor 1 with `fs.writeSync`, not through `process.stdout`, so both are redirected.
 */
export async function withStdoutDiscarded<T>(fn: () => Promise<T>): Promise<T> {
  const fd = openSync('/dev/null', 'w');
  const original = process.stdout.write.bind(process.stdout);
  const originalWriteSync = fsModule.writeSync;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return true;
  }) as typeof process.stdout.write;
  fsModule.writeSync = ((target: number, ...rest: unknown[]) =>
    (originalWriteSync as (...args: unknown[]) => number)(
      target === 1 ? fd : target,
      ...rest,
    )) as typeof fsModule.writeSync;
  try {
    return await fn();
  } finally {
    process.stdout.write = original;
    fsModule.writeSync = originalWriteSync;
    closeSync(fd);
  }
}

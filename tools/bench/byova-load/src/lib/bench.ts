// The BYOVA load benchmark: starts the gateway (the built bundle, or the sources) with the local
// audio connector on loopback, drives it with the simulator in load mode (N concurrent calls,
// real-time 20 ms frames), samples the gateway's CPU and RSS (from /proc for a built gateway, from
// its /metrics for the sources under tsx), and checks the targets: zero failed RPCs and p99 (last
// speech frame -> first reply) <= trailing silence + 50 ms.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds, rssBytes } from '@org/service-kit/testing';

export const ROOT = join(__dirname, '../../../../..');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const DIST_MAIN = join(ROOT, 'dist/apps/byova-gateway/main.js');

export interface BenchOptions {
  readonly calls: number;
  readonly turns: number;
  readonly endSilenceMs: number;
  readonly speechMs: number;
  readonly rampMs: number;
  /**
   * Run the built bundle (`dist`), the TypeScript sources through tsx (`source`), or another
   * build's `main.js` (a path, e.g. a saved build to compare with).
   */
  readonly gateway: string;
  readonly log?: (line: string) => void;
}

interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** The simulator's JSON report. */
export interface LoadReport {
  readonly calls: number;
  readonly completedCalls: number;
  readonly rpcs: number;
  readonly failedRpcs: number;
  readonly failures: readonly string[];
  readonly turns: number;
  readonly durationSeconds: number;
  readonly callSeconds: number;
  readonly endOfInputMs: Percentiles;
  readonly replyMs: Percentiles;
}

export interface BenchResult {
  readonly options: Omit<BenchOptions, 'log'>;
  readonly load: LoadReport;
  readonly gatewayCpuSeconds: number;
  /** Gateway CPU ms per second of call. */
  readonly cpuMsPerCallSecond: number;
  readonly rssBaselineMb: number;
  readonly rssPeakMb: number;
  /** (peak - baseline) / calls, in KiB. */
  readonly rssPerCallKb: number;
  readonly p99TargetMs: number;
  readonly passed: boolean;
}

interface Metrics {
  readonly cpu: number;
  readonly rss: number;
}

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text);
  if (match === null) throw new Error(`/metrics has no ${name}`);
  return Number(match[1]);
}

async function readMetrics(url: string): Promise<Metrics> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return {
    cpu: metric(text, 'process_cpu_seconds_total'),
    rss: metric(text, 'process_resident_memory_bytes'),
  };
}

/**
 * CPU and RSS of `pid` from `/proc`: reading them costs the gateway nothing, where a `/metrics`
 * scrape every 500 ms (prom-client collecting its default metrics) would itself add to the CPU
 * being measured.
 */
async function readProc(pid: number): Promise<Metrics> {
  const [cpu, rss] = await Promise.all([cpuSeconds(pid), rssBytes(pid)]);
  return { cpu, rss };
}

function waitForEndpoints(
  child: ChildProcess,
  timeoutMs: number,
): Promise<{ grpc: string; http: string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`the gateway did not start within ${timeoutMs} ms:\n${out}${err}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const grpc = /grpc:\/\/([0-9.]+:\d+)/.exec(out)?.[1];
      const http = /dashboard\s+(http:\/\/[0-9.]+:\d+)\//.exec(out)?.[1];
      if (grpc !== undefined && http !== undefined) {
        clearTimeout(timer);
        resolve({ grpc, http });
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code}:\n${out}${err}`));
    });
  });
}

function run(
  command: string,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function benchConfig(options: BenchOptions): string {
  const prompts = join(ROOT, 'apps/byova-gateway/assets/prompts');
  return [
    'gateway: { host: 127.0.0.1, port: 0, max_concurrent_streams: 10000 }',
    `voice_activity_detection: { end_silence_ms: ${options.endSilenceMs}, start_debounce_ms: 60 }`,
    'connectors:',
    '  local_audio_connector:',
    '    type: local_audio_connector',
    `    config: { audio_base_path: ${JSON.stringify(prompts)}, respond_to_speech: true }`,
    'monitoring: { enabled: true, host: 127.0.0.1, port: 0 }',
    'logging: { level: warn }',
    '',
  ].join('\n');
}

/** Runs the benchmark once. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const log = options.log ?? (() => undefined);
  const main = options.gateway === 'dist' ? DIST_MAIN : options.gateway;
  if (options.gateway !== 'source' && !existsSync(main)) {
    throw new Error(
      `${main} is missing: run "npx nx build byova-gateway" first (the bench target does)`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'byova-bench-'));
  const configPath = join(dir, 'bench.yaml');
  writeFileSync(configPath, benchConfig(options));
  const args =
    options.gateway !== 'source'
      ? [main, '--config', configPath]
      : [
          TSX,
          '--tsconfig',
          join(ROOT, 'apps/byova-gateway/tsconfig.json'),
          join(ROOT, 'apps/byova-gateway/src/main.ts'),
          '--config',
          configPath,
        ];
  const gateway = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const endpoints = await waitForEndpoints(gateway, 60_000);
    log(
      `gateway (${options.gateway}) on grpc://${endpoints.grpc}, metrics ${endpoints.http}/metrics`,
    );
    // The sources run under tsx's CLI, a parent of the gateway's process: ask the gateway itself.
    const pid = gateway.pid;
    const sample =
      options.gateway === 'source' || process.platform !== 'linux' || pid === undefined
        ? () => readMetrics(endpoints.http)
        : () => readProc(pid);
    const baseline = await sample();
    let peakRss = baseline.rss;
    const sampler = setInterval(() => {
      sample().then(
        (m) => {
          peakRss = Math.max(peakRss, m.rss);
        },
        () => undefined,
      );
    }, 500);
    log(
      `load: ${options.calls} calls x ${options.turns} voice turns, real-time 20 ms frames, end silence ${options.endSilenceMs} ms`,
    );
    let result;
    try {
      result = await run(process.execPath, [
        TSX,
        '--tsconfig',
        join(ROOT, 'tools/byova-simulator/tsconfig.json'),
        join(ROOT, 'tools/byova-simulator/src/main.ts'),
        'load',
        '--target',
        endpoints.grpc,
        '--calls',
        String(options.calls),
        '--turns',
        String(options.turns),
        '--speech-ms',
        String(options.speechMs),
        '--ramp-ms',
        String(options.rampMs),
        '--json',
      ]);
    } finally {
      clearInterval(sampler);
    }
    const line = result.stdout.trim().split('\n').at(-1) ?? '';
    if (!line.startsWith('{'))
      throw new Error(`the simulator failed (${result.code}):\n${result.stdout}${result.stderr}`);
    const load = JSON.parse(line) as LoadReport;
    const after = await sample();
    peakRss = Math.max(peakRss, after.rss);
    const cpu = after.cpu - baseline.cpu;
    const target = options.endSilenceMs + 50;
    const { log: _log, ...rest } = options;
    return {
      options: rest,
      load,
      gatewayCpuSeconds: Math.round(cpu * 1000) / 1000,
      cpuMsPerCallSecond:
        load.callSeconds > 0 ? Math.round((cpu * 1000 * 100) / load.callSeconds) / 100 : 0,
      rssBaselineMb: Math.round(baseline.rss / 1048576),
      rssPeakMb: Math.round(peakRss / 1048576),
      rssPerCallKb: Math.round((peakRss - baseline.rss) / 1024 / options.calls),
      p99TargetMs: target,
      passed:
        load.failedRpcs === 0 && load.completedCalls === load.calls && load.replyMs.p99 <= target,
    };
  } finally {
    gateway.kill('SIGTERM');
    await new Promise((resolve) =>
      gateway.exitCode !== null ? resolve(undefined) : gateway.once('exit', resolve),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Human-readable report. */
export function formatResult(result: BenchResult): string {
  const { load } = result;
  const e = load.endOfInputMs;
  const r = load.replyMs;
  return [
    `calls            ${load.completedCalls}/${load.calls} completed, ${load.turns} voice turns, ${load.durationSeconds} s`,
    `RPCs             ${load.rpcs}, failed ${load.failedRpcs}`,
    `END_OF_INPUT     p50 ${e.p50} ms  p90 ${e.p90} ms  p99 ${e.p99} ms  max ${e.max} ms  (after the last speech frame)`,
    `first reply      p50 ${r.p50} ms  p90 ${r.p90} ms  p99 ${r.p99} ms  max ${r.max} ms  (target p99 <= ${result.p99TargetMs} ms)`,
    `gateway CPU      ${result.gatewayCpuSeconds} s total, ${result.cpuMsPerCallSecond} ms per call-second`,
    `gateway RSS      ${result.rssBaselineMb} MB idle, ${result.rssPeakMb} MB peak, ${result.rssPerCallKb} KiB per call`,
    ...load.failures.map((f) => `failure          ${f}`),
    `result           ${result.passed ? 'PASS' : 'FAIL'}`,
  ].join('\n');
}

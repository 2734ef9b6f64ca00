// Starts the built server and the driver as separate processes, samples the server's CPU and
// RSS over the steady state, and turns everything into a report.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DriverConfig, DriverResult } from './driver';
import { cpuSeconds, rssBytes } from './proc-stats';

export const BENCH_API_KEY = 'bench-key';
export const BENCH_SECRET = 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=';

export interface BenchOptions {
  readonly sessions: number;
  /** Steady-state seconds measured after every session opened. */
  readonly holdSeconds: number;
  readonly rampSeconds: number;
  readonly recording: boolean;
  /** Command that starts the server (argv); it must log its listening address as JSON. */
  readonly serverCommand: readonly string[];
  /** Command that runs the driver (argv before the JSON config). */
  readonly driverCommand: readonly string[];
  readonly cwd: string;
  /** Extra server environment. */
  readonly serverEnv?: Record<string, string>;
  readonly log?: (line: string) => void;
}

export interface BenchReport {
  readonly sessions: number;
  readonly opened: number;
  readonly holdSeconds: number;
  readonly recording: boolean;
  readonly protocolErrors: number;
  readonly errorSamples: readonly string[];
  readonly serverCpuMsPerSessionSecond: number;
  readonly serverRssKbPerSession: number;
  readonly serverRssBaselineMb: number;
  readonly serverRssPeakMb: number;
  readonly openLatencyMs: Stats;
  readonly rttMs: Stats;
  readonly framesSent: number;
  readonly driverMaxTickLagMs: number;
}

export interface Stats {
  readonly count: number;
  readonly p50: number | null;
  readonly p99: number | null;
  readonly max: number | null;
}

export function stats(values: readonly number[]): Stats {
  if (values.length === 0) return { count: 0, p50: null, p99: null, max: null };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => {
    const v = sorted[
      Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))
    ] as number;
    return Math.round(v * 100) / 100;
  };
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

function lines(child: ChildProcess, onLine: (line: string) => void): void {
  if (child.stdout !== null) createInterface({ input: child.stdout }).on('line', onLine);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Starts the server under test with the benchmark's settings (recording into `directory`). */
function spawnServer(options: BenchOptions, directory: string): ChildProcess {
  const [serverBin, ...serverArgs] = options.serverCommand;
  return spawn(serverBin as string, serverArgs, {
    cwd: options.cwd,
    env: {
      ...process.env,
      SERVERPORT: '0',
      SERVERHOST: '127.0.0.1',
      LOG_ROOT_DIR: directory,
      LOG_LEVEL: 'info',
      RECORDING_ENABLED: String(options.recording),
      MAX_SESSIONS: String(options.sessions + 100),
      STATIC_API_KEY_MAP: JSON.stringify({ [BENCH_API_KEY]: BENCH_SECRET }),
      DRAIN_TIMEOUT_MS: '5000',
      ...options.serverEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Resolves with the port the server logs once it listens. */
function listeningPort(server: ChildProcess): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    lines(server, (line) => {
      const match = /"address":"[^"]*:(\d+)"/.exec(line);
      if (match !== null) resolve(Number(match[1]));
    });
    server.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
  });
}

/**
 * @example
 * ```ts
 * const report = await runBenchmark({ sessions: 100, holdSeconds: 20, rampSeconds: 5, recording: true, ... });
 * ```
 */
export async function runBenchmark(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? (() => undefined);
  const directory = await mkdtemp(join(tmpdir(), 'bench-audiohook-'));
  const server = spawnServer(options, directory);
  let driver: ChildProcess | undefined;
  try {
    const port = await listeningPort(server);
    const pid = server.pid as number;
    await sleep(500);
    const baselineRss = await rssBytes(pid);
    log(`server pid ${pid} on port ${port}, baseline RSS ${(baselineRss / 2 ** 20).toFixed(1)} MB`);

    const config: DriverConfig = {
      url: `ws://127.0.0.1:${port}/api/v1/audiohook/ws`,
      sessions: options.sessions,
      rampMs: options.rampSeconds * 1000,
      apiKey: BENCH_API_KEY,
      clientSecret: BENCH_SECRET,
      frameMs: 200,
      pingIntervalMs: 5000,
    };
    const [driverBin, ...driverArgs] = options.driverCommand;
    const child = spawn(driverBin as string, [...driverArgs, JSON.stringify(config)], {
      cwd: options.cwd,
      // tsx resolves the @org/* paths through the bench's tsconfig.
      env: { ...process.env, TSX_TSCONFIG_PATH: 'tools/bench/audiohook-load/tsconfig.json' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    driver = child;
    let resolveRamped!: () => void;
    let rejectRamped!: (error: Error) => void;
    const ramped = new Promise<void>((resolve, reject) => {
      resolveRamped = resolve;
      rejectRamped = reject;
    });
    const done = new Promise<DriverResult>((resolve, reject) => {
      lines(child, (line) => {
        const message = JSON.parse(line) as { event: string; result?: DriverResult };
        if (message.event === 'ramped') resolveRamped();
        if (message.event === 'done' && message.result !== undefined) resolve(message.result);
      });
      child.once('exit', (code) => {
        const error = new Error(`driver exited (${code}) without a result`);
        rejectRamped(error);
        reject(error);
      });
    });
    done.catch(() => undefined);
    await ramped;
    log(`all ${options.sessions} sessions settled; measuring ${options.holdSeconds} s`);
    // Let the ramp's connection churn settle before measuring.
    await sleep(1000);
    const cpuStart = await cpuSeconds(pid);
    const wallStart = performance.now();
    let peakRss = 0;
    const holdEnd = wallStart + options.holdSeconds * 1000;
    while (performance.now() < holdEnd) {
      peakRss = Math.max(peakRss, await rssBytes(pid));
      await sleep(Math.min(1000, Math.max(0, holdEnd - performance.now())));
    }
    const cpuEnd = await cpuSeconds(pid);
    const wall = (performance.now() - wallStart) / 1000;
    peakRss = Math.max(peakRss, await rssBytes(pid));
    child.stdin?.write('stop\n');
    const result = await done;
    const sessionSeconds = Math.max(1, result.opened) * wall;
    return {
      sessions: options.sessions,
      opened: result.opened,
      holdSeconds: Math.round(wall * 10) / 10,
      recording: options.recording,
      protocolErrors: result.protocolErrors,
      errorSamples: result.errorSamples,
      serverCpuMsPerSessionSecond:
        Math.round((((cpuEnd - cpuStart) * 1000) / sessionSeconds) * 1000) / 1000,
      serverRssKbPerSession:
        Math.round(((peakRss - baselineRss) / 1024 / Math.max(1, result.opened)) * 10) / 10,
      serverRssBaselineMb: Math.round((baselineRss / 2 ** 20) * 10) / 10,
      serverRssPeakMb: Math.round((peakRss / 2 ** 20) * 10) / 10,
      openLatencyMs: stats(result.openLatencyMs),
      rttMs: stats(result.rttMs),
      framesSent: result.framesSent,
      driverMaxTickLagMs: result.maxTickLagMs,
    };
  } finally {
    driver?.kill('SIGKILL');
    server.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      if (server.exitCode !== null) resolve();
      else server.once('exit', () => resolve());
    });
    await rm(directory, { recursive: true, force: true });
  }
}

/** The targets, checked against a report. */
export function checkTargets(
  report: BenchReport,
): { name: string; target: string; measured: string; ok: boolean }[] {
  return [
    {
      name: 'concurrent sessions, zero errors',
      target: '2000, 0 errors',
      measured: `${report.opened}, ${report.protocolErrors} errors`,
      ok: report.opened >= 2000 && report.protocolErrors === 0,
    },
    {
      name: 'ping RTT p99',
      target: '≤ 20 ms',
      measured: `${report.rttMs.p99 ?? '-'} ms`,
      ok: report.rttMs.p99 !== null && report.rttMs.p99 <= 20,
    },
    {
      name: 'server CPU per session-second',
      target: '≤ 0.15 ms',
      measured: `${report.serverCpuMsPerSessionSecond} ms`,
      ok: report.serverCpuMsPerSessionSecond <= 0.15,
    },
    {
      name: 'server RSS per session',
      target: '≤ 40 KB',
      measured: `${report.serverRssKbPerSession} KB`,
      ok: report.serverRssKbPerSession <= 40,
    },
  ];
}

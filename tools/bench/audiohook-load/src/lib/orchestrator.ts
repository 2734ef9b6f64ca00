// Steady state: starts the built server and the driver as separate processes, samples the
// server's CPU and RSS while every session streams, and turns everything into a report.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverConfig } from './driver';
import { cpuDelta, cpuSplit, rssBytes, type CpuSplit } from '@org/service-kit/testing';
import { monotonicUs, type TimeWindow } from './profile';
import {
  BENCH_API_KEY,
  BENCH_SECRET,
  listeningPort,
  sleep,
  spawnDriver,
  spawnServer,
  stopServer,
  type DriverRun,
  type ProcessOptions,
} from './processes';

export { BENCH_API_KEY, BENCH_SECRET };

export interface BenchOptions extends Omit<ProcessOptions, 'maxSessions'> {
  readonly sessions: number;
  /** Steady-state seconds measured after every session opened. */
  readonly holdSeconds: number;
  readonly rampSeconds: number;
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
  /** Server CPU over the hold by thread, ms (see {@link cpuSplit}). */
  readonly serverCpuSplitMs: CpuSplit;
  readonly serverRssKbPerSession: number;
  readonly serverRssBaselineMb: number;
  readonly serverRssPeakMb: number;
  readonly openLatencyMs: Stats;
  readonly rttMs: Stats;
  readonly framesSent: number;
  readonly driverMaxTickLagMs: number;
  /** Cores the driver used over its whole run (CPU time / wall time). */
  readonly driverCores: number;
  /** When the hold ran, on the clock of a server CPU profile. */
  readonly window: TimeWindow;
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

/** Rounds to `digits` decimals. */
export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** CPU and peak RSS of `pid` over `seconds` of wall time. */
async function sampleHold(
  pid: number,
  seconds: number,
): Promise<{ cpu: CpuSplit; wallSeconds: number; peakRss: number; window: TimeWindow }> {
  const cpuStart = await cpuSplit(pid);
  const startUs = monotonicUs();
  const wallStart = performance.now();
  let peakRss = 0;
  const holdEnd = wallStart + seconds * 1000;
  while (performance.now() < holdEnd) {
    peakRss = Math.max(peakRss, await rssBytes(pid));
    await sleep(Math.min(1000, Math.max(0, holdEnd - performance.now())));
  }
  const cpu = cpuDelta(cpuStart, await cpuSplit(pid));
  const window = { startUs, endUs: monotonicUs() };
  const wallSeconds = (performance.now() - wallStart) / 1000;
  peakRss = Math.max(peakRss, await rssBytes(pid));
  return { cpu, wallSeconds, peakRss, window };
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
  const server = spawnServer({ ...options, maxSessions: options.sessions + 100 }, directory);
  let driver: DriverRun | undefined;
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
    driver = spawnDriver({ ...options, maxSessions: 0 }, config);
    await driver.ready;
    driver.go();
    await driver.ramped;
    log(`all ${options.sessions} sessions settled; measuring ${options.holdSeconds} s`);
    // Let the ramp's connection churn settle before measuring.
    await sleep(1000);
    const hold = await sampleHold(pid, options.holdSeconds);
    driver.stop();
    const result = await driver.done;
    const sessionSeconds = Math.max(1, result.opened) * hold.wallSeconds;
    return {
      sessions: options.sessions,
      opened: result.opened,
      holdSeconds: round(hold.wallSeconds, 1),
      recording: options.recording,
      protocolErrors: result.protocolErrors,
      errorSamples: result.errorSamples,
      serverCpuMsPerSessionSecond: round((hold.cpu.total * 1000) / sessionSeconds, 3),
      serverCpuSplitMs: {
        total: Math.round(hold.cpu.total * 1000),
        mainUser: Math.round(hold.cpu.mainUser * 1000),
        mainSystem: Math.round(hold.cpu.mainSystem * 1000),
      },
      serverRssKbPerSession: round(
        (hold.peakRss - baselineRss) / 1024 / Math.max(1, result.opened),
        1,
      ),
      serverRssBaselineMb: round(baselineRss / 2 ** 20, 1),
      serverRssPeakMb: round(hold.peakRss / 2 ** 20, 1),
      openLatencyMs: stats(result.openLatencyMs),
      rttMs: stats(result.rttMs),
      framesSent: result.framesSent,
      driverMaxTickLagMs: result.maxTickLagMs,
      driverCores: round(result.cpuMs / Math.max(1, result.wallMs), 2),
      window: hold.window,
    };
  } finally {
    driver?.child.kill('SIGKILL');
    await stopServer(server);
    await rm(directory, { recursive: true, force: true });
  }
}

/** One target of issue 18, checked against a report. */
export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  readonly ok: boolean;
}

/** The steady-state targets (2,000 sessions; and 5,000 when that many ran), checked. */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const p99 = report.rttMs.p99;
  const checks: TargetCheck[] = [
    {
      name: 'concurrent sessions, zero errors',
      target: '2000, 0 errors',
      measured: `${report.opened}, ${report.protocolErrors} errors`,
      ok: report.opened >= 2000 && report.protocolErrors === 0,
    },
    {
      name: 'ping RTT p99',
      target: '≤ 20 ms',
      measured: `${p99 ?? '-'} ms`,
      ok: p99 !== null && p99 <= 20,
    },
    {
      name: 'server CPU per session-second',
      target: '≤ 0.10 ms',
      measured: `${report.serverCpuMsPerSessionSecond} ms`,
      ok: report.serverCpuMsPerSessionSecond <= 0.1,
    },
    {
      name: 'server RSS per session',
      target: '≤ 40 KB',
      measured: `${report.serverRssKbPerSession} KB`,
      ok: report.serverRssKbPerSession <= 40,
    },
  ];
  if (report.sessions >= 5000) {
    checks.push({
      name: '5,000 sessions held, p99 RTT',
      target: '5000, 0 errors, ≤ 50 ms',
      measured: `${report.opened}, ${report.protocolErrors} errors, ${p99 ?? '-'} ms`,
      ok: report.opened >= 5000 && report.protocolErrors === 0 && p99 !== null && p99 <= 50,
    });
  }
  return checks;
}

// Churn: sessions opened at a fixed rate and closed again, so the server pays for whole sessions
// (upgrade, signature check, `open`, files created, streaming, `close`, recording finalized), not
// only their steady state. Two phases against one server:
//
// 1. lifecycle: N sessions at the rate, each closing as soon as it is `opened` (no audio). The
//    server's CPU from the first upgrade until the last recording is finished, per session.
// 2. whole: N sessions at the rate, each streaming `sessionSeconds` before it closes. The
//    server's CPU over the same span, per session-second of audio.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverConfig, DriverResult } from './driver';
import { round, stats, type Stats, type TargetCheck } from './orchestrator';
import { cpuDelta, cpuSeconds, cpuSplit, rssBytes, type CpuSplit } from '@org/service-kit/testing';
import { monotonicUs, type TimeWindow } from './profile';
import {
  BENCH_API_KEY,
  BENCH_SECRET,
  finishedRecordings,
  listeningPort,
  sleep,
  spawnDriver,
  spawnServer,
  stopServer,
  whenServerIdle,
  type DriverRun,
  type ProcessOptions,
} from './processes';

/**
 * Warm-up sessions before a churn run. After 400 (the earlier default) V8's log of the server
 * (`--log-code`) still showed TurboFan optimising 15 to 54 functions per second, and V8's
 * threads took 0.54 ms per lifecycle session; after 4,000 they took 0.19 ms.
 */
export const DEFAULT_WARMUP = 3000;

export interface ChurnOptions extends Omit<ProcessOptions, 'maxSessions'> {
  /** Sessions per phase. */
  readonly sessions: number;
  /** Sessions opened per second. */
  readonly rate: number;
  /** How long each session of the whole-session phase streams; 0 runs only the lifecycle phase. */
  readonly sessionSeconds: number;
  /** Run the lifecycle phase (before the whole-session one). @default true */
  readonly lifecycle?: boolean;
  /**
   * Lifecycle sessions run first and not measured, so the phases measure a warm server (code
   * compiled and optimised) rather than its first minutes. @default {@link DEFAULT_WARMUP}
   */
  readonly warmup?: number;
  readonly log?: (line: string) => void;
}

/** One phase's measurements. */
export interface PhaseReport {
  readonly sessions: number;
  readonly opened: number;
  readonly protocolErrors: number;
  readonly errorSamples: readonly string[];
  /** From the driver's first upgrade until the server held no session and every recording was finished. */
  readonly wallSeconds: number;
  /** False when the server did not get there within a minute (the CPU figure then stops there). */
  readonly finalized: boolean;
  readonly serverCpuMs: number;
  /** The same CPU by thread, ms: the main thread (user, system) and all others (GC, file I/O). */
  readonly serverCpuSplitMs: CpuSplit;
  readonly serverRssPeakMb: number;
  readonly openLatencyMs: Stats;
  readonly closeLatencyMs: Stats;
  readonly rttMs: Stats;
  readonly driverCores: number;
  /** When the phase ran, on the clock of a server CPU profile. */
  readonly window: TimeWindow;
}

export interface ChurnReport {
  readonly rate: number;
  readonly sessionSeconds: number;
  readonly recording: boolean;
  readonly serverRssBaselineMb: number;
  /** Server CPU while nothing happens (timers, heartbeat), ms per second. */
  readonly serverIdleCpuMsPerSecond: number;
  readonly lifecycle: (PhaseReport & { readonly cpuMsPerSession: number }) | undefined;
  readonly whole:
    | (PhaseReport & {
        readonly cpuMsPerSessionSecond: number;
        /** The whole-session CPU minus the lifecycle phase's per-session cost, per session-second. */
        readonly streamingCpuMsPerSessionSecond: number | undefined;
      })
    | undefined;
}

interface Server {
  readonly pid: number;
  readonly port: number;
  readonly directory: string;
  readonly options: ChurnOptions;
}

/** Samples `pid`'s RSS every 250 ms until `until` settles; resolves with the peak. */
async function peakRss(pid: number, until: Promise<unknown>): Promise<number> {
  let done = false;
  void until.finally(() => (done = true));
  let peak = 0;
  while (!done) {
    peak = Math.max(peak, await rssBytes(pid).catch(() => 0));
    await sleep(250);
  }
  return peak;
}

async function runPhase(
  server: Server,
  sessionMs: number,
  sessions = server.options.sessions,
): Promise<PhaseReport> {
  const { options, pid, port, directory } = server;
  const before = options.recording ? await finishedRecordings(directory) : 0;
  const config: DriverConfig = {
    url: `ws://127.0.0.1:${port}/api/v1/audiohook/ws`,
    sessions,
    rampMs: (sessions / options.rate) * 1000,
    apiKey: BENCH_API_KEY,
    clientSecret: BENCH_SECRET,
    frameMs: 200,
    pingIntervalMs: 5000,
    sessionMs,
  };
  const driver: DriverRun = spawnDriver({ ...options, maxSessions: 0 }, config);
  try {
    await driver.ready;
    const cpuStart = await cpuSplit(pid);
    const wallStart = performance.now();
    const startUs = monotonicUs();
    driver.go();
    const peak = peakRss(pid, driver.done);
    const result: DriverResult = await driver.done;
    const expected = options.recording ? before + result.opened : undefined;
    const finalized = await whenServerIdle(port, directory, expected, 60_000);
    const cpu = cpuDelta(cpuStart, await cpuSplit(pid));
    const window = { startUs, endUs: monotonicUs() };
    const wallSeconds = (performance.now() - wallStart) / 1000;
    return {
      sessions,
      opened: result.opened,
      protocolErrors: result.protocolErrors,
      errorSamples: result.errorSamples,
      wallSeconds: round(wallSeconds, 1),
      finalized,
      serverCpuMs: Math.round(cpu.total * 1000),
      serverCpuSplitMs: {
        total: Math.round(cpu.total * 1000),
        mainUser: Math.round(cpu.mainUser * 1000),
        mainSystem: Math.round(cpu.mainSystem * 1000),
      },
      serverRssPeakMb: round((await peak) / 2 ** 20, 1),
      openLatencyMs: stats(result.openLatencyMs),
      closeLatencyMs: stats(result.closeLatencyMs),
      rttMs: stats(result.rttMs),
      driverCores: round(result.cpuMs / Math.max(1, result.wallMs), 2),
      window,
    };
  } finally {
    driver.child.kill('SIGKILL');
  }
}

/** Server CPU over `ms` of idleness, ms per second. */
async function idleCpu(pid: number, ms: number): Promise<number> {
  const start = await cpuSeconds(pid);
  await sleep(ms);
  return (((await cpuSeconds(pid)) - start) * 1000 * 1000) / ms;
}

/**
 * @example
 * ```ts
 * const report = await runChurn({ sessions: 800, rate: 200, sessionSeconds: 30, recording: true, ... });
 * ```
 */
export async function runChurn(options: ChurnOptions): Promise<ChurnReport> {
  const log = options.log ?? (() => undefined);
  const directory = await mkdtemp(join(tmpdir(), 'bench-audiohook-'));
  // Never refused for the limit: on a loaded machine sessions overlap far more than rate × length.
  const child = spawnServer({ ...options, maxSessions: options.sessions + 100 }, directory);
  try {
    const server: Server = {
      pid: child.pid as number,
      port: await listeningPort(child),
      directory,
      options,
    };
    await sleep(500);
    const baselineRss = await rssBytes(server.pid);
    const idle = await idleCpu(server.pid, 1000);
    log(`server pid ${server.pid} on port ${server.port}, idle CPU ${idle.toFixed(2)} ms/s`);
    const warmup = options.warmup ?? DEFAULT_WARMUP;
    if (warmup > 0) {
      log(`warm-up: ${warmup} sessions at ${options.rate}/s, not measured`);
      await runPhase(server, 0, warmup);
      await sleep(1000);
    }
    let lifecycle: ChurnReport['lifecycle'];
    if (options.lifecycle !== false || options.sessionSeconds === 0) {
      log(`lifecycle: ${options.sessions} sessions at ${options.rate}/s, closed once opened`);
      const phase = await runPhase(server, 0);
      lifecycle = {
        ...phase,
        cpuMsPerSession: round(phase.serverCpuMs / Math.max(1, phase.opened), 3),
      };
      await sleep(1000);
    }
    let whole: ChurnReport['whole'];
    if (options.sessionSeconds > 0) {
      log(
        `whole: ${options.sessions} sessions at ${options.rate}/s, ${options.sessionSeconds} s each`,
      );
      const phase = await runPhase(server, options.sessionSeconds * 1000);
      const sessionSeconds = Math.max(1, phase.opened) * options.sessionSeconds;
      whole = {
        ...phase,
        cpuMsPerSessionSecond: round(phase.serverCpuMs / sessionSeconds, 3),
        streamingCpuMsPerSessionSecond:
          lifecycle === undefined
            ? undefined
            : round(
                (phase.serverCpuMs - lifecycle.cpuMsPerSession * phase.opened) / sessionSeconds,
                3,
              ),
      };
    }
    return {
      rate: options.rate,
      sessionSeconds: options.sessionSeconds,
      recording: options.recording,
      serverRssBaselineMb: round(baselineRss / 2 ** 20, 1),
      serverIdleCpuMsPerSecond: round(idle, 2),
      lifecycle,
      whole,
    };
  } finally {
    await stopServer(child);
    await rm(directory, { recursive: true, force: true });
  }
}

/** The churn targets of issue 18, checked. */
export function checkChurnTargets(report: ChurnReport): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const { lifecycle, whole } = report;
  if (lifecycle !== undefined) {
    checks.push({
      name: 'lifecycle CPU per session',
      target: '≤ 1.0 ms, 0 errors',
      measured: `${lifecycle.cpuMsPerSession} ms, ${lifecycle.protocolErrors} errors`,
      ok: lifecycle.cpuMsPerSession <= 1 && lifecycle.protocolErrors === 0 && lifecycle.finalized,
    });
  }
  if (whole !== undefined) {
    checks.push({
      name: 'whole-session CPU per session-second',
      target: '≤ 0.25 ms, 0 errors',
      measured: `${whole.cpuMsPerSessionSecond} ms, ${whole.protocolErrors} errors`,
      ok: whole.cpuMsPerSessionSecond <= 0.25 && whole.protocolErrors === 0 && whole.finalized,
    });
  }
  return checks;
}

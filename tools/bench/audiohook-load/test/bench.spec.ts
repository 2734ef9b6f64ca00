import { join } from 'node:path';
import { checkChurnTargets, runChurn, type ChurnReport } from '../src/lib/churn';
import { checkTargets, runBenchmark, stats, type BenchReport } from '../src/lib/orchestrator';

const root = join(__dirname, '../../../..');

// The source instead of the bundle, so the smoke tests need no build.
const processes = {
  serverCommand: [process.execPath, '--import', 'tsx', 'apps/audiohook-server/src/main.ts'],
  serverEnv: { TSX_TSCONFIG_PATH: 'apps/audiohook-server/tsconfig.json' },
  driverCommand: [
    process.execPath,
    '--import',
    'tsx',
    'tools/bench/audiohook-load/src/driver-main.ts',
  ],
  cwd: root,
};

/** Both churn phases opened, closed and finished every one of their `sessions`. */
function expectEveryPhaseComplete(report: ChurnReport, sessions: number): void {
  for (const phase of [report.lifecycle, report.whole]) {
    expect(phase).toMatchObject({ sessions, opened: sessions, protocolErrors: 0, finalized: true });
    expect(phase?.closeLatencyMs.count).toBe(sessions);
  }
}

describe('stats', () => {
  it('gives nearest-rank percentiles', () => {
    expect(stats([5, 1, 3, 2, 4])).toEqual({ count: 5, p50: 3, p99: 5, max: 5 });
    expect(stats([])).toEqual({ count: 0, p50: null, p99: null, max: null });
  });
});

describe('the load benchmark at a tiny size', () => {
  it('drives sessions against a real server and reports CPU, RSS, latencies and errors', async () => {
    const report: BenchReport = await runBenchmark({
      ...processes,
      sessions: 3,
      holdSeconds: 1,
      rampSeconds: 0.3,
      recording: true,
    });
    expect(report).toMatchObject({ sessions: 3, opened: 3, protocolErrors: 0, recording: true });
    expect(report.openLatencyMs.count).toBe(3);
    expect(report.framesSent).toBeGreaterThan(10);
    expect(report.serverCpuMsPerSessionSecond).toBeGreaterThanOrEqual(0);
    expect(report.serverRssBaselineMb).toBeGreaterThan(10);
    expect(report.driverCores).toBeGreaterThan(0);
    const targets = checkTargets(report);
    expect(targets.map((t) => t.name)).toEqual([
      'concurrent sessions, zero errors',
      'ping RTT p99',
      'server CPU per session-second',
      'server RSS per session',
    ]);
    expect(targets[0]?.ok).toBe(false); // 3 sessions are not 2,000
  });

  it('churns sessions through a warm-up and both phases and waits for every recording to be finished', async () => {
    const report = await runChurn({
      ...processes,
      sessions: 4,
      rate: 20,
      sessionSeconds: 1,
      recording: true,
      warmup: 2,
    });
    expectEveryPhaseComplete(report, 4);
    for (const phase of [report.lifecycle, report.whole]) {
      expect(phase?.serverCpuMs).toBeGreaterThan(0);
    }
    expect(report.lifecycle?.cpuMsPerSession).toBeGreaterThan(0);
    expect(report.whole?.cpuMsPerSessionSecond).toBeGreaterThan(0);
    expect(checkChurnTargets(report).map((t) => t.name)).toEqual([
      'lifecycle CPU per session',
      'whole-session CPU per session-second',
    ]);
  });

  it('runs the same driver against the floor server (no recording), session for session', async () => {
    const report = await runChurn({
      ...processes,
      serverCommand: [
        process.execPath,
        '--import',
        'tsx',
        'tools/bench/audiohook-load/src/floor-server.ts',
      ],
      sessions: 3,
      rate: 20,
      sessionSeconds: 1,
      recording: false,
      warmup: 0,
    });
    expectEveryPhaseComplete(report, 3);
  });
});

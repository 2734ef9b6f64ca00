// AudioHook load benchmark. Usage (from the workspace root):
//   npx nx run bench-audiohook-load:bench -- --sessions 2000 --hold 60 --ramp 40
// Options: --sessions N, --hold seconds, --ramp seconds, --no-recording, --json.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkTargets, runBenchmark } from './lib/orchestrator';

const root = join(__dirname, '../../../..');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string', default: '200' },
      hold: { type: 'string', default: '20' },
      ramp: { type: 'string', default: '10' },
      'no-recording': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const sessions = Number(values.sessions);
  const hold = Number(values.hold);
  const ramp = Number(values.ramp);
  if (![sessions, hold, ramp].every((n) => Number.isFinite(n) && n > 0)) {
    throw new Error('--sessions, --hold and --ramp must be positive numbers');
  }
  const serverMain = join(root, 'dist/apps/audiohook-server/main.js');
  if (!existsSync(serverMain)) {
    throw new Error(`${serverMain} is missing: run "npx nx build audiohook-server" first`);
  }
  const report = await runBenchmark({
    sessions,
    holdSeconds: hold,
    rampSeconds: ramp,
    recording: !values['no-recording'],
    serverCommand: [process.execPath, serverMain],
    driverCommand: [
      process.execPath,
      '--import',
      'tsx',
      join(root, 'tools/bench/audiohook-load/src/driver-main.ts'),
    ],
    cwd: root,
    log: (line) => process.stderr.write(`bench: ${line}\n`),
  });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const out = [
    `AudioHook load: ${report.opened}/${report.sessions} stereo PCMU sessions, ${report.holdSeconds} s measured, recording ${report.recording ? 'on' : 'off'}`,
    `  protocol errors           ${report.protocolErrors}${report.errorSamples.length > 0 ? ` (e.g. ${report.errorSamples[0]})` : ''}`,
    `  server CPU                ${report.serverCpuMsPerSessionSecond} ms per session-second`,
    `  server RSS                ${report.serverRssKbPerSession} KB per session (baseline ${report.serverRssBaselineMb} MB, peak ${report.serverRssPeakMb} MB)`,
    `  open latency              p50 ${report.openLatencyMs.p50} ms, p99 ${report.openLatencyMs.p99} ms (n=${report.openLatencyMs.count})`,
    `  ping RTT                  p50 ${report.rttMs.p50} ms, p99 ${report.rttMs.p99} ms (n=${report.rttMs.count})`,
    `  driver max tick lag       ${report.driverMaxTickLagMs} ms`,
    '  targets (2,000 sessions, recording on):',
    ...checkTargets(report).map(
      (t) => `    ${t.ok ? 'met   ' : 'missed'} ${t.name}: ${t.measured} (target ${t.target})`,
    ),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});

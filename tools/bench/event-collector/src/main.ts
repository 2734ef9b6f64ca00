/**
 * Event collector benchmark: the fake Genesys pushes AudioHook events as fast as it can to the
 * real collector (both as processes on loopback); the collector writes them to rotating JSONL
 * files; every file is read back to check count, ids, duplicates.
 *
 *   npx nx run bench-event-collector:bench                  # 100,000 events: straight, drop at 50%, failover
 *   BENCH_EVENTS=20000 npx nx run bench-event-collector:bench
 *   BENCH_RUNS=failover npx nx run bench-event-collector:bench
 */
import { runFailover } from './failover';
import { runBenchmark } from './run';

const TARGET = 20_000;

async function throughputRun(name: string, events: number, dropAfter?: number): Promise<boolean> {
  const profileDir = process.env['BENCH_PROFILE_DIR'];
  const res = await runBenchmark({
    events,
    ...(dropAfter === undefined ? {} : { dropAfter }),
    ...(profileDir ? { profileDir } : {}),
  });
  const verdict = res.ok ? (res.eventsPerSecond >= TARGET ? 'PASS' : 'SLOW') : 'FAIL';
  process.stdout.write(
    `${name.padEnd(12)} ${verdict}  ${res.events} events in ${res.seconds.toFixed(2)} s = ${res.eventsPerSecond} events/s to disk; ` +
      `on disk ${res.linesOnDisk} lines in ${res.files} files, missing ${res.missing}, duplicated ${res.duplicated}; ` +
      `reconnects ${res.reconnects}, backfilled ${res.backfilled}\n`,
  );
  process.stdout.write(`${JSON.stringify({ run: name, target: TARGET, ...res })}\n`);
  return res.ok;
}

async function failoverRun(events: number): Promise<boolean> {
  const res = await runFailover({ events });
  // The defaults' bound: LEASE_RENEW_S 5 + LEASE_POLL_S 2 + 2 × LEASE_DURATION_S 15 (the lease
  // must lapse, then the new holder waits out the old holder's lease before it writes) = 37 s.
  const verdict = res.ok && res.takeoverSeconds <= 40 ? 'PASS' : 'FAIL';
  process.stdout.write(
    `${'failover'.padEnd(12)} ${verdict}  leader killed (-9) after ${res.killedAfter} of ${res.events} events; ` +
      `takeover ${res.takeoverSeconds.toFixed(2)} s, every event on disk ${res.recoverySeconds.toFixed(2)} s after the kill; ` +
      `lost ${res.lost}, duplicated ${res.duplicated}; backfilled ${res.backfilled}; ` +
      `${res.eventsPerSecond} events/s overall\n`,
  );
  process.stdout.write(`${JSON.stringify({ run: 'failover', ...res })}\n`);
  return verdict === 'PASS';
}

async function main(): Promise<void> {
  const events = Number(process.env['BENCH_EVENTS'] ?? 100_000);
  const runs = (process.env['BENCH_RUNS'] ?? 'straight,drop,failover').split(',');
  let ok = true;
  if (runs.includes('straight')) ok = (await throughputRun('straight', events)) && ok;
  if (runs.includes('drop')) {
    ok = (await throughputRun('drop at 50%', events, Math.floor(events / 2))) && ok;
  }
  if (runs.includes('failover')) ok = (await failoverRun(events)) && ok;
  process.exitCode = ok ? 0 : 1;
}

void main();

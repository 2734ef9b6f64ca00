/**
 * Event collector benchmark: the fake Genesys pushes AudioHook events as fast as it can to the
 * real collector (both as processes on loopback); the collector writes them to rotating JSONL
 * files; every file is read back to check count, ids, duplicates.
 *
 *   npx nx run bench-event-collector:bench                  # 100,000 events, then again with a drop at 50%
 *   BENCH_EVENTS=20000 npx nx run bench-event-collector:bench
 */
import { runBenchmark } from './run';

async function main(): Promise<void> {
  const events = Number(process.env['BENCH_EVENTS'] ?? 100_000);
  const target = 20_000;
  const profileDir = process.env['BENCH_PROFILE_DIR'];
  const runs = [
    { name: 'straight', opts: { events } },
    { name: 'drop at 50%', opts: { events, dropAfter: Math.floor(events / 2) } },
  ];
  let failed = false;
  for (const r of runs) {
    const res = await runBenchmark({ ...r.opts, ...(profileDir ? { profileDir } : {}) });
    const verdict = res.ok ? (res.eventsPerSecond >= target ? 'PASS' : 'SLOW') : 'FAIL';
    if (!res.ok) failed = true;
    process.stdout.write(
      `${r.name.padEnd(12)} ${verdict}  ${res.events} events in ${res.seconds.toFixed(2)} s = ${res.eventsPerSecond} events/s to disk; ` +
        `on disk ${res.linesOnDisk} lines in ${res.files} files, missing ${res.missing}, duplicated ${res.duplicated}; ` +
        `reconnects ${res.reconnects}, backfilled ${res.backfilled}\n`,
    );
    process.stdout.write(`${JSON.stringify({ run: r.name, target, ...res })}\n`);
  }
  process.exitCode = failed ? 1 : 0;
}

void main();

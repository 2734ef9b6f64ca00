import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  auditOutput,
  getJson,
  startCollector,
  startFakeGenesys,
  stopProcess,
  waitHealth,
} from './lib/processes';

export interface BenchOptions {
  /** Events the fake publishes. @default 100000 */
  events: number;
  /** Drop every socket (1006) after this many events; undefined: no reconnect. */
  dropAfter?: number;
  /** Rotation threshold of the JSONL file. @default 8 MiB */
  maxFileSize?: number;
  /** Give up after this long. @default 300000 */
  timeoutMs?: number;
  /** Write a V8 CPU profile of the collector process here (`BENCH_PROFILE_DIR`). */
  profileDir?: string;
}

export interface BenchResult {
  events: number;
  dropAfter: number | null;
  /** Lines found across the live file and its rotated backups. */
  linesOnDisk: number;
  unique: number;
  missing: number;
  duplicated: number;
  files: number;
  /** From the moment publishing started to the moment the last event was written. */
  seconds: number;
  eventsPerSecond: number;
  backfilled: number;
  reconnects: number;
  ok: boolean;
}

const written = (h: Record<string, unknown>): number =>
  Number((h['output'] as { written?: number } | undefined)?.written ?? 0);

/**
 * One benchmark run: the fake Genesys and the real collector as two processes on loopback; the
 * fake publishes `events` AudioHook events as fast as its socket takes them; the run ends when the
 * collector has written them all (or times out), then every file is read back and checked.
 */
export async function runBenchmark(o: BenchOptions): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-event-collector-'));
  const timeoutMs = o.timeoutMs ?? 300_000;
  const { fake, base } = await startFakeGenesys();
  let collector: Awaited<ReturnType<typeof startCollector>> | undefined;
  try {
    collector = await startCollector(
      base,
      {
        OUTPUT_FILE: join(dir, 'audiohook_events.jsonl'),
        MAX_FILE_SIZE: String(o.maxFileSize ?? 8 * 1024 * 1024),
      },
      o.profileDir,
    );
    const deadline = Date.now() + timeoutMs;
    await waitHealth(collector.health, (h) => h['receiving'] === true, deadline);

    const dropAfter =
      o.dropAfter === undefined ? undefined : Math.max(500, Math.round(o.dropAfter / 500) * 500);
    const t0 = Date.now();
    const publishing = getJson(`${base}/__fake/publish-many`, {
      method: 'POST',
      timeoutMs,
      body: JSON.stringify({ count: o.events, ...(dropAfter === undefined ? {} : { dropAfter }) }),
    });
    const h = await waitHealth(collector.health, (x) => written(x) >= o.events, deadline);
    const seconds = (Date.now() - t0) / 1000;
    await publishing;
    const counters = (h['counters'] ?? {}) as Record<string, number>;
    await stopProcess(collector.child);
    const a = auditOutput(dir, o.events);
    return {
      events: o.events,
      dropAfter: dropAfter ?? null,
      linesOnDisk: a.lines,
      unique: a.unique,
      missing: a.missing,
      duplicated: a.duplicated,
      files: a.files,
      seconds,
      eventsPerSecond: Math.round(o.events / seconds),
      backfilled: counters['events_backfilled'] ?? 0,
      reconnects: counters['reconnects'] ?? 0,
      ok: a.missing === 0 && a.duplicated === 0 && a.lines === o.events,
    };
  } finally {
    if (collector) await stopProcess(collector.child);
    await stopProcess(fake);
    rmSync(dir, { recursive: true, force: true });
  }
}

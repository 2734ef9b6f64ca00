import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the workspace root is, from this file. */
const ROOT = join(__dirname, '..', '..', '..', '..');
const COLLECTOR_MAIN = join(ROOT, 'apps/event-collector/src/main.ts');
const FAKES_MAIN = join(ROOT, 'apps/event-collector/test/fakes/run-fakes.ts');

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

function startProcess(
  script: string,
  env: Record<string, string>,
  tsconfig: string,
  profileDir?: string,
): ChildProcess {
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  return spawn(process.execPath, [...profile, '--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${pattern}: ${buf.slice(-500)}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = pattern.exec(buf);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${code}) before ${pattern}: ${buf.slice(-500)}`));
    });
  });
}

async function getJson(url: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const res = await fetch(url, init);
  return (await res.json()) as Record<string, unknown>;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

/**
 * One benchmark run: the fake Genesys and the real collector as two processes on loopback; the
 * fake publishes `events` AudioHook events as fast as its socket takes them; the run ends when the
 * collector has written them all (or times out), then every file is read back and checked.
 */
export async function runBenchmark(o: BenchOptions): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-event-collector-'));
  const outFile = join(dir, 'audiohook_events.jsonl');
  const timeoutMs = o.timeoutMs ?? 300_000;
  const fake = startProcess(
    FAKES_MAIN,
    {
      FAKE_GENESYS_PORT: '0',
      FAKE_ELASTIC_PORT: '0',
      FAKE_PUBLISH_EVERY_MS: '0',
      FAKE_HEARTBEAT_MS: '5000',
    },
    'apps/event-collector/tsconfig.json',
  );
  let collector: ChildProcess | undefined;
  try {
    const base =
      (await waitForOutput(fake, /fake Genesys on (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1] ?? '';
    collector = startProcess(
      COLLECTOR_MAIN,
      {
        GENESYS_CLIENT_ID: 'client-id',
        GENESYS_CLIENT_SECRET: 'client-secret',
        GENESYS_LOGIN_BASE_URL: base,
        GENESYS_API_BASE_URL: base,
        OUTPUT_FILE: outFile,
        MAX_FILE_SIZE: String(o.maxFileSize ?? 8 * 1024 * 1024),
        BACKUP_COUNT: '1000',
        TOPICS_FILE: '',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        CONSOLE_OUTPUT: 'false',
        LOG_LEVEL: 'info',
        RECONNECT_DELAY: '0.1',
        BACKFILL_MARGIN_S: '1',
        MIN_CHANNEL_CREATE_INTERVAL_S: '0',
        HEARTBEAT_TIMEOUT_MS: '15000',
      },
      'apps/event-collector/tsconfig.json',
      o.profileDir,
    );
    const port = (
      await waitForOutput(collector, /"port":(\d+),"msg":"status server listening"/, 60_000)
    )[1];
    const health = `http://127.0.0.1:${port}/health`;
    const deadline = Date.now() + timeoutMs;
    const empty: Record<string, unknown> = {};
    while (!(await getJson(health).catch(() => empty))['receiving']) {
      if (Date.now() > deadline) throw new Error('collector never connected');
      await new Promise((r) => setTimeout(r, 50));
    }

    const dropAfter =
      o.dropAfter === undefined ? undefined : Math.max(500, Math.round(o.dropAfter / 500) * 500);
    const t0 = Date.now();
    const publishing = getJson(`${base}/__fake/publish-many`, {
      method: 'POST',
      body: JSON.stringify({ count: o.events, ...(dropAfter === undefined ? {} : { dropAfter }) }),
    });
    let written = 0;
    let h: Record<string, unknown> = {};
    while (written < o.events) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 25));
      h = await getJson(health).catch(() => h);
      written = Number((h['output'] as { written?: number } | undefined)?.written ?? 0);
    }
    const seconds = (Date.now() - t0) / 1000;
    await publishing;
    const counters = (h['counters'] ?? {}) as Record<string, number>;
    await stopProcess(collector);

    const files = readdirSync(dir).filter((f) => /^audiohook_events\.jsonl(\.\d+)?$/.test(f));
    const seen = new Map<string, number>();
    let lines = 0;
    for (const f of files) {
      for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
        if (line === '') continue;
        lines += 1;
        const id = String((JSON.parse(line) as { conversation_id?: string }).conversation_id);
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    }
    let missing = 0;
    for (let i = 0; i < o.events; i += 1) {
      if (!seen.has(`34c18827-77a6-4970-ad66-${String(i).padStart(12, '0')}`)) missing += 1;
    }
    const duplicated = [...seen.values()].filter((n) => n > 1).length;
    return {
      events: o.events,
      dropAfter: dropAfter ?? null,
      linesOnDisk: lines,
      unique: seen.size,
      missing,
      duplicated,
      files: files.length,
      seconds,
      eventsPerSecond: Math.round(o.events / seconds),
      backfilled: counters['events_backfilled'] ?? 0,
      reconnects: counters['reconnects'] ?? 0,
      ok: missing === 0 && duplicated === 0 && lines === o.events,
    };
  } finally {
    if (collector) await stopProcess(collector);
    await stopProcess(fake);
    rmSync(dir, { recursive: true, force: true });
  }
}

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the workspace root is, from this file. */
export const ROOT = join(__dirname, '..', '..', '..', '..', '..');
const COLLECTOR_MAIN = join(ROOT, 'apps/event-collector/src/main.ts');
const FAKES_MAIN = join(ROOT, 'apps/event-collector/test/fakes/run-fakes.ts');
const TSCONFIG = 'apps/event-collector/tsconfig.json';

/** Starts a TypeScript entry point of the workspace as a process (through tsx). */
function startProcess(
  script: string,
  env: Record<string, string>,
  profileDir?: string,
): ChildProcess {
  const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  return spawn(process.execPath, [...profile, '--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the first match of `pattern` in the process's stdout. */
export function waitForOutput(
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

export async function getJson(
  url: string,
  init?: RequestInit & { timeoutMs?: number },
): Promise<Record<string, unknown>> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(init?.timeoutMs ?? 10_000) });
  return (await res.json()) as Record<string, unknown>;
}

/** SIGTERM (SIGKILL after 15 s); `kill9` skips the shutdown entirely. */
export async function stopProcess(child: ChildProcess, kill9 = false): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(kill9 ? 'SIGKILL' : 'SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

/** The fake Genesys as a process; resolves with it and its base URL. */
export async function startFakeGenesys(): Promise<{ fake: ChildProcess; base: string }> {
  const fake = startProcess(FAKES_MAIN, {
    FAKE_GENESYS_PORT: '0',
    FAKE_ELASTIC_PORT: '0',
    FAKE_DYNAMODB_PORT: '0',
    FAKE_PUBLISH_EVERY_MS: '0',
    FAKE_HEARTBEAT_MS: '5000',
  });
  try {
    const m = await waitForOutput(fake, /fake Genesys on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
    return { fake, base: m[1] ?? '' };
  } catch (err) {
    await stopProcess(fake);
    throw err;
  }
}

/** One collector process against the fake; resolves once its status server listens. */
export async function startCollector(
  base: string,
  env: Record<string, string>,
  profileDir?: string,
): Promise<{ child: ChildProcess; health: string }> {
  const child = startProcess(
    COLLECTOR_MAIN,
    {
      GENESYS_CLIENT_ID: 'client-id',
      GENESYS_CLIENT_SECRET: 'client-secret',
      GENESYS_LOGIN_BASE_URL: base,
      GENESYS_API_BASE_URL: base,
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
      ...env,
    },
    profileDir,
  );
  const logDir = process.env['BENCH_LOG_DIR'];
  if (logDir) {
    const name = `collector-${child.pid ?? 'x'}.log`;
    child.stdout?.pipe(createWriteStream(join(logDir, name)));
    child.stderr?.pipe(createWriteStream(join(logDir, `${name}.err`)));
  }
  const port = (
    await waitForOutput(child, /"port":(\d+),"msg":"status server listening"/, 60_000)
  )[1];
  return { child, health: `http://127.0.0.1:${port}/health` };
}

/** Polls `/health` until `check` holds (or the deadline passes); returns the last document. */
export async function waitHealth(
  url: string,
  check: (h: Record<string, unknown>) => boolean,
  deadline: number,
): Promise<Record<string, unknown>> {
  let h: Record<string, unknown> = {};
  for (;;) {
    h = await getJson(url).catch(() => h);
    if (check(h) || Date.now() > deadline) return h;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What the output folder holds, read back: lines, and events 0..count-1 lost or duplicated. */
export function auditOutput(
  dir: string,
  count: number,
): { lines: number; unique: number; missing: number; duplicated: number; files: number } {
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
  for (let i = 0; i < count; i += 1) {
    if (!seen.has(`34c18827-77a6-4970-ad66-${String(i).padStart(12, '0')}`)) missing += 1;
  }
  const duplicated = [...seen.values()].filter((n) => n > 1).length;
  return { lines, unique: seen.size, missing, duplicated, files: files.length };
}

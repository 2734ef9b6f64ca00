// Issue 14: recordings owned per instance. Each process writes into its own work folder with a
// heartbeat; a dead instance's folder is adopted by exactly one live instance; restarting one
// server never touches another's open files.

import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { INSTANCES_DIR, OWNER_FILE, RecordingFolders } from '../src/lib/recording/folders';
import { processIdentity } from '../src/lib/recording/liveness';
import { memoryLogger } from './helpers/logger';
import { startServerProcess, WORKSPACE_ROOT } from './helpers/process';
import { RawClient } from './helpers/raw-client';
import { openRecovery } from './helpers/recovery';
import { startTestServer, UNSIGNED_KEY } from './helpers/server';
import { until } from './helpers/wait';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ahs-own-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const logger = memoryLogger().logger;
const ID = '12345678-1234-4234-8234-123456789abc';

function folders(runId: string, now: () => number): RecordingFolders {
  return new RecordingFolders({
    root,
    instanceId: 'x',
    runId,
    heartbeatMs: 60_000,
    staleAfterMs: 30_000,
    logger,
    now,
    sleep: () => Promise.resolve(), // a stale-looking heartbeat is read again at once
  });
}

describe('RecordingFolders', () => {
  it('sees another instance as alive until its heartbeat is older than the stale timeout', async () => {
    let now = 1_000_000;
    const clock = () => now;
    const a = folders('a-run', clock);
    const b = folders('b-run', clock);
    await a.open();
    await b.open();
    // Same host, live process: alive while its heartbeat is fresh.
    now += 29_000;
    expect((await b.instances()).map((i) => [i.runId, i.dead])).toEqual([['a-run', false]]);
    now += 2000;
    expect((await b.instances()).map((i) => [i.runId, i.dead])).toEqual([['a-run', true]]);
    await a.close();
    await b.close();
  });

  it('takes a folder whose process is gone in this PID namespace for dead at once', async () => {
    const dead = join(root, INSTANCES_DIR, 'gone-run');
    await mkdir(dead, { recursive: true });
    const me = processIdentity();
    await writeFile(
      join(dead, OWNER_FILE),
      JSON.stringify({
        instanceId: 'gone',
        runId: 'gone-run',
        host: me.host,
        pid: 2 ** 22 + 7, // above pid_max: no such process
        pidNamespace: me.pidNamespace,
        bootId: me.bootId,
        startedAt: new Date().toISOString(),
        heartbeatAt: Date.now(),
      }),
    );
    const observer = folders('me-run', Date.now);
    await observer.open();
    expect((await observer.instances()).map((i) => [i.runId, i.dead])).toEqual([
      ['gone-run', true],
    ]);
    await observer.close();
  });

  it('lets exactly one of several instances adopt a dead folder', async () => {
    await mkdir(join(root, INSTANCES_DIR, 'dead-run'), { recursive: true });
    await writeFile(join(root, INSTANCES_DIR, 'dead-run', `${ID}.json`), '{}');
    const adopters = ['p-run', 'q-run', 'r-run'].map((id) => folders(id, Date.now));
    for (const f of adopters) await f.open();
    const results = await Promise.all(adopters.map((f) => f.adopt('dead-run')));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    for (const f of adopters) await f.close();
  });

  it('removes its work folder at a clean stop, and keeps one that still holds files', async () => {
    const f = folders('stop-run', Date.now);
    await f.open();
    await f.close();
    expect(await readdir(root)).toEqual([]);
    const g = folders('busy-run', Date.now);
    await g.open();
    await writeFile(join(g.work, `${ID}.wav`), new Uint8Array(44));
    await g.close();
    expect(await readdir(join(root, INSTANCES_DIR, 'busy-run'))).toEqual([`${ID}.wav`]);
  });
});

describe('RecoveryService', () => {
  it('adopts a dead instance, repairs its recording and moves it to LOG_ROOT_DIR; leaves live ones alone', async () => {
    const live = folders('live-run', Date.now);
    await live.open();
    await writeFile(
      join(live.work, `${ID}.json`),
      '{"header":{"timestamp":"T","id":"x"},"body":[\n',
    );
    const deadId = '87654321-4321-4321-8321-cba987654321';
    const dead = join(root, INSTANCES_DIR, 'dead-run');
    await mkdir(dead, { recursive: true });
    await writeFile(
      join(dead, OWNER_FILE),
      JSON.stringify({
        runId: 'dead-run',
        host: 'elsewhere',
        pid: 1,
        heartbeatAt: Date.now() - 120_000,
      }),
    );
    await writeFile(
      join(dead, `${deadId}.json`),
      '{"header":{"timestamp":"2026-01-01T00:00:00.000Z","id":"x"},"body":[\n{"timestamp":"PT0S","type":"httpInfo","data":{}}',
    );
    const { recovery, close } = await openRecovery(root, logger, undefined, { runId: 'me-run' });
    const result = await recovery.sweep();
    await close();
    expect(result).toEqual({ found: 1, repaired: 1, stored: 1, failed: 0, adopted: 1 });
    const moved = JSON.parse(await readFile(join(root, `${deadId}.json`), 'utf8')) as {
      body: { type: string; data: unknown }[];
    };
    expect(moved.body.at(-1)).toMatchObject({ type: 'end', data: { repaired: true } });
    // The live instance's open file is where it was, untouched.
    expect(await readdir(live.work)).toEqual([`${ID}.json`, OWNER_FILE].sort());
    expect(await readdir(join(root, INSTANCES_DIR))).toEqual(['live-run']);
    await rm(join(live.work, `${ID}.json`));
    await live.close();
  });
});

describe('the recover command', () => {
  function recover(args: string[]): Promise<number | null> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'apps/audiohook-server/src/main.ts', 'recover', ...args],
      {
        cwd: WORKSPACE_ROOT,
        env: {
          ...process.env,
          TSX_TSCONFIG_PATH: 'apps/audiohook-server/tsconfig.json',
          LOG_ROOT_DIR: root,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
    return new Promise((resolve) => child.once('exit', resolve));
  }

  it('recovers a run named with --force even while its heartbeat looks fresh, and only that one', async () => {
    for (const run of ['frozen-run', 'other-run']) {
      const folder = join(root, INSTANCES_DIR, run);
      await mkdir(folder, { recursive: true });
      await writeFile(
        join(folder, OWNER_FILE),
        JSON.stringify({ runId: run, host: 'elsewhere', pid: 1, heartbeatAt: Date.now() }),
      );
      await writeFile(
        join(folder, `${run === 'frozen-run' ? ID : '99999999-9999-4999-8999-999999999999'}.json`),
        '{"header":{"timestamp":"2026-01-01T00:00:00.000Z","id":"x"},"body":[\n',
      );
    }
    expect(await recover([])).toBe(0);
    expect(await readdir(join(root, INSTANCES_DIR))).toEqual(['frozen-run', 'other-run']);
    expect(await recover(['--force', 'frozen-run'])).toBe(0);
    expect(await readdir(join(root, INSTANCES_DIR))).toEqual(['other-run']);
    expect((await readdir(root)).sort()).toEqual([`${ID}.json`, INSTANCES_DIR].sort());
    JSON.parse(await readFile(join(root, `${ID}.json`), 'utf8'));
  }, 60_000);

  it('exits 2 with one line for an unknown argument', async () => {
    expect(await recover(['--everything'])).toBe(2);
  }, 30_000);
});

/** A client that sends numbered frames on request and remembers them. */
class Streamer {
  readonly client: RawClient;
  readonly sent: Uint8Array[] = [];

  constructor(url: string) {
    this.client = new RawClient({ url, apiKey: UNSIGNED_KEY });
  }

  async open(): Promise<void> {
    await this.client.opened;
    this.client.open();
    await this.client.waitFor('opened');
  }

  send(frames: number): void {
    for (let i = 0; i < frames; i++) {
      const frame = new Uint8Array(1600).fill((this.sent.length * 13 + 1) & 0xff);
      this.sent.push(frame);
      this.client.sendRaw(frame);
    }
  }
}

async function wavsIn(folder: string): Promise<string[]> {
  return (await readdir(folder).catch(() => [] as string[])).filter((f) => f.endsWith('.wav'));
}

describe('two servers on one recording folder', () => {
  it('restarting one after a kill -9 recovers its recording and never touches the other’s open files', async () => {
    const env = {
      LOG_ROOT_DIR: root,
      STATIC_API_KEY_MAP: JSON.stringify({ [UNSIGNED_KEY]: null }),
      RECORDING_FLUSH_BYTES: '0',
      RECOVERY_HEARTBEAT_S: '1',
      RECOVERY_STALE_AFTER_S: '30',
      RECOVERY_SCAN_INTERVAL_S: '1',
    };
    const a = await startTestServer(env);
    try {
      const onA = new Streamer(a.url());
      await onA.open();
      onA.send(5);

      const b = await startServerProcess(env);
      const onB = new Streamer(`ws://127.0.0.1:${b.port}/api/v1/audiohook/ws`);
      await onB.open();
      onB.send(4);
      const bRun = (
        JSON.parse(b.lines.find((l) => l.includes('"runId"')) ?? '{}') as {
          runId: string;
        }
      ).runId;
      const bWork = join(root, INSTANCES_DIR, bRun);
      await until(async () => {
        const [wav] = await wavsIn(bWork);
        if (wav === undefined) return undefined;
        return (await stat(join(bWork, wav))).size === 44 + 4 * 1600 ? true : undefined;
      }, 'B to write its audio');
      b.child.kill('SIGKILL');
      expect(await b.exited).toBe('SIGKILL');
      await onB.client.closed;

      // What A has open right now, by inode.
      const aWork = a.app.storage?.folders.work as string;
      const before = await inodes(aWork);
      expect(Object.keys(before).filter((f) => f.endsWith('.wav'))).toHaveLength(1);

      const restarted = await startServerProcess(env);
      // B's crashed recording is recovered into LOG_ROOT_DIR: repaired, every written byte kept.
      const recovered = await until(async () => (await wavsIn(root))[0], 'the recovery of B');
      const wav = parseWav(new Uint8Array(await readFile(join(root, recovered))));
      expect(Buffer.from(wav.data).equals(Buffer.concat(onB.sent))).toBe(true);
      const sidecar = JSON.parse(
        await readFile(join(root, recovered.replace('.wav', '.json')), 'utf8'),
      ) as { body: { type: string; data: Record<string, unknown> }[] };
      expect(sidecar.body.at(-1)).toMatchObject({ type: 'end', data: { repaired: true } });
      expect(await readdir(join(root, INSTANCES_DIR))).not.toContain(bRun);

      // A's open files: same files, same inodes, still in A's folder; A streams on.
      const after = await inodes(aWork);
      for (const [name, inode] of Object.entries(before)) expect(after[name]).toBe(inode);
      onA.send(5);
      await onA.client.finish();
      await until(async () => ((await wavsIn(root)).length === 2 ? true : undefined), 'A');
      const aWav = (await wavsIn(root)).find((f) => f !== recovered) as string;
      const aData = parseWav(new Uint8Array(await readFile(join(root, aWav)))).data;
      expect(Buffer.from(aData).equals(Buffer.concat(onA.sent))).toBe(true);

      restarted.child.kill('SIGTERM');
      expect(await restarted.exited).toBe(0);
    } finally {
      await a.stop();
    }
    // Both stopped cleanly: no work folder left behind.
    expect(
      await readdir(root).then((names) =>
        names.filter((n) => !n.endsWith('.wav') && !n.endsWith('.json')),
      ),
    ).toEqual([]);
  }, 120_000);
});

async function inodes(folder: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of await readdir(folder)) {
    if (name.startsWith(OWNER_FILE)) continue; // the heartbeat is rewritten every second
    out[name] = (await stat(join(folder, name))).ino;
  }
  return out;
}

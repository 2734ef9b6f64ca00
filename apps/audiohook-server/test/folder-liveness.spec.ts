// Whether another process's work folder is dead: the pid shortcut only within one PID space (host,
// PID namespace and boot all the same), and a heartbeat this process saw change kept alive
// whatever the wall clocks say. Identities and clocks are injected; no test waits.

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  INSTANCES_DIR,
  OWNER_FILE,
  RecordingFolders,
  type OwnerRecord,
} from '../src/lib/recording/folders';
import {
  BOOT_ID_FILE,
  PID_NAMESPACE_LINK,
  processIdentity,
  type ProcessIdentity,
} from '../src/lib/recording/liveness';
import { loadConfig } from '../src/config';
import { RecoveryService } from '../src/lib/recording/recovery';
import { LocalRecordingSink } from '../src/lib/recording/uploader';
import { memoryLogger } from './helpers/logger';
import { openRecovery } from './helpers/recovery';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ahs-live-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const logger = memoryLogger().logger;
const ID = '12345678-1234-4234-8234-123456789abc';
const STALE_MS = 30_000;

/** This process as the folders see it by default (real /proc where there is one). */
const ME = processIdentity();

/** Writes the heartbeat of another process's work folder, as that process would. */
async function heartbeat(runId: string, owner: Partial<OwnerRecord>): Promise<string> {
  const folder = join(root, INSTANCES_DIR, runId);
  await mkdir(folder, { recursive: true });
  await writeFile(
    join(folder, OWNER_FILE),
    JSON.stringify({
      instanceId: runId,
      runId,
      startedAt: new Date().toISOString(),
      heartbeatAt: Date.now(),
      ...owner,
    }),
  );
  return folder;
}

function observer(
  runId: string,
  options: {
    identity?: ProcessIdentity;
    now?: () => number;
    monotonic?: () => number;
    sleep?: (ms: number) => Promise<void>;
  } = {},
): RecordingFolders {
  return new RecordingFolders({
    root,
    instanceId: 'observer',
    runId,
    heartbeatMs: 10_000,
    staleAfterMs: STALE_MS,
    logger,
    sleep: () => Promise.resolve(), // a stale-looking heartbeat is read again at once
    ...options,
  });
}

async function deadness(folders: RecordingFolders): Promise<[string, boolean][]> {
  return (await folders.instances()).map((i) => [i.runId, i.dead]);
}

describe('processIdentity', () => {
  it('reads the PID namespace link and the boot id from the sources it is given', () => {
    const files: Record<string, string> = {
      [PID_NAMESPACE_LINK]: 'pid:[4026532417]',
      [BOOT_ID_FILE]: 'd3b07384-d9a0-4c9b-8a1f-000000000001\n',
    };
    const read = (path: string): string => {
      const value = files[path];
      if (value === undefined) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      return value;
    };
    expect(
      processIdentity({ hostname: () => 'node-1', pid: 1, readLink: read, readText: read }),
    ).toEqual({
      host: 'node-1',
      pid: 1,
      pidNamespace: 'pid:[4026532417]',
      bootId: 'd3b07384-d9a0-4c9b-8a1f-000000000001',
    });
  });

  it('leaves both unknown where there is no /proc', () => {
    const none = (): string => {
      throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
    };
    expect(
      processIdentity({ hostname: () => 'mac', pid: 42, readLink: none, readText: none }),
    ).toEqual({ host: 'mac', pid: 42, pidNamespace: undefined, bootId: undefined });
  });
});

describe('the pid shortcut', () => {
  it('does not take the fresh folder of a container with the same host name and pid but another PID namespace for dead', async () => {
    // ECS on EC2 with host networking, Kubernetes hostNetwork: every container is pid 1 on a host
    // name they share. Here the other container's pid is this process's own pid.
    await heartbeat('other-container-run', {
      host: hostname(),
      pid: process.pid,
      pidNamespace: 'pid:[4026530001]',
      ...(ME.bootId === undefined ? {} : { bootId: ME.bootId }),
    });
    const me = observer('me-run');
    await me.open();
    expect(await deadness(me)).toEqual([['other-container-run', false]]);
    await me.close();
  });

  it('leaves the open recording of such a container where it is when sweeping', async () => {
    const folder = await heartbeat('other-container-run', {
      host: hostname(),
      pid: process.pid,
      pidNamespace: 'pid:[4026530001]',
    });
    await writeFile(join(folder, `${ID}.wav`), new Uint8Array(44 + 1600));
    const { recovery, close } = await openRecovery(root, logger, undefined, {
      runId: 'me-run',
      staleAfterMs: STALE_MS,
    });
    const result = await recovery.sweep();
    await close();
    expect(result.adopted).toBe(0);
    expect((await readdir(folder)).sort()).toEqual([`${ID}.wav`, OWNER_FILE].sort());
  });

  it('takes a folder for dead at once when its process is gone in the same PID namespace and boot', async () => {
    const identity: ProcessIdentity = {
      host: 'node-1',
      pid: 7,
      pidNamespace: 'pid:[4026531836]',
      bootId: 'boot-a',
    };
    await heartbeat('crashed-run', {
      host: 'node-1',
      pid: 8,
      pidNamespace: 'pid:[4026531836]',
      bootId: 'boot-a',
    });
    const me = new RecordingFolders({
      root,
      instanceId: 'observer',
      runId: 'me-run',
      heartbeatMs: 60_000,
      staleAfterMs: STALE_MS,
      logger,
      identity,
      pidExists: (pid) => pid === 7,
    });
    await me.open();
    const [state] = await me.instances();
    expect(state).toMatchObject({ runId: 'crashed-run', dead: true, deadBecause: 'process-gone' });
    await me.close();
  });

  it('waits for the stale timeout when the boot differs or an identity is unknown', async () => {
    const here: ProcessIdentity = {
      host: 'node-1',
      pid: 7,
      pidNamespace: 'pid:[4026531836]',
      bootId: 'boot-b',
    };
    const gone = { host: 'node-1', pid: 8, pidNamespace: 'pid:[4026531836]' };
    await heartbeat('earlier-boot-run', { ...gone, bootId: 'boot-a' });
    await heartbeat('old-version-run', { host: 'node-1', pid: 8 }); // written before namespaces
    const me = new RecordingFolders({
      root,
      instanceId: 'observer',
      runId: 'me-run',
      heartbeatMs: 60_000,
      staleAfterMs: STALE_MS,
      logger,
      identity: here,
      pidExists: () => false,
    });
    await me.open();
    expect(await deadness(me)).toEqual([
      ['earlier-boot-run', false],
      ['old-version-run', false],
    ]);
    await me.close();
    // An observer that cannot read its own namespace never uses the shortcut either.
    await heartbeat('same-space-run', { ...gone, bootId: 'boot-b' });
    const blind = observer('blind-run', {
      identity: { ...here, pidNamespace: undefined },
    });
    await blind.open();
    expect((await deadness(blind)).find(([runId]) => runId === 'same-space-run')).toEqual([
      'same-space-run',
      false,
    ]);
    await blind.close();
  });

  it('writes its PID namespace and boot id into its heartbeat', async () => {
    const identity: ProcessIdentity = {
      host: 'node-1',
      pid: 1,
      pidNamespace: 'pid:[4026532417]',
      bootId: 'boot-a',
    };
    const f = observer('writer-run', { identity });
    await f.open();
    expect(JSON.parse(await readFile(join(f.work, OWNER_FILE), 'utf8'))).toMatchObject({
      host: 'node-1',
      pid: 1,
      pidNamespace: 'pid:[4026532417]',
      bootId: 'boot-a',
      beat: 1,
    });
    await f.close();
  });
});

describe('heartbeats watched on the observer’s own clock', () => {
  it('keeps a heartbeat it saw written within the stale timeout alive when the wall clocks disagree by minutes', async () => {
    let mono = 0;
    const advance = async (ms: number): Promise<void> => {
      mono += ms;
    };
    // The observer's wall clock runs 10 minutes ahead of the writer's.
    const ahead = () => Date.now() + 600_000;
    await heartbeat('live-run', { host: 'elsewhere', pid: 1, beat: 1 });
    const me = observer('me-run', { now: ahead, monotonic: () => mono, sleep: advance });
    await me.open();
    // First read, and no beat during the wait before the second one: dead by the wall clocks.
    expect(await deadness(me)).toEqual([['live-run', true]]);
    // The writer beats; 20 s later (observer's clock) the observer sees the change.
    await heartbeat('live-run', { host: 'elsewhere', pid: 1, beat: 2 });
    mono += 20_000;
    const [seen] = await me.instances();
    expect(seen).toMatchObject({ runId: 'live-run', dead: false, writtenWithinMs: 20_000 });
    // It keeps beating: alive at every read.
    for (let beat = 3; beat < 10; beat++) {
      await heartbeat('live-run', { host: 'elsewhere', pid: 1, beat });
      mono += 25_000;
      expect(await deadness(me)).toEqual([['live-run', false]]);
    }
    // It stops: once the last change it saw is older than the stale timeout, the wall clock
    // decides again (here: dead).
    mono += 25_000;
    expect(await deadness(me)).toEqual([['live-run', true]]);
    await me.close();
  });

  it('takes a folder for dead no later than the wall clock alone would (no slower recovery)', async () => {
    let wall = 1_000_000;
    let mono = 0;
    const me = observer('me-run', {
      now: () => wall,
      monotonic: () => mono,
      sleep: async (ms) => {
        wall += ms;
        mono += ms;
      },
    });
    await me.open();
    await heartbeat('dying-run', { host: 'elsewhere', pid: 1, heartbeatAt: wall, beat: 1 });
    expect(await deadness(me)).toEqual([['dying-run', false]]);
    // Its last heartbeat, then reads every 30 s (the scan interval) on agreeing clocks.
    wall += 5000;
    mono += 5000;
    await heartbeat('dying-run', { host: 'elsewhere', pid: 1, heartbeatAt: wall, beat: 2 });
    const lastBeat = wall;
    wall += 25_000;
    mono += 25_000;
    expect(await deadness(me)).toEqual([['dying-run', false]]);
    wall += 30_000;
    mono += 30_000;
    expect(wall - lastBeat).toBeGreaterThan(STALE_MS);
    expect(await deadness(me)).toEqual([['dying-run', true]]);
    await me.close();
  });
});

describe('stale-looking heartbeats read again before adoption, at the default settings', () => {
  const { heartbeatMs, staleAfterMs, scanIntervalMs } = loadConfig({}).recording.ownership;

  /** A recovery as the server builds it, with the default timings and an injected wait. */
  async function defaultRecovery(
    monotonic: () => number,
    sleep: (ms: number) => Promise<void>,
    now: () => number = Date.now,
  ): Promise<{ folders: RecordingFolders; recovery: RecoveryService }> {
    const folders = new RecordingFolders({
      root,
      instanceId: 'observer',
      runId: 'me-run',
      heartbeatMs,
      staleAfterMs,
      logger,
      monotonic,
      sleep,
      now,
    });
    await folders.open();
    const sink = new LocalRecordingSink((path) => folders.finalize(path));
    return { folders, recovery: new RecoveryService({ folders, sink, logger, scanIntervalMs }) };
  }

  it('never adopts a live folder whose owner clock lags an hour while its beat counter moves, from the first sighting on', async () => {
    expect(scanIntervalMs).toBeGreaterThanOrEqual(staleAfterMs); // what made the watch blind
    let mono = 0;
    let beat = 1;
    const lagging = (): Partial<OwnerRecord> => ({
      host: 'elsewhere',
      pid: 1,
      heartbeatAt: Date.now() - 3_600_000,
      beat: beat++,
    });
    const folder = await heartbeat('lagging-run', lagging());
    await writeFile(join(folder, `${ID}.wav`), new Uint8Array(44 + 1600));
    const waits: number[] = [];
    const { folders, recovery } = await defaultRecovery(
      () => mono,
      async (ms) => {
        waits.push(ms);
        mono += ms;
        await heartbeat('lagging-run', lagging()); // the owner beats during the wait
      },
    );
    // The start-up sweep (first sighting), then periodic scans a little more than the scan
    // interval apart, the owner beating in between.
    expect((await recovery.sweep()).adopted).toBe(0);
    for (let scan = 0; scan < 3; scan++) {
      mono += scanIntervalMs + 1;
      await heartbeat('lagging-run', lagging());
      expect((await recovery.sweep()).adopted).toBe(0);
    }
    expect(waits).toEqual(Array.from({ length: 4 }, () => 1.5 * heartbeatMs));
    expect((await readdir(folder)).sort()).toEqual([`${ID}.wav`, OWNER_FILE].sort());
    await folders.close();
  });

  it('adopts folders whose owners stopped once they stay unchanged across one wait for all of them', async () => {
    let mono = 0;
    for (const run of ['stopped-a-run', 'stopped-b-run']) {
      await heartbeat(run, { host: 'elsewhere', pid: 1, heartbeatAt: Date.now() - 3_600_000 });
    }
    const waits: number[] = [];
    const { folders, recovery } = await defaultRecovery(
      () => mono,
      async (ms) => {
        waits.push(ms);
        mono += ms;
      },
    );
    expect((await recovery.sweep()).adopted).toBe(2);
    expect(waits).toEqual([1.5 * heartbeatMs]);
    await folders.close();
  });

  it('adopts at once, without a wait, a stale folder it has already seen unchanged for 1.5 heartbeats', async () => {
    let mono = 0;
    let wall = 1_000_000;
    await heartbeat('stopped-run', { host: 'elsewhere', pid: 1, heartbeatAt: wall - 50_000 });
    const waits: number[] = [];
    const { folders, recovery } = await defaultRecovery(
      () => mono,
      async (ms) => {
        waits.push(ms);
      },
      () => wall,
    );
    expect((await folders.instances()).map((i) => i.dead)).toEqual([false]); // not stale yet
    mono += scanIntervalMs;
    wall += scanIntervalMs;
    expect((await recovery.sweep()).adopted).toBe(1);
    expect(waits).toEqual([]);
    await folders.close();
  });
});

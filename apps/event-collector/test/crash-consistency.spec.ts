import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { JsonlWriter } from '../src/lib/jsonl-writer';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import {
  publisher,
  readJsonl,
  startCollector,
  stopPublishers,
  testEnv,
  topicOf,
  waitFor,
} from './helpers';
import { CollectorProcess } from './process';

const silent = pino({ level: 'silent' });

/** The backup numbers present next to `file`, ascending. */
/**
 * SIGKILLs `p` the moment the backup numbers of `out` have a hole (a rotation's renames half
 * done), or after `ms` if it never sees one: a rotation's fsync takes far longer than its renames,
 * so a kill at a random moment rarely lands between them.
 */
async function killMidRotation(p: CollectorProcess, out: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && contiguous(backups(out))) {
    await new Promise((r) => setImmediate(r));
  }
  await p.kill9();
}

function backups(file: string): number[] {
  const dir = join(file, '..');
  const prefix = `${file.slice(dir.length + 1)}.`;
  return readdirSync(dir)
    .filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)))
    .map((n) => Number(n.slice(prefix.length)))
    .sort((a, b) => a - b);
}

const contiguous = (ns: number[]): boolean => ns.every((n, i) => n === i + 1);

function writer(file: string, extra: Partial<ConstructorParameters<typeof JsonlWriter>[0]> = {}) {
  return new JsonlWriter({
    file,
    maxFileSize: 1 << 20,
    backupCount: 6,
    queueMax: 100,
    logger: silent,
    ...extra,
  });
}

describe('rotation survives a crash at any point', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'crash-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  // Rotation with BACKUP_COUNT 6 renames .5→.6, .4→.5, .3→.4, .2→.3, .1→.2, then live→.1.
  it.each([1, 2, 3, 4, 5])(
    'after a kill -9 following rename %i of the rotation, the next start leaves no gap and keeps every backup in order',
    async (done) => {
      const file = join(dir, 'events.jsonl');
      for (let i = 1; i <= 6; i += 1) writeFileSync(`${file}.${i}`, `{"backup":${i}}\n`);
      writeFileSync(file, '{"live":true}\n');
      for (let k = 0; k < done; k += 1) renameSync(`${file}.${5 - k}`, `${file}.${6 - k}`);
      expect(contiguous(backups(file))).toBe(false); // the gap the crash left

      let repaired = 0;
      const w = writer(file, { onRotationRepaired: (n) => (repaired += n) });
      await w.open();
      await w.close();
      expect(backups(file)).toEqual([1, 2, 3, 4, 5]);
      expect(repaired).toBeGreaterThan(0);
      // Oldest at the highest number, no backup lost but the one the rotation deleted (.6).
      const ages = [1, 2, 3, 4, 5].map(
        (n) => (JSON.parse(readFileSync(`${file}.${n}`, 'utf8')) as { backup: number }).backup,
      );
      expect(ages).toEqual([1, 2, 3, 4, 5]);
      expect(readFileSync(file, 'utf8')).toBe('{"live":true}\n');
    },
  );

  it('after a kill -9 between the last backup rename and the live file rename, .1 comes back', async () => {
    const file = join(dir, 'events.jsonl');
    for (let i = 2; i <= 4; i += 1) writeFileSync(`${file}.${i}`, `{"backup":${i - 1}}\n`);
    writeFileSync(file, '{"live":true}\n');
    const w = writer(file);
    await w.open();
    await w.close();
    expect(backups(file)).toEqual([1, 2, 3]);
    expect(readFileSync(`${file}.1`, 'utf8')).toBe('{"backup":1}\n');
  });

  it('moves a torn last line to <file>.torn and cuts the file back to its last whole line', async () => {
    const file = join(dir, 'events.jsonl');
    const whole = '{"n":1}\n{"n":2}\n';
    const torn = '{"n":3,"raw_event":{"eventEn';
    writeFileSync(file, whole + torn);
    const tornSizes: number[] = [];
    const w = writer(file, { onTorn: (b) => tornSizes.push(b) });
    await w.open();
    w.enqueue('{"n":4}');
    await w.close();
    expect(readFileSync(file, 'utf8')).toBe(`${whole}{"n":4}\n`);
    expect(readFileSync(`${file}.torn`, 'utf8')).toBe(`${torn}\n`);
    expect(tornSizes).toEqual([Buffer.byteLength(torn)]);
  });

  it('keeps a whole last record that only lacks its newline (the sample file) and creates no .torn file', async () => {
    const file = join(dir, 'events.jsonl');
    writeFileSync(file, '{"a":1}\n{"a":2}');
    const w = writer(file);
    await w.open();
    w.enqueue('{"a":3}');
    await w.close();
    expect(readFileSync(file, 'utf8')).toBe('{"a":1}\n{"a":2}\n{"a":3}\n');
    expect(existsSync(`${file}.torn`)).toBe(false);
  });
});

describe('the collector after a crash (real process)', () => {
  let genesys: FakeGenesys;
  let dir: string;
  const procs: CollectorProcess[] = [];
  beforeEach(async () => {
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 200 }).start();
    dir = mkdtempSync(join(tmpdir(), 'crash-proc-'));
  });
  afterEach(async () => {
    stopPublishers();
    for (const p of procs.splice(0)) await p.kill9();
    await genesys.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('killed with SIGKILL again and again while it rotates, leaves no gap in the backup numbers once restarted', async () => {
    const env: Record<string, string> = {
      ...testEnv(genesys, dir),
      LOG_LEVEL: 'info',
      MAX_FILE_SIZE: '1024', // every record rotates the file
      BACKUP_COUNT: '400',
      // The last stop writes the backfill, one rotation (up to 400 renames) per record: on a
      // busy CI machine that took longer than the 3 s the other tests allow (deadline 8 s).
      SHUTDOWN_TIMEOUT_MS: '30000',
    };
    const out = env['OUTPUT_FILE'] ?? '';
    let gapsSeen = 0;
    let n = 0;
    for (let round = 0; round < 8 && gapsSeen < 1; round += 1) {
      const p = new CollectorProcess(env);
      procs.push(p);
      await waitFor('receiving', () => genesys.connectedChannels().length === 1, 60_000);
      const opened = await waitFor(
        'opened',
        async () => {
          const h = await p.http('/health').catch(() => undefined);
          return h?.status === 200 ? h : undefined;
        },
        60_000,
      );
      expect(opened.status).toBe(200);
      const target = backups(out).length + 20;
      const pub = publisher(genesys, 1, n);
      await waitFor('rotating', () => backups(out).length >= target, 60_000);
      await killMidRotation(p, out);
      pub.stop();
      n += pub.count;
      await waitFor('socket gone', () => genesys.connectedChannels().length === 0, 60_000);
      if (!contiguous(backups(out))) gapsSeen += 1;
    }
    // The kills did land in the middle of rotations (this is what is being tested).
    expect(gapsSeen).toBeGreaterThan(0);
    const last = new CollectorProcess(env);
    procs.push(last);
    await waitFor('restarted', () => genesys.connectedChannels().length === 1, 60_000);
    await waitFor(
      'repaired',
      async () => (await last.http('/health').catch(() => undefined))?.status === 200,
      60_000,
    );
    // The last kill left a gap, and this start closed it.
    expect(await last.metric('event_collector_rotation_repairs_total')).toBeGreaterThanOrEqual(1);
    // The restarted collector backfills what was published while it was down, and every one of
    // those records rotates the file, so the numbers are only looked at once it has stopped: a
    // rotation in progress shows a hole for as long as its renames take.
    expect((await last.stop(45_000)).code).toBe(0);
    expect(contiguous(backups(out))).toBe(true);
  }, 300_000);

  it('reports a torn last line at start: a warning, event_collector_torn_lines_total 1, the bytes kept in .torn', async () => {
    const out = join(dir, 'out', 'audiohook_events.jsonl');
    mkdirSync(join(dir, 'out'));
    writeFileSync(
      out,
      `${JSON.stringify({ dedupe_key: 'k', received_at: new Date().toISOString() })}\n{"torn`,
    );
    const c = await startCollector(genesys, { dir });
    try {
      expect(c.logs.has('torn line')).toBe(true);
      expect(c.collector.metrics.get('torn_lines')).toBe(1);
      expect((await c.http('/metrics')).text).toMatch(/^event_collector_torn_lines_total 1$/m);
      expect(readFileSync(`${out}.torn`, 'utf8')).toBe('{"torn\n');
      await waitFor('connected', () => genesys.connectedChannels().length === 1);
      genesys.publish(topicOf(), audioHookBody(1));
      await waitFor('written', () => readJsonl(out).length === 2);
    } finally {
      await c.collector.stop();
    }
  });
});

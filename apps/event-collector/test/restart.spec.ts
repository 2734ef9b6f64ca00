import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeElastic } from './fakes/fake-elastic';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { readJsonl, startCollector, testEnv, topicOf, waitFor } from './helpers';
import { CollectorProcess } from './process';

const conversationIds = (file: string): string[] =>
  readJsonl(file).map((r) => String(r['conversation_id']));

describe('restart without loss', () => {
  let genesys: FakeGenesys;
  let dir: string;
  const procs: CollectorProcess[] = [];
  beforeEach(async () => {
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 200 }).start();
    dir = mkdtempSync(join(tmpdir(), 'restart-'));
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.kill9();
    await genesys.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('after kill -9, recovers the 5 events published while it was down: all in the JSONL, none twice, events_backfilled_total 5', async () => {
    const env: Record<string, string> = {
      ...testEnv(genesys, dir),
      LOG_LEVEL: 'info',
      CHECKPOINT_INTERVAL_MS: '100',
    };
    const out = env['OUTPUT_FILE'] ?? '';
    const first = new CollectorProcess(env);
    procs.push(first);
    await waitFor(
      'first run connected',
      () => genesys.connectedChannels().length === 1,
      30_000,
    ).catch((err: unknown) => Promise.reject(new Error(`${String(err)}\n${first.tail()}`)));
    const before = [0, 1, 2].map((n) => audioHookBody(n));
    for (const b of before) genesys.publish(topicOf(), b);
    await waitFor('3 live events on disk', () => conversationIds(out).length === 3);
    await waitFor('a checkpoint next to the output', () => existsSync(`${out}.checkpoint`));

    await first.kill9();
    await waitFor('the fake saw the socket go', () => genesys.connectedChannels().length === 0);
    const during = [3, 4, 5, 6, 7].map((n) => audioHookBody(n));
    for (const b of during) expect(genesys.publish(topicOf(), b)).toBe(0); // nobody listening

    const second = new CollectorProcess(env);
    procs.push(second);
    await waitFor('all 8 events on disk', () => conversationIds(out).length >= 8, 30_000).catch(
      (err: unknown) => Promise.reject(new Error(`${String(err)}\n${second.tail()}`)),
    );
    const ids = conversationIds(out);
    const expected = [...before, ...during].map((b) => String(b['conversationId']));
    expect(ids.sort()).toEqual(expected.sort());
    const backfilled = readJsonl(out).filter((r) => r['source'] === 'backfill');
    expect(backfilled.map((r) => r['conversation_id']).sort()).toEqual(
      during.map((b) => b['conversationId']).sort(),
    );
    expect(await second.metric('event_collector_events_backfilled_total')).toBe(5);
    expect((await second.stop()).code).toBe(0);
    expect(conversationIds(out)).toHaveLength(8);
    const cp = JSON.parse(readFileSync(`${out}.checkpoint`, 'utf8')) as Record<string, unknown>;
    expect(cp).toMatchObject({ version: 1, token: null });
    expect(Date.parse(String(cp['last_event_time']))).toBe(
      Math.max(...during.map((b) => Number(b['timestamp']))),
    );
  }, 90_000);

  it('after kill -9 with documents still queued for Elasticsearch, the next start sends them (each once)', async () => {
    const es = await new FakeElastic().start();
    try {
      const env: Record<string, string> = {
        ...testEnv(genesys, dir, es),
        LOG_LEVEL: 'info',
        CHECKPOINT_INTERVAL_MS: '100',
        BULK_SIZE: '10000',
        ELASTIC_FLUSH_INTERVAL_MS: '600000',
      };
      const out = env['OUTPUT_FILE'] ?? '';
      const first = new CollectorProcess(env);
      procs.push(first);
      await waitFor('connected', () => genesys.connectedChannels().length === 1, 30_000);
      for (let n = 0; n < 20; n += 1) genesys.publish(topicOf(), audioHookBody(n));
      await waitFor('20 on disk', () => conversationIds(out).length === 20);
      await waitFor('checkpointed', () => existsSync(`${out}.checkpoint`));
      await first.kill9();
      expect(es.index('genesys-audiohook').size).toBe(0);

      const second = new CollectorProcess({ ...env, ELASTIC_FLUSH_INTERVAL_MS: '100' });
      procs.push(second);
      await waitFor(
        'all 20 in Elasticsearch',
        () => es.index('genesys-audiohook').size === 20,
        30_000,
      );
      expect((await second.stop()).code).toBe(0);
      expect(conversationIds(out)).toHaveLength(20);
    } finally {
      await es.stop();
    }
  }, 90_000);

  it('after a clean stop, the next start backfills what was published meanwhile and re-reads none twice', async () => {
    const env = { CHECKPOINT_INTERVAL_MS: '100' };
    const a = await startCollector(genesys, { dir, env });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    for (let n = 0; n < 10; n += 1) genesys.publish(topicOf(), audioHookBody(n));
    await waitFor('10 on disk', () => a.records().length === 10);
    await a.stop();
    for (let n = 10; n < 15; n += 1) genesys.publish(topicOf(), audioHookBody(n));

    const b = await startCollector(genesys, { dir, env });
    try {
      await waitFor('15 on disk', () => b.records().length >= 15);
      await b.collector.stop();
      const ids = b.records().map((r) => r['conversation_id']);
      expect(new Set(ids).size).toBe(15);
      expect(ids).toHaveLength(15);
      expect(b.collector.metrics.get('events_backfilled')).toBe(5);
      expect(b.logs.has('resuming from the checkpoint')).toBe(true);
    } finally {
      await b.collector.stop();
    }
  });

  it('starts a gap where the last frame read was sent, not when it was read, so a reader running behind loses nothing', async () => {
    const c = await startCollector(genesys, { dir, env: { CHECKPOINT_INTERVAL_MS: '50' } });
    try {
      await waitFor('connected', () => genesys.connectedChannels().length === 1);
      // Delivered 3 s after Genesys stamped them: the reader is 3 s behind (BACKFILL_MARGIN_S is 1).
      for (let n = 0; n < 5; n += 1) {
        genesys.publish(topicOf(), audioHookBody(n, { timestamp: Date.now() - 3000 }));
      }
      await waitFor('5 on disk', () => c.records().length === 5);
      genesys.dropConnections();
      // Stamped before the drop was noticed, but still in flight when the connection went.
      for (let n = 5; n < 8; n += 1) {
        genesys.publish(topicOf(), audioHookBody(n, { timestamp: Date.now() - 2500 }));
      }
      await waitFor('recovered', () => c.records().length === 8, 20_000);
      expect(c.records().filter((r) => r['source'] === 'backfill')).toHaveLength(3);
    } finally {
      await c.stop();
    }
  });

  it('holds the checkpoint at the start of a gap until its backfill succeeds, retrying a failing history query', async () => {
    const env = { CHECKPOINT_INTERVAL_MS: '50' };
    const c = await startCollector(genesys, { dir, env });
    try {
      await waitFor('connected', () => genesys.connectedChannels().length === 1);
      await waitFor('a checkpoint', () => c.collector.health().body.checkpoint.safe_until);
      genesys.failNext('query', { status: 503 }, 3);
      genesys.dropConnections();
      const dropAt = Date.now();
      genesys.publish(topicOf(), audioHookBody(1));
      await waitFor('reconnected', () => genesys.connectedChannels().length === 1);
      await waitFor('the backfill retried', () => c.logs.has('backfill failed; retrying'));
      const held = Date.parse(String(c.collector.health().body.checkpoint.safe_until));
      expect(held).toBeLessThanOrEqual(dropAt);
      await waitFor('recovered', () => c.records().length === 1, 20_000);
      await waitFor(
        'the checkpoint moves on',
        () => Date.parse(String(c.collector.health().body.checkpoint.safe_until)) > dropAt,
      );
      expect(c.records()[0]?.['source']).toBe('backfill');
    } finally {
      await c.stop();
    }
  });
});

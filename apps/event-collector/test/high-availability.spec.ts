import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalDynamo, TEST_AWS_ENV } from './dynamo';
import { FakeElastic } from './fakes/fake-elastic';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { publisher, readJsonl, startCollector, stopPublishers, testEnv, waitFor } from './helpers';
import { CollectorProcess } from './process';
import { TcpProxy } from './tcp-proxy';

const TABLE = 'event-collector-lease';

/** Lost and duplicated conversation ids of events 0..count-1 in a JSONL file. */
function audit(file: string, count: number): { lost: number; duplicated: number; lines: number } {
  const seen = new Map<string, number>();
  const records = readJsonl(file);
  for (const r of records) {
    const id = String(r['conversation_id']);
    seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  let lost = 0;
  for (let n = 0; n < count; n += 1) {
    if (!seen.has(String(audioHookBody(n)['conversationId']))) lost += 1;
  }
  const duplicated = [...seen.values()].filter((c) => c > 1).length;
  return { lost, duplicated, lines: records.length };
}

async function role(p: CollectorProcess): Promise<string | undefined> {
  if (p.httpPort === undefined) return undefined;
  const h = await p.http('/health').catch(() => undefined);
  if (!h) return undefined;
  const body = JSON.parse(h.text) as { role?: string; receiving?: boolean };
  return body.role === 'leader' && body.receiving ? 'leader' : body.role;
}

describe('high availability: two collectors and a DynamoDB lease (dynalite)', () => {
  let dynamo: LocalDynamo;
  let genesys: FakeGenesys;
  let dir: string;
  const procs: CollectorProcess[] = [];
  const saved = { ...process.env };
  beforeAll(async () => {
    Object.assign(process.env, TEST_AWS_ENV);
    dynamo = await LocalDynamo.start();
    await dynamo.createTable(TABLE);
  });
  afterAll(async () => {
    await dynamo.stop();
    process.env = saved;
  });
  beforeEach(async () => {
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 200 }).start();
    dir = mkdtempSync(join(tmpdir(), 'ha-'));
  });
  afterEach(async () => {
    stopPublishers();
    for (const p of procs.splice(0)) await p.kill9();
    await genesys.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('kill -9 of the leader mid-stream: the standby takes over, 0 lost, 0 duplicated in the JSONL and Elasticsearch', async () => {
    const es = await new FakeElastic().start();
    try {
      const env: Record<string, string> = {
        ...testEnv(genesys, dir, es),
        ...TEST_AWS_ENV,
        LOG_LEVEL: 'info',
        LEASE_TABLE: TABLE,
        LEASE_NAME: 'kill-test',
        DYNAMODB_ENDPOINT: dynamo.endpoint,
        LEASE_DURATION_S: '3',
        LEASE_RENEW_S: '0.5',
        LEASE_POLL_S: '0.25',
        CHECKPOINT_INTERVAL_MS: '100',
      };
      const out = env['OUTPUT_FILE'] ?? '';
      const a = new CollectorProcess(env);
      procs.push(a);
      await waitFor('a leads', async () => (await role(a)) === 'leader', 30_000).catch(
        (err: unknown) => Promise.reject(new Error(`${String(err)}\n${a.tail()}`)),
      );
      const b = new CollectorProcess(env);
      procs.push(b);
      await waitFor('b stands by', async () => (await role(b)) === 'standby', 30_000);

      const pub = publisher(genesys, 5);
      await waitFor('a writes', () => readJsonl(out).length >= 100, 30_000);
      // On a loaded machine a stalled leader may lose and retake its own lease (a new token).
      const aAcquired = await a.metric('event_collector_lease_acquired_total');
      expect(aAcquired).toBeGreaterThanOrEqual(1);
      await a.kill9();
      const killedAt = Date.now();
      await waitFor('b leads', async () => (await role(b)) === 'leader', 30_000).catch(
        (err: unknown) => Promise.reject(new Error(`${String(err)}\n${b.tail()}`)),
      );
      const takeover = (Date.now() - killedAt) / 1000;
      const atTakeover = pub.count;
      await waitFor('more events after the takeover', () => pub.count >= atTakeover + 100);
      pub.stop();
      const total = pub.count;
      await waitFor('every event on disk', () => audit(out, total).lost === 0, 30_000).catch(
        () => undefined,
      );
      const result = audit(out, total);
      process.stdout.write(
        `HA kill -9: ${total} events, lost ${result.lost}, duplicated ${result.duplicated}, takeover ${takeover.toFixed(2)} s\n`,
      );
      expect(result).toEqual({ lost: 0, duplicated: 0, lines: total });
      expect(takeover).toBeLessThan(30);
      await waitFor(
        'every event in Elasticsearch',
        () => es.index('genesys-audiohook').size === total,
      );
      expect(await b.metric('event_collector_lease_acquired_total')).toBe(1);
      expect((await b.stop()).code).toBe(0);
      // One fencing token per acquisition: A's, then B's takeover.
      expect(await dynamo.item(TABLE, 'event-collector/lease/kill-test')).toMatchObject({
        released: 'true',
        token: String((aAcquired ?? 0) + 1),
      });
    } finally {
      await es.stop();
    }
  }, 120_000);

  it('a leader cut off from DynamoDB stops writing before the standby takes over, and stays out once fenced', async () => {
    const proxy = await TcpProxy.start(dynamo.endpoint);
    const common = {
      ...TEST_AWS_ENV,
      LEASE_TABLE: TABLE,
      LEASE_NAME: 'partition-test',
      LEASE_DURATION_S: '2',
      LEASE_RENEW_S: '0.3',
      LEASE_POLL_S: '0.2',
      CHECKPOINT_INTERVAL_MS: '100',
    };
    const a = await startCollector(genesys, {
      dir,
      env: { ...common, DYNAMODB_ENDPOINT: proxy.url },
    });
    const b = await startCollector(genesys, {
      dir,
      env: { ...common, DYNAMODB_ENDPOINT: dynamo.endpoint },
    });
    try {
      // Generous: the first lease write waits on dynalite, which a loaded machine slows.
      await waitFor('a leads', () => a.collector.health().body.role === 'leader', 30_000);
      await waitFor('a receives', () => a.collector.health().body.receiving, 20_000);
      const pub = publisher(genesys, 5);
      await waitFor('a writes', () => a.records().length >= 50);
      proxy.freeze();
      await waitFor('a gives up', () => a.collector.health().body.role === 'standby', 20_000);
      const aWritten = a.collector.metrics.get('events_written');
      await waitFor('b leads', () => b.collector.health().body.receiving, 20_000);
      proxy.thaw();
      const atTakeover = pub.count;
      await waitFor('more events', () => pub.count >= atTakeover + 100);
      pub.stop();
      const total = pub.count;
      await waitFor('all on disk', () => audit(a.outFile, total).lost === 0, 20_000).catch(
        () => undefined,
      );
      expect(audit(a.outFile, total)).toEqual({ lost: 0, duplicated: 0, lines: total });
      expect(a.collector.metrics.get('lease_lost')).toBe(1);
      expect(a.logs.has('no longer the lease holder: stopped collecting')).toBe(true);
      // a wrote nothing more once it stopped trusting its lease, and never came back.
      expect(a.collector.metrics.get('events_written')).toBe(aWritten);
      expect(a.collector.health().body.role).toBe('standby');
    } finally {
      await b.collector.stop();
      await a.collector.stop();
      await proxy.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});

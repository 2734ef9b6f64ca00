import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { type CollectorConfig, loadConfig } from '../src/config';
import { GenesysApi } from '../src/lib/genesys/api-client';
import { TokenProvider } from '../src/lib/genesys/token-provider';
import { Metrics } from '../src/lib/metrics';
import { RecentEvents } from '../src/lib/recent-events';
import { CollectingSession } from '../src/lib/session';
import { FakeElastic } from './fakes/fake-elastic';
import { FakeGenesys } from './fakes/fake-genesys';
import { testEnv, topicOf, waitFor } from './helpers';

const silent = pino({ level: 'silent' });

describe('abandoning a session that lost the lease', () => {
  let genesys: FakeGenesys;
  let es: FakeElastic;
  let dir: string;
  beforeEach(async () => {
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 200 }).start();
    es = await new FakeElastic().start();
    dir = mkdtempSync(join(tmpdir(), 'session-fencing-'));
  });
  afterEach(async () => {
    await genesys.stop();
    await es.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A collecting session on the fakes (token 3, the default topic) with `mayWrite`. */
  async function startSession(
    mayWrite: () => boolean,
  ): Promise<{ config: CollectorConfig; metrics: Metrics; session: CollectingSession }> {
    const config = loadConfig(testEnv(genesys, dir, es));
    const metrics = new Metrics({ elastic: true, defaultMetrics: false });
    const g = config.genesys;
    const tokens = new TokenProvider({
      loginBaseUrl: g.loginBaseUrl,
      clientId: g.clientId,
      clientSecret: g.clientSecret,
      refreshMarginMs: g.tokenRefreshMarginMs,
      timeoutMs: g.requestTimeoutMs,
      failureBackoffMs: 1000,
      logger: silent,
    });
    const api = new GenesysApi({
      apiBaseUrl: g.apiBaseUrl,
      tokens,
      timeoutMs: 2000,
      logger: silent,
    });
    const session = await CollectingSession.start({
      config,
      logger: silent,
      metrics,
      api,
      tokens,
      recent: new RecentEvents(10),
      topics: () => ({
        topics: [topicOf()],
        source: 'defaults',
        definitions: new Map(),
        ignored: [],
      }),
      token: 3,
      mayWrite,
    });
    return { config, metrics, session };
  }

  it('stops the Elasticsearch spool at once, even while the JSONL writer waits for a stalled write', async () => {
    const { config, metrics, session } = await startSession(() => true);
    const elastic = session.elastic;
    if (!elastic || !config.elastic) throw new Error('the session has no Elasticsearch sink');
    const spool = config.elastic.spoolFile;
    es.down = 'refuse';
    elastic.add({ id: 'doc-0', source: { n: 0 }, at: Date.now() });
    await waitFor('spooling', () => metrics.get('elastic_spooled') >= 1);
    const spooled = statSync(spool).size;

    // The writer's abandon waits for a write stuck on the file system.
    let unstall: () => void = () => undefined;
    const stalled = new Promise<void>((resolve) => (unstall = resolve));
    const writerAbandon = session.writer.abandon.bind(session.writer);
    jest.spyOn(session.writer, 'abandon').mockImplementation(async () => {
      await stalled;
      await writerAbandon();
    });
    const elasticAbandon = jest.spyOn(elastic, 'abandon');
    elastic.add({ id: 'doc-1', source: { n: 1 }, at: Date.now() }); // on its way to the spool
    const done = session.abandon();
    try {
      await waitFor('the sink abandoned', () => elasticAbandon.mock.calls.length > 0, 3000);
      await elasticAbandon.mock.results[0]?.value;
      expect(statSync(spool).size).toBe(spooled); // doc-1 never reached the shared spool
    } finally {
      unstall();
      await done;
    }
  });

  it("hands the session's mayWrite to the Elasticsearch sink: a spool append after the lease is lost is refused, without abandon()", async () => {
    let held = true;
    const { config, metrics, session } = await startSession(() => held);
    try {
      const elastic = session.elastic;
      if (!elastic || !config.elastic) throw new Error('the session has no Elasticsearch sink');
      const spool = config.elastic.spoolFile;
      es.down = 'refuse';
      elastic.add({ id: 'doc-0', source: { n: 0 }, at: Date.now() });
      await waitFor('spooling', () => metrics.get('elastic_spooled') >= 1);
      const spooled = statSync(spool).size;
      held = false; // the process froze past its lease; an overdue sink timer now appends
      elastic.add({ id: 'doc-1', source: { n: 1 }, at: Date.now() });
      await elastic.drain();
      expect(elastic.fenced).toBe(true);
      expect(statSync(spool).size).toBe(spooled);
    } finally {
      await session.abandon();
    }
  });
});

import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ElasticConfig } from '../src/config';
import { ElasticSink } from '../src/lib/elastic/bulk-sink';
import { Metrics } from '../src/lib/metrics';
import { createLogger } from '../src/logger';
import { FakeElastic, sinkConfig } from './fakes/fake-elastic';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { delay, LogCapture, startCollector, type TestCollector, topicOf, waitFor } from './helpers';

function doc(n: number): { id: string; source: Record<string, unknown> } {
  return {
    id: `id-${n}`,
    source: { '@timestamp': new Date(1_700_000_000_000 + n).toISOString(), n, pad: 'x'.repeat(60) },
  };
}

const fileSize = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
};

describe('ElasticSink limits: refused credentials, capped files, replay', () => {
  let es: FakeElastic;
  let dir: string;
  let sink: ElasticSink | undefined;
  let metrics: Metrics;
  let logs: LogCapture;
  const config = (over: Partial<ElasticConfig> = {}): ElasticConfig =>
    sinkConfig(es.baseUrl, dir, over);
  const start = async (over: Partial<ElasticConfig> = {}): Promise<ElasticSink> => {
    sink = new ElasticSink(
      config(over),
      createLogger({ level: 'debug', consoleEvents: false }, logs),
      metrics,
    );
    await sink.start();
    return sink;
  };
  const logged = (fragment: string, level?: string): number =>
    logs.lines.filter(
      (l) => String(l['msg']).includes(fragment) && (level === undefined || l['level'] === level),
    ).length;

  beforeEach(async () => {
    es = await new FakeElastic().start();
    dir = mkdtempSync(join(tmpdir(), 'es-limits-'));
    metrics = new Metrics({ defaultMetrics: false });
    logs = new LogCapture();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await sink?.stop(1000);
    sink = undefined;
    await es.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('treats 401 as refused credentials: no quick retries, one error log, everything spooled, and a slow retry that recovers once the credentials work', async () => {
    es.down = 401;
    const s = await start({ maxRetries: 5 });
    for (let i = 0; i < 12; i += 1) s.add(doc(i));
    await waitFor('spooled', () => metrics.get('elastic_spooled') === 12);
    // Several replay attempts, one request each, ELASTIC_RETRY_MAX_MS apart.
    await waitFor('replay attempts', () => metrics.get('elastic_auth_failures') >= 4);
    expect(metrics.get('elastic_retries')).toBe(0);
    // One refusal per request: the fake may already hold the next one, not yet answered.
    const unanswered = es.calls.length - metrics.get('elastic_auth_failures');
    expect(unanswered).toBeGreaterThanOrEqual(0);
    expect(unanswered).toBeLessThanOrEqual(1);
    expect(s.status()).toMatchObject({ spooling: true, credentialsRefused: true });
    expect(s.status().lastError).toContain('COLLECTOR_ERR_ELASTIC_AUTH');
    expect(logged('refused the credentials', 'error')).toBe(1);
    expect(logged('Elasticsearch bulk request failed')).toBe(0);

    es.down = undefined; // the credential was rotated back to a valid one
    await waitFor(
      'replayed',
      () => es.index('genesys-audiohook').size === 12 && !s.status().spooling,
    );
    expect(s.status().credentialsRefused).toBe(false);
    expect(logged('accepts the credentials again')).toBe(1);
  });

  it('caps the spool at ELASTIC_SPOOL_MAX_BYTES: later documents are counted and dropped with one warning', async () => {
    es.down = 'refuse';
    const s = await start({ spoolMaxBytes: 2048, maxRetries: 0, retryMaxMs: 60_000 });
    for (let i = 0; i < 60; i += 1) s.add(doc(i));
    await waitFor(
      'all spooled or dropped',
      () => metrics.get('elastic_spooled') + metrics.get('elastic_spool_dropped') === 60,
    );
    expect(metrics.get('elastic_spool_dropped')).toBeGreaterThan(0);
    expect(fileSize(join(dir, 'spool.jsonl'))).toBeLessThanOrEqual(2048);
    expect(await s.spoolBytes()).toBeLessThanOrEqual(2048);
    expect(s.status().spoolFull).toBe(true);
    expect(s.oldestPending()).toBeUndefined();
    for (let i = 60; i < 70; i += 1) s.add(doc(i));
    await waitFor('more dropped', () => metrics.get('elastic_spool_dropped') >= 10 + 1);
    expect(logged('spool is full')).toBe(1);
  });

  it('caps the dead-letter file at ELASTIC_DEAD_LETTER_MAX_BYTES and counts what did not fit', async () => {
    const s = await start({ deadLetterMaxBytes: 1024 });
    for (let i = 0; i < 20; i += 1) es.badIds.add(`id-${i}`);
    for (let i = 0; i < 20; i += 1) s.add(doc(i));
    await waitFor(
      'all rejected',
      () =>
        metrics.get('elastic_dead_lettered') + metrics.get('elastic_dead_letter_dropped') === 20,
    );
    expect(metrics.get('elastic_dead_lettered')).toBeGreaterThan(0);
    expect(metrics.get('elastic_dead_letter_dropped')).toBeGreaterThan(0);
    expect(fileSize(join(dir, 'dead.jsonl'))).toBeLessThanOrEqual(1024);
    expect(s.status().deadLetterFull).toBe(true);
    expect(logged('dead-letter file is full')).toBe(1);
  });

  it('replays the spool after a failed replay attempt, without a restart', async () => {
    es.down = 'refuse';
    const s = await start({ maxRetries: 0 });
    for (let i = 0; i < 7; i += 1) s.add(doc(i));
    await waitFor('spooled', () => metrics.get('elastic_spooled') === 7);
    const calls = es.calls.length;
    await delay(350); // at least one replay attempt fails (refused connections are not logged as calls)
    expect(s.status().spooling).toBe(true);
    expect(calls).toBe(0);
    es.down = undefined;
    await waitFor(
      'replayed',
      () => es.index('genesys-audiohook').size === 7 && !s.status().spooling,
    );
  });

  it('resumes an interrupted replay after the last batch stored instead of from the top', async () => {
    es.down = 'refuse';
    const s = await start({ maxRetries: 0 });
    for (let i = 0; i < 15; i += 1) s.add(doc(i));
    await waitFor('spooled', () => metrics.get('elastic_spooled') === 15);
    es.latencyMs = 150;
    es.down = undefined;
    await waitFor('first replay batch stored', () => es.index('genesys-audiohook').size === 5);
    es.down = 503; // the second batch is still in flight (latency) and fails
    await waitFor('second batch refused', () => es.calls.some((c) => c.status === 503));
    es.latencyMs = 0;
    es.down = undefined;
    await waitFor(
      'replayed',
      () => es.index('genesys-audiohook').size === 15 && !s.status().spooling,
    );
    const sent = es.calls.flatMap((c) => c.ids);
    expect(sent.filter((id) => id === 'id-0')).toHaveLength(1);
    expect(metrics.get('elastic_conflicts')).toBe(0);
  });

  it('replays documents spooled while a finished replay deletes its file, without a restart', async () => {
    es.down = 'refuse';
    const s = await start({ maxRetries: 0 });
    for (let i = 0; i < 7; i += 1) s.add(doc(i));
    await waitFor('spooled', () => metrics.get('elastic_spooled') === 7);
    let extra = 100;
    const realUnlink = fsp.unlink.bind(fsp);
    jest.spyOn(fsp, 'unlink').mockImplementation(async (path) => {
      // Documents arrive exactly while a finished replay cleans its (already deleted) file up.
      if (String(path).endsWith('.replaying') && !existsSync(String(path)) && extra < 103) {
        s.add(doc(extra));
        extra += 1;
        await delay(20);
      }
      return realUnlink(path);
    });
    es.down = undefined;
    await waitFor('a document added during the clean-up', () => extra > 100);
    await waitFor(
      'every document stored',
      () => es.index('genesys-audiohook').size === 7 + (extra - 100),
    );
    await waitFor('direct indexing again', () => !s.status().spooling);
    s.add(doc(200));
    await waitFor('direct', () => es.index('genesys-audiohook').has('id-200'));
  });
});

describe('collector with Elasticsearch refusing the credentials', () => {
  it('spools, shows the refusal on /health and /metrics, logs it once, and recovers when the credentials work again', async () => {
    const genesys = await new FakeGenesys({ heartbeatIntervalMs: 200 }).start();
    const es = await new FakeElastic().start();
    let c: TestCollector | undefined;
    try {
      es.down = 403;
      c = await startCollector(genesys, { elastic: es });
      await waitFor('connected', () => genesys.connectedChannels().length === 1);
      for (let i = 0; i < 15; i += 1) genesys.publish(topicOf(), audioHookBody(i));
      await waitFor('file', () => c?.records().length === 15);
      await waitFor('refusal on /health', async () => {
        const h = (await c?.http('/health'))?.json as {
          status?: string;
          problems?: string[];
          elastic?: { credentialsRefused: boolean };
        };
        return (
          h.elastic?.credentialsRefused &&
          h.status === 'degraded' &&
          h.problems?.some((p) => p.includes('ELASTIC_AUTH'))
        );
      });
      await waitFor('several attempts', () => es.calls.length >= 3);
      const metricsText = (await c.http('/metrics')).text;
      expect(metricsText).toContain('event_collector_elastic_credentials_refused 1');
      expect(metricsText).toMatch(/event_collector_elastic_auth_failures_total [1-9]/);
      const refusals = c.logs.lines.filter(
        (l) => String(l['msg']).includes('refused the credentials') && l['level'] !== 'debug',
      );
      expect(refusals).toHaveLength(1);

      es.down = undefined;
      await waitFor('all in ES', () => es.index('genesys-audiohook').size === 15, 15_000);
      await waitFor('healthy again', async () => {
        const h = (await c?.http('/health'))?.json as { status?: string };
        return h.status === 'ok';
      });
      expect((await c.http('/metrics')).text).toContain(
        'event_collector_elastic_credentials_refused 0',
      );
    } finally {
      await c?.stop();
      await genesys.stop();
      await es.stop();
    }
  });
});

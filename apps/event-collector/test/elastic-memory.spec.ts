import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ElasticConfig } from '../src/config';
import { ElasticSink, type SinkStep } from '../src/lib/elastic/bulk-sink';
import { outputBacklog } from '../src/lib/elastic/output-backlog';
import { Metrics } from '../src/lib/metrics';
import { elasticDoc } from '../src/lib/pipeline';
import { FakeElastic, sinkConfig } from './fakes/fake-elastic';
import { LogCapture, waitFor } from './helpers';

const BASE = Date.now() - 3_600_000;
/** Each document is about 1,200 characters of JSON. */
const PAD = 'x'.repeat(1000);

function record(n: number): Record<string, unknown> {
  return {
    timestamp: new Date(BASE + n).toISOString(),
    event_type: 'audiohook_operational',
    received_at: new Date(BASE + n).toISOString(),
    dedupe_key: `key-${String(n).padStart(4, '0')}`,
    pad: PAD,
  };
}
const line = (n: number): string => `${JSON.stringify(record(n))}\n`;
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i);

describe('ElasticSink memory: bounded by bytes as well as by count', () => {
  let es: FakeElastic;
  let dir: string;
  let out: string;
  let sink: ElasticSink | undefined;
  let metrics: Metrics;
  let logs: LogCapture;
  /** Lets a stalled spool append go on (also after a failed assertion, so the sink can stop). */
  let release: (() => void) | undefined;
  const config = (over: Partial<ElasticConfig> = {}): ElasticConfig =>
    sinkConfig(es.baseUrl, dir, over);
  const logged = (fragment: string): number =>
    logs.lines.filter((l) => String(l['msg']).includes(fragment)).length;

  beforeEach(async () => {
    es = await new FakeElastic().start();
    dir = mkdtempSync(join(tmpdir(), 'es-memory-'));
    out = join(dir, 'audiohook_events.jsonl');
    metrics = new Metrics({ defaultMetrics: false });
    logs = new LogCapture();
  });
  afterEach(async () => {
    release?.();
    release = undefined;
    await sink?.stop(1000);
    sink = undefined;
    await es.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const backlog = () =>
    outputBacklog({
      file: out,
      backupCount: 3,
      slackMs: 0,
      batchSize: 5,
      settled: () => Promise.resolve(),
      logger: pino({ level: 'silent' }),
    });

  it('spools the queue to disk once it holds ELASTIC_QUEUE_MAX_BYTES during an outage, far below ELASTIC_QUEUE_MAX, and loses nothing', async () => {
    es.down = 503;
    const s = new ElasticSink(
      config({ queueMax: 1000, queueMaxBytes: 12_000, bulkSize: 5, maxRetries: 50 }),
      pino({ level: 'warn' }, logs),
      metrics,
      backlog(),
    );
    sink = s;
    await s.start();
    // The pipeline writes each record to the output and hands the same document to the sink.
    writeFileSync(out, range(0, 60).map(line).join(''));
    for (const n of range(0, 12)) s.add({ ...elasticDoc(record(n)), at: BASE + n });
    // A batch of 5 is in flight (retrying): with it, the queue reached 12,000 characters at the
    // 11th document (not at 1,000 documents), and went to the spool.
    expect(s.status().spooling).toBe(true);
    expect(logged('Elasticsearch queue full')).toBe(1);
    for (const n of range(12, 60)) {
      s.add({ ...elasticDoc(record(n)), at: BASE + n });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor('spooled', () => metrics.get('elastic_spooled') > 0);

    es.down = undefined;
    await waitFor(
      'every document in Elasticsearch',
      () => es.index('genesys-audiohook').size === 60 && !s.status().spooling,
    );
    expect(s.oldestPending()).toBeUndefined();
  });

  it('while the spool file is stalled, holds at most ELASTIC_QUEUE_MAX_BYTES, leaves the rest to the output (counted, backlogged) and sends it from there later', async () => {
    es.down = 'refuse';
    const stalled = new Promise<void>((resolve) => {
      release = resolve;
    });
    let appends = 0;
    const beforeStep = async (step: SinkStep): Promise<void> => {
      if (step.op === 'append' && appends++ === 0) await stalled;
    };
    const s = new ElasticSink(
      config({ queueMax: 1000, queueMaxBytes: 12_000, bulkSize: 5, maxRetries: 0 }),
      pino({ level: 'warn' }, logs),
      metrics,
      backlog(),
      { beforeStep },
    );
    sink = s;
    await s.start();
    // The pipeline writes each record to the output and hands the same document to the sink.
    writeFileSync(out, range(0, 300).map(line).join(''));
    for (const n of range(0, 20)) s.add({ ...elasticDoc(record(n)), at: BASE + n });
    await waitFor('spooling, the first append stalled', () => appends === 1);
    for (const n of range(20, 300)) s.add({ ...elasticDoc(record(n)), at: BASE + n });

    const dropped = metrics.get('elastic_queue_dropped');
    expect(dropped).toBeGreaterThan(250);
    // In memory: the stalled append and the buffer, about 12,000 characters (~10 documents).
    expect(s.status().queued).toBeLessThanOrEqual(12);
    expect(logged('the Elasticsearch spool file takes documents more slowly')).toBe(1);
    // Every document is in Elasticsearch, the spool, memory, or counted and held as backlog.
    const first = 300 - dropped;
    expect(s.oldestPending()).toBeLessThanOrEqual(BASE + first);

    release?.();
    es.down = undefined;
    await waitFor(
      'every document in Elasticsearch',
      () => es.index('genesys-audiohook').size === 300 && !s.status().spooling,
    );
    expect(metrics.get('elastic_caught_up')).toBeGreaterThanOrEqual(dropped);
    expect(s.status().backlogSince).toBeUndefined();
  });
});

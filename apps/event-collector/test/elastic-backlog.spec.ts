// What Elasticsearch lacks is never lost: documents a full spool dropped are sent from the JSONL
// output, the checkpoint holds elastic_safe_until at them meanwhile, and an interrupted spool
// replay resumes after its last stored batch in the next process (restart or lease takeover).

import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ElasticConfig } from '../src/config';
import { ElasticSink } from '../src/lib/elastic/bulk-sink';
import { outputBacklog } from '../src/lib/elastic/output-backlog';
import { ReplayOffset } from '../src/lib/elastic/replay-offset';
import { Metrics } from '../src/lib/metrics';
import { OutputReplay } from '../src/lib/output-replay';
import type { TailRecord } from '../src/lib/output-tail';
import { elasticDoc } from '../src/lib/pipeline';
import { FakeElastic, sinkConfig } from './fakes/fake-elastic';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { startCollector, type TestCollector, topicOf, waitFor } from './helpers';

const silent = pino({ level: 'silent' });
const BASE = Date.now() - 3_600_000;

/** An output record as the collector writes it (only what the sink and the reader use, padded). */
function record(n: number): Record<string, unknown> {
  return {
    timestamp: new Date(BASE + n).toISOString(),
    event_type: 'audiohook_operational',
    conversation_id: `conv-${String(n).padStart(4, '0')}`,
    received_at: new Date(BASE + n).toISOString(),
    dedupe_key: `key-${String(n).padStart(4, '0')}`,
    pad: 'x'.repeat(80),
  };
}
const line = (n: number): string => `${JSON.stringify(record(n))}\n`;
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => from + i);

describe('ElasticSink backlog: what the full spool dropped comes from the output', () => {
  let es: FakeElastic;
  let dir: string;
  let out: string;
  let sink: ElasticSink | undefined;
  let metrics: Metrics;
  const config = (over: Partial<ElasticConfig> = {}): ElasticConfig =>
    sinkConfig(es.baseUrl, dir, over);
  const backlog = () =>
    outputBacklog({
      file: out,
      backupCount: 3,
      slackMs: 0,
      batchSize: 5,
      settled: () => Promise.resolve(),
      logger: silent,
    });

  beforeEach(async () => {
    es = await new FakeElastic().start();
    dir = mkdtempSync(join(tmpdir(), 'es-backlog-'));
    out = join(dir, 'audiohook_events.jsonl');
    metrics = new Metrics({ defaultMetrics: false });
  });
  afterEach(async () => {
    await sink?.stop(1000);
    sink = undefined;
    await es.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the documents the full spool dropped from the JSONL output once Elasticsearch answers, holding oldestPending at the first of them meanwhile', async () => {
    es.down = 'refuse';
    const s = new ElasticSink(
      config({ spoolMaxBytes: 2048, maxRetries: 0 }),
      silent,
      metrics,
      backlog(),
    );
    sink = s;
    await s.start();
    // The pipeline writes each record to the output and hands the same document to the sink.
    writeFileSync(out, range(0, 40).map(line).join(''));
    for (const n of range(0, 40)) s.add({ ...elasticDoc(record(n)), at: BASE + n });
    await waitFor(
      'all spooled or dropped',
      () => metrics.get('elastic_spooled') + metrics.get('elastic_spool_dropped') === 40,
    );
    const spooled = metrics.get('elastic_spooled');
    expect(metrics.get('elastic_spool_dropped')).toBeGreaterThan(0);
    // The checkpoint's elastic_safe_until stays at the first document that is in the output only.
    expect(s.oldestPending()).toBe(BASE + spooled);
    expect(s.status()).toMatchObject({
      spoolFull: true,
      backlogSince: new Date(BASE + spooled).toISOString(),
    });

    es.down = undefined;
    await waitFor(
      'every document in Elasticsearch',
      () => es.index('genesys-audiohook').size === 40 && !s.status().spooling,
    );
    expect(s.status().backlogSince).toBeUndefined();
    expect(s.oldestPending()).toBeUndefined();
    expect(metrics.get('elastic_caught_up')).toBeGreaterThanOrEqual(40 - spooled);
  });

  it('after a restart, sends from the output what Elasticsearch may lack since the checkpoint (resumeFrom)', async () => {
    writeFileSync(out, range(0, 12).map(line).join(''));
    const s = new ElasticSink(config(), silent, metrics, backlog());
    sink = s;
    s.resumeFrom(BASE + 4);
    expect(s.oldestPending()).toBe(BASE + 4);
    await s.start();
    await waitFor('sent', () => es.index('genesys-audiohook').size === 8 && !s.status().spooling);
    expect([...es.index('genesys-audiohook').keys()].sort()).toEqual(
      range(4, 12).map((n) => `key-${String(n).padStart(4, '0')}`),
    );
    expect(s.oldestPending()).toBeUndefined();
  });
});

describe('ElasticSink spool replay offset: durable and shared beside the spool', () => {
  let es: FakeElastic;
  let dir: string;
  const doc = (n: number) => ({
    id: `id-${n}`,
    source: { '@timestamp': new Date(BASE + n).toISOString(), n, pad: 'x'.repeat(60) },
  });

  beforeEach(async () => {
    es = await new FakeElastic().start();
    dir = mkdtempSync(join(tmpdir(), 'es-offset-'));
  });
  afterEach(async () => {
    await es.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes a replay that another process (a restart, or the next lease holder) interrupted after its last stored batch, not from the top', async () => {
    const cfg = sinkConfig(es.baseUrl, dir, { maxRetries: 0 });
    const first = new ElasticSink(cfg, silent, new Metrics({ defaultMetrics: false }));
    es.down = 'refuse';
    await first.start();
    for (let i = 0; i < 15; i += 1) first.add(doc(i));
    await waitFor(
      'spooled',
      async () => (await first.spoolBytes()) > 0 && first.status().queued === 0,
    );
    es.latencyMs = 150;
    es.down = undefined;
    await waitFor('first replay batch stored', () => es.index('genesys-audiohook').size === 5);
    es.down = 503; // the second batch is still in flight (latency) and fails
    await waitFor('second batch refused', () => es.calls.some((c) => c.status === 503));
    // This process goes away without another word (fenced out, or killed).
    await first.abandon();
    expect(existsSync(join(dir, 'spool.jsonl.replaying.offset'))).toBe(true);

    es.latencyMs = 0;
    es.down = undefined;
    const metrics = new Metrics({ defaultMetrics: false });
    const second = new ElasticSink(cfg, silent, metrics);
    try {
      await second.start();
      await waitFor(
        'replayed',
        () => es.index('genesys-audiohook').size === 15 && !second.status().spooling,
      );
    } finally {
      await second.stop(1000);
    }
    const sent = es.calls.flatMap((c) => c.ids);
    expect(sent.filter((id) => id === 'id-0')).toHaveLength(1);
    expect(metrics.get('elastic_conflicts')).toBe(0);
    expect(existsSync(join(dir, 'spool.jsonl.replaying.offset'))).toBe(false);
  });

  it('uses a saved offset only for the very file it belongs to, within its size and at a line start', async () => {
    const file = join(dir, 'spool.jsonl.replaying');
    writeFileSync(file, 'aaaa\nbbbb\ncccc\n');
    const offset = new ReplayOffset(file, () => undefined);
    const { ino } = await stat(file, { bigint: true });
    const save = async (fileId: string, at: number): Promise<void> => {
      offset.save(fileId, at);
      await offset.settle();
    };
    await save(ino.toString(), 10);
    expect(await offset.read()).toBe(10);
    await save(ino.toString(), 7); // not after a newline
    expect(await offset.read()).toBe(0);
    await save(ino.toString(), 99); // past the end
    expect(await offset.read()).toBe(0);
    await save(`${ino.toString()}0`, 5); // another file
    expect(await offset.read()).toBe(0);
    writeFileSync(offset.path, '{"version":1,"file_id":"x"'); // torn by hand
    expect(await offset.read()).toBe(0);
    await offset.clear();
    expect(existsSync(offset.path)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('aaaa\nbbbb\ncccc\n');
  });
});

describe('OutputReplay', () => {
  let dir: string;
  let out: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'output-replay-'));
    out = join(dir, 'out.jsonl');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const replayer = (batchSize: number, slackMs = 0) =>
    new OutputReplay({
      file: out,
      backupCount: 3,
      slackMs,
      batchSize,
      settled: () => Promise.resolve(),
      logger: silent,
    });
  const numbers = (records: TailRecord[]): number[] =>
    records.map((r) => Number(String(r.record['conversation_id']).slice(5)));

  it('starts in the file that holds the starting point and reads forward to the end of the live file', async () => {
    writeFileSync(`${out}.2`, range(0, 5).map(line).join(''));
    writeFileSync(`${out}.1`, range(5, 10).map(line).join(''));
    writeFileSync(out, range(10, 15).map(line).join(''));
    const seen: TailRecord[] = [];
    const done = await replayer(4).replay(
      BASE + 7,
      async (batch) => {
        seen.push(...batch);
        return true;
      },
      new AbortController().signal,
    );
    expect(done).toBe(true);
    expect(numbers(seen)).toEqual(range(7, 15));
  });

  it("also reads the slack before the starting point (other instances' clocks), from the previous file if need be", async () => {
    writeFileSync(`${out}.1`, range(0, 5).map(line).join(''));
    writeFileSync(out, range(5, 10).map(line).join(''));
    const seen: TailRecord[] = [];
    await replayer(4, 3).replay(
      BASE + 6,
      async (batch) => {
        seen.push(...batch);
        return true;
      },
      new AbortController().signal,
    );
    expect(numbers(seen)).toEqual(range(3, 10));
  });

  it('follows the files through a rotation while it reads: none skipped, none read twice', async () => {
    writeFileSync(`${out}.2`, range(0, 5).map(line).join(''));
    writeFileSync(`${out}.1`, range(5, 10).map(line).join(''));
    writeFileSync(out, range(10, 15).map(line).join(''));
    const seen: TailRecord[] = [];
    let rotated = false;
    const done = await replayer(1).replay(
      BASE,
      async (batch) => {
        seen.push(...batch);
        if (!rotated) {
          // The writer rotates while the first file is being read, and writes on.
          rotated = true;
          renameSync(`${out}.2`, `${out}.3`);
          renameSync(`${out}.1`, `${out}.2`);
          renameSync(out, `${out}.1`);
          writeFileSync(out, range(15, 18).map(line).join(''));
          appendFileSync(out, line(18));
        }
        return true;
      },
      new AbortController().signal,
    );
    expect(done).toBe(true);
    expect(numbers(seen)).toEqual(range(0, 19));
  });

  it('stops when the batch handler says so, and leaves out a last line still being written', async () => {
    writeFileSync(out, `${range(0, 6).map(line).join('')}{"dedupe_key":"key-9","recei`);
    const seen: TailRecord[] = [];
    const stopped = await replayer(2).replay(
      BASE,
      async (batch) => {
        seen.push(...batch);
        return seen.length < 4;
      },
      new AbortController().signal,
    );
    expect(stopped).toBe(false);
    expect(numbers(seen)).toEqual(range(0, 4));
    const all: TailRecord[] = [];
    await replayer(10).replay(
      BASE,
      async (batch) => {
        all.push(...batch);
        return true;
      },
      new AbortController().signal,
    );
    expect(numbers(all)).toEqual(range(0, 6));
  });
});

describe('collector with a full Elasticsearch spool', () => {
  let genesys: FakeGenesys;
  let es: FakeElastic;
  let dir: string;
  beforeEach(async () => {
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 200 }).start();
    es = await new FakeElastic().start();
    dir = mkdtempSync(join(tmpdir(), 'collector-backlog-'));
  });
  afterEach(async () => {
    await genesys.stop();
    await es.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  // 1 KiB holds no document: everything past the spool cap is in the JSONL output only.
  const env = { ELASTIC_SPOOL_MAX_BYTES: '1024', CHECKPOINT_INTERVAL_MS: '50' };

  it('sends Elasticsearch the events the full spool dropped once it answers again, without a restart', async () => {
    es.down = 'refuse';
    const c: TestCollector = await startCollector(genesys, { elastic: es, env, dir });
    try {
      await waitFor('connected', () => genesys.connectedChannels().length === 1);
      for (let n = 0; n < 10; n += 1) genesys.publish(topicOf(), audioHookBody(n));
      await waitFor('dropped', () => c.collector.metrics.get('elastic_spool_dropped') === 10);
      await waitFor('the problem on /health', async () => {
        const h = (await c.http('/health')).json as { problems?: string[] };
        return h.problems?.some((p) =>
          p.startsWith('Elasticsearch lacks documents received since'),
        );
      });
      es.down = undefined;
      await waitFor(
        'all in Elasticsearch',
        () => es.index('genesys-audiohook').size === 10,
        15_000,
      );
      const keys = c.records().map((r) => String(r['dedupe_key']));
      expect([...es.index('genesys-audiohook').keys()].sort()).toEqual(keys.sort());
    } finally {
      await c.stop();
    }
  });

  it('sends them after a restart: the checkpoint holds elastic_safe_until at the first one', async () => {
    es.down = 'refuse';
    const first = await startCollector(genesys, { elastic: es, env, dir });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    for (let n = 0; n < 10; n += 1) genesys.publish(topicOf(), audioHookBody(n));
    await waitFor('dropped', () => first.collector.metrics.get('elastic_spool_dropped') === 10);
    await first.collector.stop();
    const firstReceived = Math.min(
      ...first.records().map((r) => Date.parse(String(r['received_at']))),
    );
    const cp = JSON.parse(readFileSync(`${first.outFile}.checkpoint`, 'utf8')) as Record<
      string,
      unknown
    >;
    expect(Date.parse(String(cp['elastic_safe_until']))).toBeLessThanOrEqual(firstReceived);
    expect(es.index('genesys-audiohook').size).toBe(0);

    es.down = undefined;
    const second = await startCollector(genesys, { elastic: es, env, dir });
    try {
      await waitFor(
        'all in Elasticsearch',
        () => es.index('genesys-audiohook').size === 10,
        15_000,
      );
    } finally {
      await second.stop();
    }
  });
});

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ElasticConfig } from '../src/config';
import { ElasticSink, type SinkStep } from '../src/lib/elastic/bulk-sink';
import { spoolLine } from '../src/lib/elastic/spool-file';
import { Metrics } from '../src/lib/metrics';
import { FakeElastic, sinkConfig } from './fakes/fake-elastic';

const silent = pino({ level: 'silent' });

function doc(n: number): { id: string; source: Record<string, unknown> } {
  return {
    id: `id-${n}`,
    source: { '@timestamp': new Date(1_700_000_000_000 + n).toISOString(), n },
  };
}

/** Every file of `dir` with its content. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => [name, readFileSync(join(dir, name), 'utf8')]),
  );
}

/**
 * A lease that is lost right before the `nth` step `op` of the sink: the test hook takes it away
 * there (after the previous steps were allowed) and records the folder as it is at that moment,
 * which the refused step must leave as it is.
 */
class LosingLease {
  held = true;
  readonly steps: SinkStep['op'][] = [];
  atLoss: Record<string, string> | undefined;
  readonly lost: Promise<void>;
  #resolve: () => void = () => undefined;
  #seen = 0;

  constructor(
    readonly dir: string,
    readonly op: SinkStep['op'],
    readonly nth: number,
  ) {
    this.lost = new Promise((resolve) => (this.#resolve = resolve));
  }

  readonly mayWrite = (): boolean => this.held;

  /**
   * Resolves once the lease was taken away and the sink has asked `mayWrite` about that step (it
   * does so within the same turn of the event loop, right after the hook).
   */
  async passed(): Promise<void> {
    await this.lost;
    await new Promise((resolve) => setImmediate(resolve));
  }

  readonly beforeStep = (step: SinkStep): void => {
    this.steps.push(step.op);
    if (step.op !== this.op || !this.held) return;
    this.#seen += 1;
    if (this.#seen < this.nth) return;
    this.atLoss = snapshot(this.dir);
    this.held = false;
    this.#resolve();
  };
}

describe('ElasticSink fenced by the lease before every change to its files', () => {
  let es: FakeElastic;
  let dir: string;
  let spool: string;
  let sink: ElasticSink | undefined;
  let metrics: Metrics;

  beforeEach(async () => {
    es = await new FakeElastic().start();
    dir = mkdtempSync(join(tmpdir(), 'es-fencing-'));
    spool = join(dir, 'spool.jsonl');
    metrics = new Metrics({ defaultMetrics: false });
  });
  afterEach(async () => {
    await sink?.stop(1000);
    sink = undefined;
    await es.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function fencedSink(lease: LosingLease, over: Partial<ElasticConfig> = {}): ElasticSink {
    // No replay timer fires during a test unless it starts with a spool (retryMaxMs).
    const cfg = sinkConfig(es.baseUrl, dir, { maxRetries: 0, retryMaxMs: 60_000, ...over });
    sink = new ElasticSink(cfg, silent, metrics, undefined, {
      mayWrite: lease.mayWrite,
      beforeStep: lease.beforeStep,
    });
    return sink;
  }

  /** A spool left by a previous holder: `count` documents. */
  function leftSpool(count: number): void {
    writeFileSync(spool, Array.from({ length: count }, (_, n) => spoolLine(doc(n))).join(''));
  }

  it('stops before a spool append once the lease is gone: the spool keeps what the first append wrote, the rest is dropped', async () => {
    const lease = new LosingLease(dir, 'append', 2);
    const s = fencedSink(lease);
    es.down = 'refuse';
    await s.start();
    for (let i = 0; i < 5; i += 1) s.add(doc(i)); // a full batch: refused, then spooled
    await s.drain();
    expect(metrics.get('elastic_spooled')).toBe(5);
    for (let i = 5; i < 10; i += 1) s.add(doc(i)); // spooling: straight to the spool
    await s.drain();
    await lease.passed();
    await s.abandon();
    expect(snapshot(dir)).toEqual(lease.atLoss);
    expect(s.fenced).toBe(true);
    expect(lease.steps).toEqual(['append', 'append']);
    expect(readFileSync(spool, 'utf8').trim().split('\n')).toHaveLength(5);
    expect(metrics.get('elastic_spooled')).toBe(5);
    expect(s.status().queued).toBe(0);
    s.add(doc(10)); // ignored from here on, as after abandon()
    expect(s.status().queued).toBe(0);
  });

  it('stops before moving the spool aside for a replay once the lease is gone', async () => {
    leftSpool(3);
    const lease = new LosingLease(dir, 'rename', 1);
    const s = fencedSink(lease);
    await s.start(); // a spool: the replay starts at once
    await lease.passed();
    await s.abandon();
    expect(snapshot(dir)).toEqual(lease.atLoss);
    expect(s.fenced).toBe(true);
    expect(lease.steps).toEqual(['clear-offset', 'rename']);
    expect(existsSync(`${spool}.replaying`)).toBe(false);
    expect(es.calls).toHaveLength(0);
  });

  it('stops before writing the replay offset once the lease is gone: no offset written, the replay file stays', async () => {
    leftSpool(6);
    const lease = new LosingLease(dir, 'write-offset', 1);
    const s = fencedSink(lease, { bulkSize: 2 });
    await s.start();
    await lease.passed();
    await s.abandon();
    expect(snapshot(dir)).toEqual(lease.atLoss);
    expect(Object.keys(lease.atLoss ?? {})).toEqual(['spool.jsonl.replaying']);
    expect(s.fenced).toBe(true);
    expect(lease.steps).toEqual(['clear-offset', 'rename', 'write-offset']);
    expect(es.index('genesys-audiohook').size).toBeLessThan(6); // the replay stopped
  });

  it.each([
    ['clear-offset', 2],
    ['unlink', 1],
  ] as const)(
    'stops before the %s that ends a replay once the lease is gone: the files stay as they are',
    async (op, nth) => {
      leftSpool(2);
      const lease = new LosingLease(dir, op, nth);
      const s = fencedSink(lease);
      await s.start();
      await lease.passed();
      await s.abandon();
      expect(snapshot(dir)).toEqual(lease.atLoss);
      expect(existsSync(`${spool}.replaying`)).toBe(true);
      expect(s.fenced).toBe(true);
      expect(es.index('genesys-audiohook').size).toBe(2);
      expect(lease.steps.at(-1)).toBe(op);
    },
  );

  it('stops before a dead-letter append once the lease is gone', async () => {
    const lease = new LosingLease(dir, 'dead-letter', 2);
    const s = fencedSink(lease);
    await s.start();
    es.badIds.add('id-1').add('id-3');
    for (let i = 0; i < 5; i += 1) s.add(doc(i));
    await s.drain();
    await lease.passed();
    await s.abandon();
    expect(snapshot(dir)).toEqual(lease.atLoss);
    expect(s.fenced).toBe(true);
    const dead = readFileSync(join(dir, 'dead.jsonl'), 'utf8').trim().split('\n');
    expect(dead.map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['id-1']);
    expect(metrics.get('elastic_dead_lettered')).toBe(1);
  });

  it('changes nothing at stop() once fenced (no spool of what is left, no fsync)', async () => {
    const lease = new LosingLease(dir, 'append', 1);
    const s = fencedSink(lease);
    es.down = 'refuse';
    await s.start();
    for (let i = 0; i < 5; i += 1) s.add(doc(i));
    await s.drain();
    await lease.passed();
    await s.stop(1000);
    expect(snapshot(dir)).toEqual(lease.atLoss);
    expect(s.fenced).toBe(true);
    expect(lease.steps).toEqual(['append']);
  });
});

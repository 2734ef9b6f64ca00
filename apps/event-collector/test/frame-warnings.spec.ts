import pino from 'pino';
import { LogLimiter } from '../src/lib/log-limiter';
import { Metrics } from '../src/lib/metrics';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { LogCapture, startCollector, type TestCollector, topicOf, waitFor } from './helpers';

const SUMMARY = 'more warnings of this kind were not logged';

describe('LogLimiter', () => {
  it('logs the first N of each kind per interval, counts the rest, and writes one summary per kind and interval', () => {
    const logs = new LogCapture();
    const metrics = new Metrics({ defaultMetrics: false });
    let now = 1_000_000;
    const limit = new LogLimiter<'a' | 'b'>({
      logger: pino({ level: 'info' }, logs),
      metrics,
      perInterval: 3,
      intervalMs: 60_000,
      now: () => now,
    });
    const allowedA = Array.from({ length: 100 }, () => limit.allow('a')).filter(Boolean).length;
    const allowedB = Array.from({ length: 5 }, () => limit.allow('b')).filter(Boolean).length;
    expect([allowedA, allowedB]).toEqual([3, 3]);
    expect(metrics.get('log_lines_suppressed')).toBe(97 + 2);
    expect(logs.lines).toHaveLength(0);

    // The next interval: its first warning of `a` reports the last one's, then is logged.
    now += 60_000;
    expect(limit.allow('a')).toBe(true);
    expect(logs.lines).toEqual([expect.objectContaining({ kind: 'a', suppressed: 97 })]);
    limit.close();
    expect(logs.lines.slice(1)).toEqual([expect.objectContaining({ kind: 'b', suppressed: 2 })]);
    limit.close(); // nothing more to tell
    expect(logs.lines).toHaveLength(2);
  });
});

describe('collector: a flood of junk frames', () => {
  let genesys: FakeGenesys;
  let c: TestCollector | undefined;

  beforeEach(async () => {
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 200 }).start();
  });
  afterEach(async () => {
    await c?.stop();
    c = undefined;
    await genesys.stop();
  });

  it('writes a bounded number of log lines for 10,000 junk frames, and counts every one', async () => {
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const kinds = [
      'not json',
      '[1,2]',
      Buffer.from([1, 2, 3]),
      '{"topicName":"v2.system.made_up","eventBody":{"reason":"x"}}',
    ];
    for (let i = 0; i < 10_000; i += 1) genesys.sendRaw(kinds[i % kinds.length] ?? '');
    genesys.publish(topicOf(), audioHookBody(1));
    await waitFor('the event after them', () => (c?.records().length ?? 0) === 1);
    const m = c.collector.metrics;
    expect(m.get('malformed_messages')).toBe(7_500);
    expect(m.get('system_messages')).toBe(2_500);

    const count = (msg: string): number => c?.logs.messages().filter((l) => l === msg).length ?? 0;
    // At most 10 a minute of each kind: the not-JSON and not-an-object frames share one kind.
    expect(count('skipped a malformed frame')).toBe(10);
    expect(count('skipped a binary frame')).toBe(10);
    expect(count('system message')).toBe(10);
    expect(m.get('log_lines_suppressed')).toBe(10_000 - 30);

    await c.stop();
    const logs = c.logs;
    c = undefined;
    // At shutdown, one summary line per kind with what was not logged.
    const summaries = logs.lines.filter((l) => String(l['msg']).startsWith(SUMMARY));
    expect(
      Object.fromEntries(summaries.map((l) => [String(l['kind']), Number(l['suppressed'])])),
    ).toEqual({ malformed_frame: 4_990, binary_frame: 2_490, system_message: 2_490 });
    expect(summaries).toHaveLength(3);
    expect(logs.lines.length).toBeLessThan(200);
  });

  it('rate-limits the warning for events nested too deep the same way', async () => {
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const deep = `${'{"a":'.repeat(100)}1${'}'.repeat(100)}`;
    for (let i = 0; i < 50; i += 1) {
      genesys.sendRaw(`{"topicName":"${topicOf()}","version":"2","eventBody":${deep}}`);
    }
    genesys.publish(topicOf(), audioHookBody(1));
    await waitFor('the event after them', () => (c?.records().length ?? 0) === 1);
    expect(c.collector.metrics.get('malformed_messages')).toBe(50);
    const msg = 'skipped an event whose body nests too deep to be written as JSON';
    expect(c.logs.messages().filter((l) => l === msg)).toHaveLength(10);
    expect(c.collector.metrics.get('log_lines_suppressed')).toBe(40);
    await c.stop();
    const logs = c.logs;
    c = undefined;
    expect(logs.lines.filter((l) => String(l['msg']).startsWith(SUMMARY))).toEqual([
      expect.objectContaining({ kind: 'event_too_deep', suppressed: 40 }),
    ]);
  });
});

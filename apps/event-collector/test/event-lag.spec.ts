import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { delay, startCollector, type TestCollector, topicOf, waitFor } from './helpers';

const DAY_MS = 86_400_000;

/** The intervals (epoch ms) of the history queries the collector sent. */
function queriedIntervals(genesys: FakeGenesys): { start: number; end: number }[] {
  return genesys.requestsTo('/api/v2/usage/events/query', 'POST').map((r) => {
    const body = JSON.parse(r.body || '{}') as { interval?: string };
    const [start, end] = (body.interval ?? '').split('/').map((s) => Date.parse(s));
    return { start: start ?? NaN, end: end ?? NaN };
  });
}

describe('delivery lag estimate (receive time minus event time)', () => {
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

  const safeUntil = (): number => {
    const iso = c?.collector.health().body.checkpoint.safe_until;
    return iso ? Date.parse(iso) : NaN;
  };

  it('ignores an event time days old or in seconds: the checkpoint does not move back and the next gap is not backfilled days deep', async () => {
    c = await startCollector(genesys, { env: { CHECKPOINT_INTERVAL_MS: '50' } });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.publish(topicOf(), audioHookBody(1));
    await waitFor('first record', () => c?.records().length === 1);
    await waitFor('a checkpoint', () => Number.isFinite(safeUntil()));
    const before = safeUntil();

    genesys.publish(topicOf(), audioHookBody(2, { timestamp: Date.now() - 9 * DAY_MS }));
    genesys.publish(topicOf(), audioHookBody(3, { timestamp: Math.floor(Date.now() / 1000) }));
    await waitFor('hostile records written', () => c?.records().length === 3);
    const written = c.collector.metrics.get('checkpoints_written');
    let lowest = Infinity;
    await waitFor('five more checkpoints', () => {
      lowest = Math.min(lowest, safeUntil());
      return (c?.collector.metrics.get('checkpoints_written') ?? 0) >= written + 5;
    });
    expect(lowest).toBeGreaterThanOrEqual(before);
    expect(c.collector.metrics.get('events_implausible_time')).toBe(2);
    expect(c.logs.messages().filter((m) => m.includes('BACKFILL_MAX_LAG_S'))).toHaveLength(1);

    const droppedAt = Date.now();
    genesys.dropConnections();
    await waitFor('gap backfilled', () => c?.collector.health().body.backfill?.lastGap, 10_000);
    const [interval, ...more] = queriedIntervals(genesys);
    expect(more).toHaveLength(0);
    // The gap starts at the last frame (minus the 1 s margin), not nine days or 55 years back.
    expect(interval?.start).toBeGreaterThan(droppedAt - 5_000);
    expect(c.collector.metrics.get('backfill_failures')).toBe(0);
    expect(c.logs.has('older events are lost')).toBe(false);
    await delay(200);
    expect(c.records().map((r) => r['conversation_id'])).toHaveLength(3);
  });

  it('still moves the gap start back by a plausible lag, so an event sent but not yet read at a drop is backfilled', async () => {
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    // The reader is 5 s behind Genesys.
    genesys.publish(topicOf(), audioHookBody(1, { timestamp: Date.now() - 5_000 }));
    await waitFor('first record', () => c?.records().length === 1);
    // Published 4 s before the last frame read, but never delivered: only the history has it.
    genesys.stall();
    const inFlight = audioHookBody(2, { timestamp: Date.now() - 4_000 });
    genesys.publish(topicOf(), inFlight);
    genesys.stall(false);
    genesys.dropConnections();
    await waitFor('in-flight event backfilled', () => c?.records().length === 2, 10_000);
    const recovered = c.records()[1];
    expect(recovered?.['conversation_id']).toBe(inFlight['conversationId']);
    expect(recovered?.['source']).toBe('backfill');
    const [interval] = queriedIntervals(genesys);
    expect(interval?.start).toBeLessThanOrEqual(Number(inFlight['timestamp']));
    expect(c.collector.metrics.get('events_implausible_time')).toBe(0);
  });

  it('ignores an event time beyond BACKFILL_MAX_LAG_S even when it is only minutes old', async () => {
    c = await startCollector(genesys, { env: { BACKFILL_MAX_LAG_S: '2' } });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.publish(topicOf(), audioHookBody(1, { timestamp: Date.now() - 10 * 60_000 }));
    await waitFor('record', () => c?.records().length === 1);
    expect(c.collector.metrics.get('events_implausible_time')).toBe(1);
    const droppedAt = Date.now();
    genesys.dropConnections();
    await waitFor('gap backfilled', () => c?.collector.health().body.backfill?.lastGap, 10_000);
    expect(queriedIntervals(genesys)[0]?.start).toBeGreaterThan(droppedAt - 5_000);
  });
});

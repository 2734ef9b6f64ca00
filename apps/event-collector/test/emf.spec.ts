// The collector's CloudWatch metrics (EMF_NAMESPACE): Leader, Receiving and EventsWritten, one EMF document
// per interval (a fake clock drives it) and a last one on stop.

import { ManualEmfClock } from '@org/service-kit/testing';
import { loadConfig } from '../src/config';
import { startCollectorEmf } from '../src/lib/emf';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { startCollector, type TestCollector, topicOf, waitFor } from './helpers';

const document = (
  timestamp: number,
  leader: number,
  eventsWritten: number,
  receiving: number = leader,
) => ({
  _aws: {
    Timestamp: timestamp,
    CloudWatchMetrics: [
      {
        Namespace: 'EventCollector',
        Dimensions: [['Service']],
        Metrics: [
          { Name: 'Leader', Unit: 'None' },
          { Name: 'Receiving', Unit: 'None' },
          { Name: 'EventsWritten', Unit: 'Count' },
        ],
      },
    ],
  },
  Service: 'event-collector',
  Leader: leader,
  Receiving: receiving,
  EventsWritten: eventsWritten,
});

describe('EMF metrics: Leader, Receiving and EventsWritten', () => {
  it('writes Leader and the events written since the last document every interval, and a last document on stop', () => {
    const clock = new ManualEmfClock();
    const lines: string[] = [];
    let collecting = false;
    let written = 5;
    const emf = startCollectorEmf({
      namespace: 'EventCollector',
      intervalMs: 60_000,
      collecting: () => collecting,
      receiving: () => true,
      eventsWritten: () => written,
      write: (line) => lines.push(line),
      clock,
    });
    expect([...clock.intervals.values()].map((i) => i.ms)).toEqual([60_000]);
    expect(lines).toEqual([]);

    clock.tick(60_000); // standing by: the 5 events before start are not this interval's
    collecting = true;
    written = 12;
    clock.tick(60_000);
    clock.tick(60_000); // nothing new
    written = 15;
    collecting = false;
    emf.stop();
    emf.stop();

    expect(clock.intervals.size).toBe(0);
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      document(1_700_000_060_000, 0, 0),
      document(1_700_000_120_000, 1, 7),
      document(1_700_000_180_000, 1, 0),
      document(1_700_000_180_000, 0, 3),
    ]);
  });

  it('carries the events of a document that could not be written over to the next one', () => {
    const clock = new ManualEmfClock();
    const lines: string[] = [];
    let written = 0;
    let failing = true;
    const emf = startCollectorEmf({
      namespace: 'EventCollector',
      intervalMs: 60_000,
      collecting: () => true,
      receiving: () => true,
      eventsWritten: () => written,
      write: (line) => {
        if (failing) throw new Error('stdout closed');
        lines.push(line);
      },
      clock,
    });
    written = 4;
    clock.tick(60_000);
    expect(lines).toEqual([]);
    failing = false;
    written = 6;
    clock.tick(60_000);
    emf.stop();
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      document(1_700_000_120_000, 1, 6),
      document(1_700_000_120_000, 1, 0),
    ]);
  });

  it('reports Receiving 0 for a leader whose channel does not receive, and never for a standby', () => {
    const clock = new ManualEmfClock();
    const lines: string[] = [];
    let collecting = true;
    let receiving = false;
    const emf = startCollectorEmf({
      namespace: 'EventCollector',
      intervalMs: 60_000,
      collecting: () => collecting,
      receiving: () => receiving,
      eventsWritten: () => 0,
      write: (line) => lines.push(line),
      clock,
    });
    clock.tick(60_000); // the lease held, the Genesys login failing
    receiving = true;
    clock.tick(60_000);
    collecting = false; // the lease lost: a standby's channel state is not its to report
    clock.tick(60_000);
    emf.stop();
    expect(lines.map((l) => JSON.parse(l) as unknown)).toEqual([
      document(1_700_000_060_000, 1, 0, 0),
      document(1_700_000_120_000, 1, 0, 1),
      document(1_700_000_180_000, 0, 0, 0),
      document(1_700_000_180_000, 0, 0, 0),
    ]);
  });
});

describe('EMF settings', () => {
  const base = { GENESYS_CLIENT_ID: 'id', GENESYS_CLIENT_SECRET: 'secret' };

  it('are off without EMF_NAMESPACE and publish every 60 s by default', () => {
    expect(loadConfig(base).emf).toEqual({ namespace: undefined, intervalMs: 60_000 });
    expect(
      loadConfig({ ...base, EMF_NAMESPACE: 'EventCollector', EMF_INTERVAL_SECONDS: '30' }).emf,
    ).toEqual({ namespace: 'EventCollector', intervalMs: 30_000 });
  });

  it('refuses a namespace CloudWatch would refuse and an interval under a second', () => {
    expect(() => loadConfig({ ...base, EMF_NAMESPACE: ':aws' })).toThrow(/EMF_NAMESPACE/);
    expect(() => loadConfig({ ...base, EMF_NAMESPACE: 'Événements' })).toThrow(/EMF_NAMESPACE/);
    expect(() => loadConfig({ ...base, EMF_INTERVAL_SECONDS: '0.5' })).toThrow(
      /EMF_INTERVAL_SECONDS/,
    );
  });
});

describe('EMF metrics of the running collector', () => {
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

  const emfLines = (t: TestCollector) => t.logs.lines.filter((l) => l['_aws'] !== undefined);

  it('with EMF_NAMESPACE, reports Leader 1 while it collects alone, then Leader 0 and every event written when it stops', async () => {
    c = await startCollector(genesys, {
      env: { EMF_NAMESPACE: 'EventCollector', EMF_INTERVAL_SECONDS: '1' },
    });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.publish(topicOf(), audioHookBody(1));
    await waitFor('one record', () => c?.records().length === 1);
    const t = c;
    const leading = await waitFor('a document with Leader 1', () =>
      emfLines(t).find((l) => l['Leader'] === 1),
    );
    expect(leading).toMatchObject({
      Service: 'event-collector',
      Receiving: 1,
      _aws: expect.anything(),
    });
    await t.stop();
    c = undefined;
    const documents = emfLines(t);
    expect(documents.at(-1)).toEqual(document(expect.any(Number) as unknown as number, 0, 0));
    expect(documents.reduce((sum, l) => sum + Number(l['EventsWritten']), 0)).toBe(1);
  });

  it('reports Receiving 0, still Leader 1, once its channel has received nothing within HEARTBEAT_TIMEOUT_MS', async () => {
    c = await startCollector(genesys, {
      env: {
        EMF_NAMESPACE: 'EventCollector',
        EMF_INTERVAL_SECONDS: '1',
        HEARTBEAT_TIMEOUT_MS: '1500',
        // The channel stays down long enough for a document to see it.
        RECONNECT_DELAY: '30',
        MAX_RECONNECT_DELAY: '30',
      },
    });
    const t = c;
    await waitFor('a document with Receiving 1', () =>
      emfLines(t).find((l) => l['Receiving'] === 1),
    );
    genesys.stall();
    const silent = await waitFor('a document with Leader 1 and Receiving 0', () =>
      emfLines(t).find((l) => l['Leader'] === 1 && l['Receiving'] === 0),
    );
    expect(silent).toMatchObject({ Service: 'event-collector' });
    expect(t.collector.health().body).toMatchObject({ role: 'leader', receiving: false });
  });

  it('without EMF_NAMESPACE, writes no EMF document', async () => {
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    const stopped = c;
    await stopped.stop();
    c = undefined;
    expect(emfLines(stopped)).toEqual([]);
  });
});

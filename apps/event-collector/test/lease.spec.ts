import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import pino from 'pino';
import { type LeaseAcquired, DynamoLease } from '../src/lib/lease';
import { LocalDynamo } from './dynamo';

const TABLE = 'event-collector-lease';
const KEY = 'event-collector/lease/default';
const silent = pino({ level: 'silent' });

/** A lease on its own hand-driven monotonic clock, recording what happened to it. */
function lease(dynamo: LocalDynamo, owner: string, opts: { minToken?: number } = {}) {
  const clock = { now: 0 };
  const events: string[] = [];
  const acquired: LeaseAcquired[] = [];
  const l = new DynamoLease({
    client: dynamo.client,
    table: TABLE,
    key: KEY,
    owner,
    durationMs: 10_000,
    renewEveryMs: 3000,
    pollEveryMs: 1000,
    now: () => clock.now,
    ...(opts.minToken === undefined ? {} : { minToken: async () => opts.minToken ?? 0 }),
    logger: silent,
    onAcquired: (a) => {
      acquired.push(a);
      events.push(`acquired ${a.token}`);
    },
    onLost: (reason) => events.push(`lost: ${reason}`),
  });
  return { l, clock, events, acquired };
}

describe('DynamoLease (dynalite, clocks driven by hand)', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await LocalDynamo.start();
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  beforeEach(async () => {
    await dynamo.createTable(TABLE).catch(() => undefined);
    await dynamo.client
      .send(
        new DeleteItemCommand({
          TableName: TABLE,
          Key: { pk: { S: KEY } },
        }),
      )
      .catch(() => undefined);
  });

  it('gives a free lease to the first instance, with fencing token 1 (or one above the checkpoint token)', async () => {
    const a = lease(dynamo, 'a', { minToken: 6 });
    await a.l.step();
    expect(a.events).toEqual(['acquired 7']);
    expect(a.l.holds()).toBe(true);
    expect(await dynamo.item(TABLE, KEY)).toMatchObject({ owner: 'a', token: '7', beat: '0' });
  });

  it('a standby never takes a lease that keeps being renewed, however long it watches', async () => {
    const a = lease(dynamo, 'a');
    const b = lease(dynamo, 'b');
    await a.l.step();
    for (let i = 0; i < 10; i += 1) {
      await b.l.step();
      b.clock.now += 6000; // b's clock runs far ahead: a whole lease duration between two reads
      a.clock.now += 3000;
      await a.l.step(); // renews: the beat changes
    }
    expect(b.events).toEqual([]);
    expect(a.l.holds()).toBe(true);
  });

  it('takes over only after seeing the lease unchanged for a whole duration on its own clock, and the fenced-out holder learns it at its next renewal', async () => {
    const a = lease(dynamo, 'a');
    const b = lease(dynamo, 'b');
    await a.l.step();
    await b.l.step(); // first sight of (token 1, beat 0)
    b.clock.now += 9999;
    await b.l.step();
    expect(b.events).toEqual([]); // not yet: one millisecond short
    b.clock.now += 1;
    await b.l.step();
    expect(b.events).toEqual([]); // taken, announced after a's grace period (lease-fencing spec)
    b.clock.now += 10_000;
    await b.l.step();
    expect(b.events).toEqual(['acquired 2']);
    // a (paused, its clock stood still) still believes in its lease, until its next renewal:
    expect(a.l.holds()).toBe(true);
    await a.l.step();
    expect(a.events).toEqual([
      'acquired 1',
      'lost: fenced out: another instance holds the lease now',
    ]);
    expect(a.l.holds()).toBe(false);
    expect(await dynamo.item(TABLE, KEY)).toMatchObject({ owner: 'b', token: '2' });
  });

  it('stops trusting its own lease before any standby can take it, without renewing', async () => {
    const a = lease(dynamo, 'a');
    const b = lease(dynamo, 'b');
    await a.l.step();
    await b.l.step();
    a.clock.now += 9000; // 90 % of the duration: a gives up its trust here
    expect(a.l.holds()).toBe(false);
    b.clock.now += 9000;
    await b.l.step();
    expect(b.events).toEqual([]); // b is still waiting when a already stopped writing
  });

  it('hands over at once when the holder releases it, with its published state', async () => {
    const a = lease(dynamo, 'a');
    const b = lease(dynamo, 'b');
    await a.l.step();
    a.l.publish('{"state":"from a"}');
    await a.l.step();
    await b.l.step();
    await a.l.stop(true);
    await b.l.step();
    expect(b.acquired).toEqual([{ token: 2, shared: '{"state":"from a"}', previousOwner: 'a' }]);
  });

  it('lets exactly one of two racing standbys win', async () => {
    const a = lease(dynamo, 'a');
    await a.l.step();
    const b = lease(dynamo, 'b');
    const c = lease(dynamo, 'c');
    await Promise.all([b.l.step(), c.l.step()]);
    b.clock.now += 10_000;
    c.clock.now += 10_000;
    await Promise.all([b.l.step(), c.l.step()]);
    b.clock.now += 10_000; // past a's grace period
    c.clock.now += 10_000;
    await Promise.all([b.l.step(), c.l.step()]);
    expect([...b.events, ...c.events]).toEqual(['acquired 2']);
  });
});

import { DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pino from 'pino';
import { DynamoLease } from '../src/lib/lease';
import { LocalDynamo, TEST_AWS_ENV } from './dynamo';

const TABLE = 'event-collector-lease';
const KEY = 'event-collector/lease/fencing';
const silent = pino({ level: 'silent' });

/** A lease on its own hand-driven monotonic clock, recording what happened to it. */
function lease(
  client: DynamoDBClient,
  owner: string,
  durationMs = 10_000,
): { l: DynamoLease; clock: { now: number }; events: string[] } {
  const clock = { now: 0 };
  const events: string[] = [];
  const l = new DynamoLease({
    client,
    table: TABLE,
    key: KEY,
    owner,
    durationMs,
    renewEveryMs: durationMs / 3,
    pollEveryMs: 1000,
    now: () => clock.now,
    logger: silent,
    onAcquired: (a) => events.push(`acquired ${a.token}`),
    onLost: (reason) => events.push(`lost: ${reason}`),
  });
  return { l, clock, events };
}

/**
 * A client to the same dynalite whose first PutItem is stored, but answered with a timeout (the
 * answer lost on the way back): the SDK's retry sends it again.
 */
function clientLosingFirstPutAnswer(endpoint: string): { client: DynamoDBClient; sent: string[] } {
  const sent: string[] = [];
  const client = new DynamoDBClient({
    endpoint,
    region: TEST_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 2,
  });
  let lostOne = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'PutItemCommand') return next(args);
      const out = await next(args).catch((err: Error) => {
        sent.push(`put refused: ${err.name}`);
        throw err;
      });
      sent.push('put stored');
      if (!lostOne) {
        lostOne = true;
        throw Object.assign(new Error('the answer timed out'), { name: 'TimeoutError' });
      }
      return out;
    },
    // After the retry middleware: once per attempt, around the HTTP exchange.
    { step: 'finalizeRequest', priority: 'low', name: 'loseFirstPutAnswer' },
  );
  return { client, sent };
}

describe('DynamoLease fencing (dynalite, clocks driven by hand)', () => {
  let dynamo: LocalDynamo;
  beforeAll(async () => {
    dynamo = await LocalDynamo.start();
    await dynamo.createTable(TABLE).catch(() => undefined);
  });
  afterAll(async () => {
    await dynamo.stop();
  });
  beforeEach(async () => {
    await dynamo.client
      .send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: { S: KEY } } }))
      .catch(() => undefined);
  });

  it("after taking over a lease that was not released, lets nothing write until the old holder's whole lease duration has passed, renewing meanwhile", async () => {
    // The old holder's duration (20 s) is longer than the new one's: the grace follows the old.
    const a = lease(dynamo.client, 'a', 20_000);
    const b = lease(dynamo.client, 'b', 10_000);
    await a.l.step();
    await b.l.step(); // first sight of (token 1, beat 0)
    b.clock.now += 20_000;
    await b.l.step(); // unchanged for a whole duration: b takes it (token 2)
    expect(await dynamo.item(TABLE, KEY)).toMatchObject({ owner: 'b', token: '2' });
    expect(b.events).toEqual([]);
    expect(b.l.holds()).toBe(false);
    // a still trusts its lease here (its clock stood still): a write it checked may be landing.
    expect(a.l.holds()).toBe(true);
    for (let t = 3000; t < 20_000; t += 3000) {
      b.clock.now += 3000;
      await b.l.step(); // renews
      expect(b.events).toEqual([]);
      expect(b.l.holds()).toBe(false);
    }
    expect(Number((await dynamo.item(TABLE, KEY))?.['beat'])).toBeGreaterThan(0);
    b.clock.now += 2000; // 20 s after the take-over write was sent
    await b.l.step();
    expect(b.events).toEqual(['acquired 2']);
    expect(b.l.holds()).toBe(true);
  });

  it('does not release a lease stopped during its grace period, so the next standby waits out the old holder again', async () => {
    const a = lease(dynamo.client, 'a');
    const b = lease(dynamo.client, 'b');
    const c = lease(dynamo.client, 'c');
    await a.l.step();
    await b.l.step();
    b.clock.now += 10_000;
    await b.l.step(); // b takes it from a, which may still be writing
    await b.l.stop(true); // SIGTERM during the grace period
    expect(await dynamo.item(TABLE, KEY)).toMatchObject({ owner: 'b', released: 'false' });
    await c.l.step();
    c.clock.now += 10_000;
    await c.l.step(); // takes it over as an expired lease, so it waits b's duration again
    expect(await dynamo.item(TABLE, KEY)).toMatchObject({ owner: 'c', token: '3' });
    expect(c.events).toEqual([]);
    expect(c.l.holds()).toBe(false);
  });

  it('announces a released lease at once: the holder stopped writing before it released', async () => {
    const a = lease(dynamo.client, 'a');
    const b = lease(dynamo.client, 'b');
    await a.l.step();
    await b.l.step();
    await a.l.stop(true);
    await b.l.step();
    expect(b.events).toEqual(['acquired 2']);
    expect(b.l.holds()).toBe(true);
  });

  it('a take-over write stored on the first attempt, whose answer was lost and whose SDK retry then failed its own condition, still makes this instance the holder', async () => {
    const { client, sent } = clientLosingFirstPutAnswer(dynamo.endpoint);
    try {
      const a = lease(client, 'a');
      await a.l.step();
      // The SDK sent it again, and dynalite refused the retry: the item is no longer as read.
      expect(sent).toEqual(['put stored', 'put refused: ConditionalCheckFailedException']);
      expect(await dynamo.item(TABLE, KEY)).toMatchObject({ owner: 'a', token: '1' });
      expect(a.events).toEqual(['acquired 1']);
      expect(a.l.holds()).toBe(true);
      // And it keeps it: its renewals pass the condition on its owner and token.
      a.clock.now += 3000;
      await a.l.step();
      expect(a.events).toEqual(['acquired 1']);
      expect(a.l.holds()).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('a take-over that lost the race to another standby still counts as lost, after reading the item', async () => {
    const a = lease(dynamo.client, 'a');
    await a.l.step();
    const b = lease(dynamo.client, 'b');
    const c = lease(dynamo.client, 'c');
    await Promise.all([b.l.step(), c.l.step()]);
    b.clock.now += 10_000;
    c.clock.now += 10_000;
    await Promise.all([b.l.step(), c.l.step()]);
    const item = await dynamo.item(TABLE, KEY);
    const [winner, loser] = item?.['owner'] === 'b' ? [b, c] : [c, b];
    winner.clock.now += 10_000;
    loser.clock.now += 10_000;
    await winner.l.step();
    await loser.l.step();
    expect(winner.events).toEqual(['acquired 2']);
    expect(loser.events).toEqual([]);
    expect(loser.l.holds()).toBe(false);
  });
});

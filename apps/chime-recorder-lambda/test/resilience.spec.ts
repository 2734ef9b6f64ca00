import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { memoryLogger } from '../src/lib/logger';
import {
  BASE_ENV,
  CREDENTIALS,
  fixture,
  Harness,
  sampleCall,
  TABLE,
  type RawEvent,
} from './helpers/harness';

let h: Harness;

beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.fake.reset();
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('infrastructure failures', () => {
  it('throws when DynamoDB is unreachable, so Lambda retries the event and then dead-letters it', async () => {
    const logger = memoryLogger();
    const app = createApp(loadConfig(BASE_ENV), {
      logger,
      dynamoDb: {
        endpoint: `http://127.0.0.1:${await freePort()}`,
        region: 'us-east-1',
        credentials: CREDENTIALS,
        maxAttempts: 1,
      },
      mediaPipelines: { endpoint: h.fake.url, region: 'us-east-1', credentials: CREDENTIALS },
    });
    try {
      await expect(
        app.handler(sampleCall().startedCaller, { awsRequestId: 'req-1' }),
      ).rejects.toThrow();
      expect(logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: 'event handling failed; Lambda will retry the event',
          attributes: expect.objectContaining({ requestId: 'req-1' }),
        }),
      );
    } finally {
      app.close();
    }
  });

  it('keeps sweeping past a call whose item is corrupt', async () => {
    const app = h.app();
    const good = sampleCall();
    await app.handler(good.endedCaller);
    // An item edited by hand: no callId, but due.
    await DynamoDBDocumentClient.from(h.dynamo).send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          pk: 'corrupt-call',
          sk: 'CALL',
          transactionId: 'corrupt-call',
          voiceConnectorId: 'bfggco08s5m5esgxfskzks',
          firstSeenAtMs: 0,
          updatedAtMs: 0,
          dueShard: app.store.shardOf('corrupt-call'),
          dueAtMs: 0,
        },
      }),
    );
    app.clock.now += 60_000;
    const result = await app.handler(fixture<RawEvent>('events/scheduled.json'));
    await DynamoDBDocumentClient.from(h.dynamo).send(
      new DeleteCommand({ TableName: TABLE, Key: { pk: 'corrupt-call', sk: 'CALL' } }),
    );
    expect(result).toMatchObject({ created: 1, errors: 1 });
    expect(h.fake.createRequests).toHaveLength(1);
    expect(app.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'sweep could not finalise the call',
        attributes: expect.objectContaining({
          transactionId: 'corrupt-call',
          errorCode: 'CHIME_REC_ERR_STATE_CORRUPT',
        }),
      }),
    );
  });

  it('stops the sweep before the invocation runs out of time and leaves the rest for the next one', async () => {
    const app = h.app({ SWEEP_SHARDS: '1' });
    const calls = [sampleCall(), sampleCall(), sampleCall()];
    for (const c of calls) await app.handler(c.endedCaller);
    app.clock.now += 60_000;
    // The first read arms the deadline. Then 16 s and 15 s left (the 10 s DEADLINE_RESERVE_MS
    // + 5 s): two calls; 14 s left: stop.
    let remaining = 18_000;
    const first = await app.handler(fixture<RawEvent>('events/scheduled.json'), {
      getRemainingTimeInMillis: () => (remaining -= 1_000),
    });
    expect(first).toMatchObject({ truncated: true, created: 2 });
    const second = await app.handler(fixture<RawEvent>('events/scheduled.json'));
    expect(second).toMatchObject({ truncated: false, created: 1 });
    expect(h.fake.createRequests).toHaveLength(3);
  });

  it('pages through the due index', async () => {
    const app = h.app({ SWEEP_SHARDS: '1', SWEEP_BATCH_SIZE: '1' });
    const calls = [sampleCall(), sampleCall()];
    for (const c of calls) await app.handler(c.endedCallee);
    app.clock.now += 60_000;
    expect(await app.handler(fixture<RawEvent>('events/scheduled.json'))).toMatchObject({
      created: 2,
    });
  });
});

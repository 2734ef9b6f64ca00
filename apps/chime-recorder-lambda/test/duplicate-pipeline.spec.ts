// CLIENT_REQUEST_TOKEN=none and a claim takeover: the stalled creator's pipeline is a duplicate
// that no call item records; it is deleted instead of left running next to the taker's.
import { ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../src/config';
import { CallStore } from '../src/lib/call-store';
import { createHandler } from '../src/lib/handler';
import { memoryLogger } from '../src/lib/logger';
import { type PipelineCreator, sdkPipelineCreator } from '../src/lib/pipeline-client';
import { Recorder } from '../src/lib/recorder';
import {
  BASE_ENV,
  CREDENTIALS,
  fixture,
  Harness,
  sampleCall,
  TABLE,
  type TestApp,
} from './helpers/harness';

const START = Date.parse('2023-04-05T22:14:20Z');
const LEASE_MS = 300_000;
const ENV = { ...BASE_ENV, CLIENT_REQUEST_TOKEN: 'none', WRITE_METADATA_JSON: 'false' };

let h: Harness;
let mediaPipelines: ChimeSDKMediaPipelinesClient;

beforeAll(async () => {
  h = await Harness.start();
  mediaPipelines = new ChimeSDKMediaPipelinesClient({
    endpoint: h.fake.url,
    region: 'us-east-1',
    credentials: CREDENTIALS,
  });
});
afterAll(async () => {
  mediaPipelines.destroy();
  await h.close();
});
beforeEach(() => {
  h.fake.reset();
});

/** A sweep by `taker` once the claim lease has run out: it takes the claim over and creates. */
const sweepBy = (taker: TestApp) => async (): Promise<void> => {
  taker.clock.now = START + LEASE_MS;
  await taker.handler(fixture('events/scheduled.json'));
};

/**
 * A creating invocation whose create stalls past the claim lease: while it is inside
 * CreateMediaInsightsPipeline (after the service accepted it), `takeOver` runs, by default a
 * sweep of `taker` that takes the claim over and creates (and records) a pipeline of its own.
 */
function stalledCreator(
  taker: TestApp,
  pipelines: Partial<PipelineCreator> = {},
  env: Record<string, string> = ENV,
  takeOver: () => Promise<void> = sweepBy(taker),
) {
  const logger = memoryLogger();
  const real = sdkPipelineCreator(mediaPipelines);
  const recorder = new Recorder({
    settings: loadConfig(env),
    store: new CallStore({
      client: DynamoDBDocumentClient.from(h.dynamo, {
        marshallOptions: { removeUndefinedValues: true },
      }),
      tableName: TABLE,
    }),
    pipelines: {
      create: async (input) => {
        const ref = await real.create(input);
        await takeOver();
        return ref;
      },
      delete: (id) => real.delete?.(id) ?? Promise.resolve(),
      ...pipelines,
    },
    logger,
    now: () => START,
  });
  return {
    handler: createHandler({ recorder, logger, voiceConnectorIds: [] }),
    logs: logger.entries,
  };
}

describe('a duplicate pipeline under CLIENT_REQUEST_TOKEN=none', () => {
  it('is deleted by the invocation whose claim was taken over; the call keeps the taker’s', async () => {
    const call = sampleCall();
    const taker = h.app(ENV, START);
    const stalled = stalledCreator(taker);
    let last: unknown;
    for (const e of call.all) last = await stalled.handler(e);

    expect(h.fake.createRequests).toHaveLength(2);
    expect(last).toMatchObject({ outcome: 'claimed-elsewhere' });
    const [item] = await h.items(call.transactionId);
    expect(item).toMatchObject({ state: 'CREATED' });
    // Exactly one pipeline is left running: the one the call item records.
    const running = [...h.fake.pipelines.values()];
    expect(running.map((p) => p.arn)).toEqual([item?.['pipelineArn']]);
    expect(h.fake.deleteRequests).toHaveLength(1);
    expect(stalled.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'deleted the duplicate pipeline of this call (CLIENT_REQUEST_TOKEN=none)',
      }),
    );
  });

  it('logs a delete that fails, without failing the invocation or touching the call', async () => {
    const call = sampleCall();
    const taker = h.app(ENV, START);
    const stalled = stalledCreator(taker, {
      delete: async () => {
        h.fake.failNext({ status: 403, type: 'ForbiddenException' });
        await sdkPipelineCreator(mediaPipelines).delete?.('any');
      },
    });
    let last: unknown;
    for (const e of call.all) last = await stalled.handler(e);

    expect(last).toMatchObject({ outcome: 'claimed-elsewhere' });
    const [item] = await h.items(call.transactionId);
    expect(item).toMatchObject({ state: 'CREATED' });
    expect(stalled.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'could not delete the duplicate pipeline of this call',
        attributes: expect.objectContaining({ errorCode: 'CHIME_REC_ERR_PIPELINE_REJECTED' }),
      }),
    );
  });

  it('is never deleted with CLIENT_REQUEST_TOKEN=transactionId (the taker got the same pipeline)', async () => {
    const call = sampleCall();
    const env = { ...ENV, CLIENT_REQUEST_TOKEN: 'transactionId' };
    const taker = h.app(env, START);
    const stalled = stalledCreator(taker, {}, env);
    for (const e of call.all) await stalled.handler(e);

    expect(h.fake.createRequests).toHaveLength(2);
    expect(h.fake.pipelines.size).toBe(1);
    expect(h.fake.deleteRequests).toHaveLength(0);
  });
});

describe('a pipeline whose claim was taken over, CLIENT_REQUEST_TOKEN=none', () => {
  it('is deleted while the taker holds the claim to create its own', async () => {
    const call = sampleCall();
    const taker = h.app(ENV, START);
    const stalled = stalledCreator(taker, {}, ENV, async () => {
      await taker.store.claim(call.transactionId, 'taker-claim', START + LEASE_MS, LEASE_MS);
    });
    let last: unknown;
    for (const e of call.all) last = await stalled.handler(e);

    expect(last).toMatchObject({ outcome: 'claimed-elsewhere' });
    expect(h.fake.deleteRequests).toHaveLength(1);
    expect(h.fake.pipelines.size).toBe(0);
    const [item] = await h.items(call.transactionId);
    expect(item).toMatchObject({ state: 'CREATING', claimId: 'taker-claim' });
    expect(item).not.toHaveProperty('pipelineArn');
  });

  it('is kept when the taker’s create failed and the call is marked FAILED (it may be the only one)', async () => {
    const call = sampleCall();
    const taker = h.app(ENV, START);
    const stalled = stalledCreator(taker, {}, ENV, async () => {
      h.fake.failNext({ status: 400, type: 'BadRequestException' });
      await sweepBy(taker)();
    });
    let last: unknown;
    for (const e of call.all) last = await stalled.handler(e);

    expect(last).toMatchObject({ outcome: 'claimed-elsewhere' });
    expect(h.fake.createRequests.map((r) => r.status)).toEqual([201, 400]);
    expect(h.fake.deleteRequests).toHaveLength(0);
    expect(h.fake.pipelines.size).toBe(1);
    const [item] = await h.items(call.transactionId);
    expect(item).toMatchObject({ state: 'FAILED', failureCode: 'CHIME_REC_ERR_PIPELINE_REJECTED' });
    expect(stalled.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message:
          'kept the pipeline of this call: no other pipeline is recorded, it may be the only one',
        attributes: expect.objectContaining({ callState: 'FAILED' }),
      }),
    );
  });

  it('is recorded under a new claim when the taker’s create failed and released the claim', async () => {
    const call = sampleCall();
    const taker = h.app({ ...ENV, PIPELINE_MAX_ATTEMPTS: '1' }, START);
    const stalled = stalledCreator(taker, {}, ENV, async () => {
      h.fake.failNext({ status: 503, type: 'ServiceUnavailableException' });
      await sweepBy(taker)();
    });
    let last: unknown;
    for (const e of call.all) last = await stalled.handler(e);

    expect(last).toMatchObject({ outcome: 'pipeline-created' });
    expect(h.fake.createRequests.map((r) => r.status)).toEqual([201, 503]);
    expect(h.fake.deleteRequests).toHaveLength(0);
    const running = [...h.fake.pipelines.values()];
    expect(running).toHaveLength(1);
    const [item] = await h.items(call.transactionId);
    expect(item).toMatchObject({ state: 'CREATED', pipelineArn: running[0]?.arn });
    expect(item).not.toHaveProperty('dueAtMs');
  });
});

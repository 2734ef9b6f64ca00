import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { RecorderErrorCode } from '../src/lib/errors';
import { memoryLogger } from '../src/lib/logger';
import {
  BASE_ENV,
  CREDENTIALS,
  expectedRequest,
  fixture,
  Harness,
  sampleCall,
  type RawEvent,
  type TestApp,
} from './helpers/harness';

let h: Harness;
let app: TestApp;

beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.fake.reset();
  app = h.app();
});

const sweep = () => app.handler(fixture<RawEvent>('events/scheduled.json'));

async function deliver(events: RawEvent[]): Promise<unknown> {
  let last: unknown;
  for (const e of events) last = await app.handler(e);
  return last;
}

describe('CreateMediaInsightsPipeline errors', () => {
  it('retries throttling and 5xx with the same token and request, then succeeds', async () => {
    h.fake.failNext(
      { status: 429, type: 'ThrottledClientException' },
      { status: 503, type: 'ServiceUnavailableException' },
      { status: 500, type: 'ServiceFailureException' },
    );
    const call = sampleCall();
    expect(await deliver(call.all)).toMatchObject({ outcome: 'pipeline-created' });

    const expected = expectedRequest(call.transactionId, call.callId);
    expect(h.fake.createRequests.map((r) => [r.status, r.body])).toEqual([
      [429, expected],
      [503, expected],
      [500, expected],
      [201, expected],
    ]);
    expect(h.fake.pipelines.size).toBe(1);
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({ state: 'CREATED', createAttempts: 1 });
  });

  it('records a permanent error on the call and never sends the request again', async () => {
    h.fake.failNext({
      status: 400,
      type: 'BadRequestException',
      message: 'Invalid MediaInsightsPipelineConfigurationArn',
    });
    const call = sampleCall();
    expect(await deliver(call.all)).toMatchObject({
      outcome: 'pipeline-failed',
      code: RecorderErrorCode.PipelineRejected,
    });
    expect(h.fake.createRequests).toHaveLength(1);

    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({
      state: 'FAILED',
      failureCode: RecorderErrorCode.PipelineRejected,
      failureReason:
        'CreateMediaInsightsPipeline failed: BadRequestException: Invalid MediaInsightsPipelineConfigurationArn',
    });
    expect(callItem).not.toHaveProperty('dueAtMs');

    // Redelivery and later sweeps leave it alone.
    await deliver([call.endedCaller, call.endedCallee]);
    app.clock.now += 3_600_000;
    await sweep();
    expect(h.fake.createRequests).toHaveLength(1);
    expect(app.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'call not recorded',
        attributes: expect.objectContaining({
          transactionId: call.transactionId,
          errorCode: RecorderErrorCode.PipelineRejected,
          awsError: 'BadRequestException',
          httpStatus: 400,
        }),
      }),
    );
  });

  it.each([
    [403, 'ForbiddenException'],
    [404, 'NotFoundException'],
    [401, 'UnauthorizedClientException'],
  ])('treats HTTP %i %s as permanent', async (status, type) => {
    h.fake.failNext({ status, type });
    const call = sampleCall();
    expect(await deliver(call.all)).toMatchObject({ outcome: 'pipeline-failed' });
    expect(h.fake.createRequests).toHaveLength(1);
  });

  it('hands a create that stays throttled to the sweep, which succeeds later with the same token', async () => {
    const throttled = { status: 429, type: 'ThrottledClientException' };
    h.fake.failNext(throttled, throttled, throttled, throttled);
    const call = sampleCall();
    const now = app.clock.now;
    expect(await deliver(call.all)).toMatchObject({
      outcome: 'retry-scheduled',
      retryAtMs: now + 60_000,
      code: RecorderErrorCode.PipelineUnavailable,
    });
    expect(h.fake.createRequests).toHaveLength(4);
    const [pending] = await h.items(call.transactionId);
    expect(pending).toMatchObject({
      dueAtMs: now + 60_000,
      lastErrorCode: RecorderErrorCode.PipelineUnavailable,
      createAttempts: 1,
    });
    expect(pending).not.toHaveProperty('state');

    app.clock.now += 60_000;
    expect(await sweep()).toMatchObject({ created: 1 });
    const bodies = h.fake.createRequests.map((r) => r.body);
    expect(bodies).toHaveLength(5);
    for (const b of bodies) expect(b).toEqual(expectedRequest(call.transactionId, call.callId));
    const [done] = await h.items(call.transactionId);
    expect(done).toMatchObject({ state: 'CREATED', createAttempts: 2, finalizeReason: 'retry' });
    expect(done).not.toHaveProperty('lastErrorCode');
  });

  it('marks the call FAILED once MAX_CREATE_ATTEMPTS invocations stayed unavailable', async () => {
    app = h.app({ MAX_CREATE_ATTEMPTS: '2', PIPELINE_MAX_ATTEMPTS: '1' });
    const unavailable = { status: 503, type: 'ServiceUnavailableException' };
    h.fake.failNext(unavailable, unavailable);
    const call = sampleCall();
    expect(await deliver(call.all)).toMatchObject({ outcome: 'retry-scheduled' });
    app.clock.now += 60_000;
    expect(await sweep()).toMatchObject({ failed: 1 });
    expect(h.fake.createRequests).toHaveLength(2);
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({
      state: 'FAILED',
      failureCode: RecorderErrorCode.PipelineUnavailable,
    });
  });

  it('treats an unreachable endpoint as transient', async () => {
    // A port that was free a moment ago: connections to it are refused.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const isolated = createApp(loadConfig({ ...BASE_ENV, PIPELINE_MAX_ATTEMPTS: '1' }), {
      logger: memoryLogger(),
      dynamoDb: { endpoint: h.dynamoEndpoint, region: 'us-east-1', credentials: CREDENTIALS },
      mediaPipelines: {
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        credentials: CREDENTIALS,
      },
    });
    try {
      const call = sampleCall();
      let last: unknown;
      for (const e of call.all) last = await isolated.handler(e);
      expect(last).toMatchObject({
        outcome: 'retry-scheduled',
        code: RecorderErrorCode.PipelineUnavailable,
      });
    } finally {
      isolated.close();
    }
  });
});

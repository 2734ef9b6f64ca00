import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { memoryLogger } from '../src/lib/logger';
import {
  BASE_ENV,
  CREDENTIALS,
  fixture,
  Harness,
  sampleCall,
  s3Config,
  type RawEvent,
} from './helpers/harness';
import { manualDeadline, streamingEvent } from './helpers/manual-deadline';

// Generous: every case ends through a timeout or an abort well inside it; without them it hangs.
jest.setTimeout(45_000);

let h: Harness;
let blackHole: { server: Server; url: string; sockets: Set<Socket> };

beforeAll(async () => {
  h = await Harness.start();
  // Accepts connections and never answers a byte: a hung endpoint.
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  blackHole = {
    server,
    sockets,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  };
});
afterAll(async () => {
  for (const s of blackHole.sockets) s.destroy();
  await new Promise<void>((resolve) => blackHole.server.close(() => resolve()));
  await h.close();
});
beforeEach(() => {
  h.fake.reset();
});

/** A Lambda context whose invocation ends `ms` from now (the real clock). */
function endingIn(ms: number): { getRemainingTimeInMillis: () => number } {
  const end = Date.now() + ms;
  return { getRemainingTimeInMillis: () => end - Date.now() };
}

const scheduled = () => fixture<RawEvent>('events/scheduled.json');

describe('SDK request timeouts', () => {
  it('a create the service never answers fails as PIPELINE_UNAVAILABLE after its attempts time out', async () => {
    const app = h.app({ SDK_REQUEST_TIMEOUT_MS: '200', PIPELINE_MAX_ATTEMPTS: '2' });
    h.fake.hangNext(Number.POSITIVE_INFINITY);
    const call = sampleCall();
    await app.handler(call.endedCallee);
    const out = await app.handler(call.endedCaller);
    expect(out).toMatchObject({
      outcome: 'retry-scheduled',
      code: 'CHIME_REC_ERR_PIPELINE_UNAVAILABLE',
    });
    // Both attempts reached the fake and were left unanswered.
    expect(h.fake.createRequests.map((r) => r.status)).toEqual([0, 0]);
    expect(app.logs).toContainEqual(
      expect.objectContaining({
        message: 'could not create the pipeline; the sweep retries it',
        attributes: expect.objectContaining({ awsError: 'TimeoutError', attempts: 2 }),
      }),
    );
  });

  it('a DynamoDB endpoint that never answers fails the invocation with a TimeoutError', async () => {
    const app = createApp(loadConfig({ ...BASE_ENV, SDK_REQUEST_TIMEOUT_MS: '200' }), {
      logger: memoryLogger(),
      dynamoDb: { endpoint: blackHole.url, region: 'us-east-1', credentials: CREDENTIALS },
      mediaPipelines: { endpoint: h.fake.url, region: 'us-east-1', credentials: CREDENTIALS },
    });
    try {
      await expect(app.handler(sampleCall().startedCaller)).rejects.toMatchObject({
        name: 'TimeoutError',
      });
    } finally {
      app.close();
    }
  });

  it('an S3 endpoint that never answers leaves the metadata object to the sweep', async () => {
    const app = h.app({ SDK_REQUEST_TIMEOUT_MS: '200' }, undefined, s3Config(blackHole.url));
    const call = sampleCall();
    await app.handler(call.endedCallee);
    expect(await app.handler(call.endedCaller)).toMatchObject({ outcome: 'pipeline-created' });
    expect(app.logs).toContainEqual(
      expect.objectContaining({
        message: 'could not write the metadata object; the sweep retries it',
        attributes: expect.objectContaining({
          errorCode: 'CHIME_REC_ERR_METADATA_WRITE_FAILED',
          awsError: 'TimeoutError',
        }),
      }),
    );
  });
});

describe('the invocation deadline', () => {
  it('aborts a hung create when only DEADLINE_RESERVE_MS is left, and releases the claim for the sweep', async () => {
    // The request timeout alone would outlast the invocation.
    const app = h.app({ SDK_REQUEST_TIMEOUT_MS: '60000', DEADLINE_RESERVE_MS: '10000' });
    h.fake.hangNext(Number.POSITIVE_INFINITY);
    const call = sampleCall();
    await app.handler(call.endedCallee);
    // The reserve is reached once the create is in flight at the (hung) fake.
    const deadline = manualDeadline(60_000, 10_000);
    const arrived = h.fake.arrived();
    const pending = app.recorder.onStreamingEvent(streamingEvent(call.endedCaller), deadline);
    await arrived;
    deadline.expire();
    expect(await pending).toMatchObject({
      outcome: 'retry-scheduled',
      code: 'CHIME_REC_ERR_PIPELINE_UNAVAILABLE',
    });
    expect(app.logs).toContainEqual(
      expect.objectContaining({
        message: 'could not create the pipeline; the sweep retries it',
        attributes: expect.objectContaining({ awsError: 'AbortError' }),
      }),
    );
    const [item] = await h.items(call.transactionId);
    expect(item).toMatchObject({ lastErrorCode: 'CHIME_REC_ERR_PIPELINE_UNAVAILABLE' });
    expect(item).not.toHaveProperty('claimId');
    expect(item).not.toHaveProperty('state');

    // The next sweep (the service answers again) creates it with the same request token.
    h.fake.reset();
    app.clock.now += 60_000;
    expect(await app.handler(scheduled())).toMatchObject({ errors: 0 });
    expect(h.fake.createRequests.map((r) => r.body['ClientRequestToken'])).toContain(
      call.transactionId,
    );
    expect((await h.items(call.transactionId))[0]).toMatchObject({ state: 'CREATED' });
  });

  it('aborts a hung create in the sweep and stops the sweep there', async () => {
    const app = h.app({
      SDK_REQUEST_TIMEOUT_MS: '60000',
      DEADLINE_RESERVE_MS: '1000',
      SWEEP_SHARDS: '1',
    });
    const calls = [sampleCall(), sampleCall()];
    for (const c of calls) await app.handler(c.endedCaller);
    app.clock.now += 60_000;
    h.fake.hangNext(Number.POSITIVE_INFINITY);
    // Enough for one call (reserve + 5 s); the reserve is reached while its create hangs.
    const deadline = manualDeadline(6_300, 1_000);
    const arrived = h.fake.arrived();
    const pending = app.recorder.sweep(deadline);
    await arrived;
    deadline.expire();
    expect(await pending).toMatchObject({ examined: 1, retried: 1, errors: 0, truncated: true });
    expect(h.fake.createRequests).toHaveLength(1);
  });

  it('with CLIENT_REQUEST_TOKEN=none, lets a create in flight at the reserve finish and records it', async () => {
    // Aborted, the create could still have made a pipeline; the retry's new token a second one.
    const app = h.app({ CLIENT_REQUEST_TOKEN: 'none', DEADLINE_RESERVE_MS: '10000' });
    const call = sampleCall();
    await app.handler(call.endedCallee);
    const deadline = manualDeadline(60_000, 10_000);
    const release = h.fake.holdNext();
    const arrived = h.fake.arrived();
    const pending = app.recorder.onStreamingEvent(streamingEvent(call.endedCaller), deadline);
    await arrived;
    deadline.expire();
    release();
    expect(await pending).toMatchObject({ outcome: 'pipeline-created' });
    const [pipeline] = [...h.fake.pipelines.values()];
    expect(h.fake.pipelines.size).toBe(1);
    expect((await h.items(call.transactionId))[0]).toMatchObject({
      state: 'CREATED',
      pipelineArn: pipeline?.arn,
    });
  });

  it('does not claim a call once the invocation is inside its reserve', async () => {
    const app = h.app({ DEADLINE_RESERVE_MS: '10000' });
    const call = sampleCall();
    await app.handler(call.endedCallee);
    const out = await app.handler(call.endedCaller, endingIn(5_000));
    expect(out).toMatchObject({ outcome: 'waiting', why: 'the invocation is out of time' });
    expect(h.fake.createRequests).toHaveLength(0);
    const [item] = await h.items(call.transactionId);
    expect(item).toHaveProperty('dueAtMs');
    expect(item).not.toHaveProperty('claimId');
  });
});

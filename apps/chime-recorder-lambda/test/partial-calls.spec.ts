import { RecorderErrorCode } from '../src/lib/errors';
import {
  CALLER_STREAM,
  CALLEE_STREAM,
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

function failedEvent(transactionId: string, extra: Record<string, unknown> = {}): RawEvent {
  const e = fixture<RawEvent>('events/failed.json');
  Object.assign(e.detail, { transactionId }, extra);
  return e;
}

describe('one-leg calls', () => {
  it('records the one stream from the sweep once FINALIZE_AFTER_MS has passed', async () => {
    const call = sampleCall();
    await app.handler(call.startedCaller);
    expect(await app.handler(call.endedCaller)).toMatchObject({ outcome: 'waiting' });
    expect(h.fake.createRequests).toHaveLength(0);

    app.clock.now += 59_999;
    expect(await sweep()).toMatchObject({ outcome: 'swept', created: 0 });
    expect(h.fake.createRequests).toHaveLength(0);

    app.clock.now += 1;
    expect(await sweep()).toMatchObject({ outcome: 'swept', created: 1, examined: 1 });
    expect(h.fake.createRequests.map((r) => r.body)).toEqual([
      expectedRequest(call.transactionId, call.callId, {
        streams: [CALLER_STREAM],
        roles: 'caller',
        start: '2023-04-05T22:14:02.993Z',
        end: '2023-04-05T22:14:18.788Z',
      }),
    ]);
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({
      state: 'CREATED',
      partial: true,
      legsRecorded: ['caller'],
      finalizeReason: 'deadline',
    });
    expect(callItem).not.toHaveProperty('dueAtMs');

    // The sweep does not find it again.
    expect(await sweep()).toMatchObject({ examined: 0 });
    expect(h.fake.createRequests).toHaveLength(1);
  });

  it('records a lone caller leg at once with FINALIZE_POLICY=caller-ended', async () => {
    app = h.app({ FINALIZE_POLICY: 'caller-ended' });
    const call = sampleCall();
    await app.handler(call.startedCaller);
    expect(await app.handler(call.endedCaller)).toMatchObject({
      outcome: 'pipeline-created',
      reason: 'caller-ended',
    });
    expect(h.fake.createRequests[0]?.body).toMatchObject({
      KinesisVideoStreamRecordingSourceRuntimeConfiguration: {
        Streams: [{ StreamArn: CALLER_STREAM }],
      },
    });
  });

  it('waits for the callee with FINALIZE_POLICY=caller-ended while the callee leg still streams', async () => {
    app = h.app({ FINALIZE_POLICY: 'caller-ended' });
    const call = sampleCall();
    await app.handler(call.startedCallee);
    await app.handler(call.startedCaller);
    expect(await app.handler(call.endedCaller)).toMatchObject({ outcome: 'waiting' });
    expect(await app.handler(call.endedCallee)).toMatchObject({ outcome: 'pipeline-created' });
    expect(h.fake.createRequests.map((r) => r.body)).toEqual([
      expectedRequest(call.transactionId, call.callId),
    ]);
  });

  it('marks a one-leg call FAILED instead of recording it with REQUIRE_BOTH_LEGS=true', async () => {
    app = h.app({ REQUIRE_BOTH_LEGS: 'true' });
    const call = sampleCall();
    await app.handler(call.endedCallee);
    app.clock.now += 60_000;
    expect(await sweep()).toMatchObject({ failed: 1 });
    expect(h.fake.createRequests).toHaveLength(0);
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({ state: 'FAILED', failureCode: RecorderErrorCode.SingleLeg });
  });

  it('warns when a leg arrives after its call was recorded without it', async () => {
    const call = sampleCall();
    await app.handler(call.endedCaller);
    app.clock.now += 60_000;
    await sweep();
    expect(await app.handler(call.endedCallee)).toMatchObject({ outcome: 'already-finalized' });
    expect(h.fake.createRequests).toHaveLength(1);
    expect(app.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'leg reported after the pipeline was created; its stream is not in the recording',
        attributes: expect.objectContaining({ transactionId: call.transactionId, leg: 'callee' }),
      }),
    );
  });
});

describe('failed and missing legs', () => {
  it('records both streams at once when streaming FAILED after one leg ended', async () => {
    const call = sampleCall();
    await app.handler(call.startedCallee);
    await app.handler(call.startedCaller);
    await app.handler(call.endedCaller);
    expect(await app.handler(failedEvent(call.transactionId))).toMatchObject({
      outcome: 'pipeline-created',
    });
    // The callee never ENDED: its stream is cut at the failure, the range still ends at 17.788 + 1 s.
    expect(h.fake.createRequests.map((r) => r.body)).toEqual([
      expectedRequest(call.transactionId, call.callId),
    ]);
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({
      state: 'CREATED',
      partial: true,
      streamingFailedAtMs: Date.parse('2023-04-05T22:14:12.400Z'),
      streamingFailureReason: 'Internal failure',
    });
  });

  it('ends the range at the failure time when no leg ENDED', async () => {
    const call = sampleCall();
    await app.handler(call.startedCallee);
    await app.handler(call.startedCaller);
    await app.handler(failedEvent(call.transactionId));
    expect(h.fake.createRequests.map((r) => r.body)).toEqual([
      expectedRequest(call.transactionId, call.callId, { end: '2023-04-05T22:14:13.400Z' }),
    ]);
  });

  it('marks only the named leg FAILED when the event carries isCaller, and never downgrades an ENDED leg', async () => {
    const call = sampleCall();
    await app.handler(call.startedCallee);
    await app.handler(call.endedCaller);
    await app.handler(failedEvent(call.transactionId, { isCaller: true }));
    expect(h.fake.createRequests).toHaveLength(0);
    expect(await app.handler(failedEvent(call.transactionId, { isCaller: false }))).toMatchObject({
      outcome: 'pipeline-created',
    });
    const [, callee, caller] = await h.items(call.transactionId);
    expect(caller).toMatchObject({ status: 'ENDED' });
    expect(callee).toMatchObject({
      status: 'FAILED',
      failureReason: 'Internal failure',
      failedAtMs: Date.parse('2023-04-05T22:14:12.400Z'),
    });
    expect(h.fake.createRequests[0]?.body).toMatchObject({
      KinesisVideoStreamRecordingSourceRuntimeConfiguration: {
        Streams: [{ StreamArn: CALLER_STREAM }, { StreamArn: CALLEE_STREAM }],
      },
    });
  });

  it('records up to the sweep time a call whose ENDED events never came', async () => {
    const call = sampleCall();
    await app.handler(call.startedCallee);
    await app.handler(call.startedCaller);
    app.clock.now += 8 * 3_600_000 - 1;
    expect(await sweep()).toMatchObject({ created: 0 });
    app.clock.now += 1;
    expect(await sweep()).toMatchObject({ created: 1 });
    const end = new Date(app.clock.now + 1000).toISOString();
    expect(h.fake.createRequests.map((r) => r.body)).toEqual([
      expectedRequest(call.transactionId, call.callId, { end }),
    ]);
  });

  it('marks a call with only a FAILED event FAILED with NO_STREAMS', async () => {
    const call = sampleCall();
    await app.handler(failedEvent(call.transactionId));
    app.clock.now += 60_000;
    expect(await sweep()).toMatchObject({ failed: 1 });
    expect(h.fake.createRequests).toHaveLength(0);
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({ state: 'FAILED', failureCode: RecorderErrorCode.NoStreams });
  });

  it('takes over the claim of a crashed invocation once the lease has expired', async () => {
    const call = sampleCall();
    await app.handler(call.startedCallee);
    await app.handler(call.startedCaller);
    await app.handler(call.endedCallee);
    // An invocation claimed the creation and died before calling the API.
    expect(
      await app.store.claim(call.transactionId, 'crashed', app.clock.now, 300_000),
    ).toBeDefined();
    expect(await app.handler(call.endedCaller)).toMatchObject({ outcome: 'waiting' });
    app.clock.now += 299_999;
    expect(await sweep()).toMatchObject({ created: 0 });
    app.clock.now += 1;
    expect(await sweep()).toMatchObject({ created: 1 });
    expect(h.fake.createRequests.map((r) => r.body)).toEqual([
      expectedRequest(call.transactionId, call.callId),
    ]);
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({
      state: 'CREATED',
      createAttempts: 2,
      finalizeReason: 'claim-expired',
    });
  });
});

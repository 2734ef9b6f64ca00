import {
  expectedRequest,
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

async function deliver(events: RawEvent[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const e of events) out.push(await app.handler(e));
  return out;
}

describe('delivery order and duplicates', () => {
  it('creates one pipeline, caller stream first, when both legs end in normal order', async () => {
    const call = sampleCall();
    const outcomes = await deliver(call.all);

    expect(outcomes.map((o) => (o as { outcome: string }).outcome)).toEqual([
      'stored',
      'stored',
      'waiting',
      'pipeline-created',
    ]);
    expect(h.fake.createRequests.map((r) => r.body)).toEqual([
      expectedRequest(call.transactionId, call.callId),
    ]);
    const [callItem, callee, caller] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({
      sk: 'CALL',
      state: 'CREATED',
      transactionId: call.transactionId,
      callId: call.callId,
      voiceConnectorId: 'bfggco08s5m5esgxfskzks',
      clientRequestToken: call.transactionId,
      destination: `arn:aws:s3:::recordings-bucket/originalAudio/${call.callId}.wav`,
      legsRecorded: ['caller', 'callee'],
      recordingStartMs: Date.parse('2023-04-05T22:14:01.238Z'),
      recordingEndMs: Date.parse('2023-04-05T22:14:18.788Z'),
      partial: false,
      finalizeReason: 'both-legs-ended',
      createAttempts: 1,
      pipelineStatus: 'Initializing',
    });
    expect(callItem?.['pipelineId']).toEqual(expect.any(String));
    expect(callItem).not.toHaveProperty('dueAtMs');
    expect(callee).toMatchObject({
      sk: 'LEG#callee',
      role: 'callee',
      status: 'ENDED',
      startTimeMs: Date.parse('2023-04-05T22:14:02.238Z'),
      endTimeMs: Date.parse('2023-04-05T22:14:17.512Z'),
    });
    expect(caller).toMatchObject({
      sk: 'LEG#caller',
      role: 'caller',
      status: 'ENDED',
      startTimeMs: Date.parse('2023-04-05T22:14:03.993Z'),
      endTimeMs: Date.parse('2023-04-05T22:14:17.788Z'),
    });
  });

  it('writes a TTL of last update + 168 hours in epoch seconds on every item', async () => {
    const call = sampleCall();
    await deliver(call.all);
    const ttl = Math.floor(app.clock.now / 1000) + 168 * 3600;
    const items = await h.items(call.transactionId);
    expect(items).toHaveLength(3);
    for (const item of items) expect(item['ttl']).toBe(ttl);
  });

  it('creates the same single pipeline when the events arrive in reverse order', async () => {
    const call = sampleCall();
    const outcomes = await deliver([...call.all].reverse());

    expect(outcomes.map((o) => (o as { outcome: string }).outcome)).toEqual([
      'waiting',
      'pipeline-created',
      'already-finalized',
      'already-finalized',
    ]);
    expect(h.fake.createRequests.map((r) => r.body)).toEqual([
      expectedRequest(call.transactionId, call.callId),
    ]);
    const [, callee, caller] = await h.items(call.transactionId);
    // A late STARTED never downgrades an ENDED leg.
    expect(callee).toMatchObject({
      status: 'ENDED',
      endTimeMs: Date.parse('2023-04-05T22:14:17.512Z'),
    });
    expect(caller).toMatchObject({
      status: 'ENDED',
      endTimeMs: Date.parse('2023-04-05T22:14:17.788Z'),
    });
  });

  it('records both legs when a leg ENDED arrives before any STARTED', async () => {
    const call = sampleCall();
    await deliver([call.endedCallee, call.startedCallee, call.startedCaller, call.endedCaller]);

    expect(h.fake.createRequests.map((r) => r.body)).toEqual([
      expectedRequest(call.transactionId, call.callId),
    ]);
  });

  it('creates one pipeline when every event is delivered twice in sequence', async () => {
    const call = sampleCall();
    await deliver(call.all.flatMap((e) => [e, e]));

    expect(h.fake.createRequests).toHaveLength(1);
    expect(h.fake.createRequests[0]?.body).toEqual(
      expectedRequest(call.transactionId, call.callId),
    );
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({ state: 'CREATED', createAttempts: 1 });
  });

  it('creates one pipeline when every event is delivered twice concurrently', async () => {
    const call = sampleCall();
    await Promise.all(call.all.flatMap((e) => [e, e]).map((e) => app.handler(e)));

    expect(h.fake.createRequests).toHaveLength(1);
    expect(h.fake.createRequests[0]?.body).toEqual(
      expectedRequest(call.transactionId, call.callId),
    );
  });

  it('creates one pipeline when two Lambda instances receive the duplicates at the same time', async () => {
    const call = sampleCall();
    const other = h.app();
    await Promise.all([
      ...call.all.map((e) => app.handler(e)),
      ...[...call.all].reverse().map((e) => other.handler(e)),
    ]);

    expect(h.fake.createRequests).toHaveLength(1);
    expect(h.fake.createRequests[0]?.body).toEqual(
      expectedRequest(call.transactionId, call.callId),
    );
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({ state: 'CREATED', createAttempts: 1 });
  });

  it('puts the callee stream first with STREAM_ORDER=callee-first, like the 2023 sample did', async () => {
    app = h.app({ STREAM_ORDER: 'callee-first' });
    const call = sampleCall();
    await deliver(call.all);

    const body = h.fake.createRequests[0]?.body;
    const expected = expectedRequest(call.transactionId, call.callId, {
      streams: [
        call.startedCallee.detail['streamArn'] as string,
        call.startedCaller.detail['streamArn'] as string,
      ],
      roles: 'callee,caller',
    });
    expect(body).toEqual(expected);
  });

  it('keeps collecting on UPDATED (hold or re-INVITE) and records when both legs end', async () => {
    const { fixture } = await import('./helpers/harness');
    const call = sampleCall();
    const updated = fixture<RawEvent>('events/updated.json');
    updated.detail['transactionId'] = call.transactionId;
    await deliver([call.startedCallee, call.startedCaller]);
    expect(await app.handler(updated)).toMatchObject({ outcome: 'ignored' });
    expect(h.fake.createRequests).toHaveLength(0);
    await deliver([call.endedCallee, call.endedCaller]);
    expect(h.fake.createRequests).toHaveLength(1);
  });
});

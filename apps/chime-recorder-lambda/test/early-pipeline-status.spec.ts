import type { ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import type { S3Client } from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CallStore } from '../src/lib/call-store';
import { RecorderError, RecorderErrorCode } from '../src/lib/errors';
import { classifyEvent } from '../src/lib/events';
import { sdkMetadataWriter } from '../src/lib/metadata';
import { sdkPipelineCreator } from '../src/lib/pipeline-client';
import {
  BUCKET,
  fixture,
  type Harness,
  sampleCall,
  stateChange,
  TABLE,
  type TestApp,
} from './helpers/harness';
import {
  callItem,
  createThen,
  creator,
  expectSettled,
  HookedStore,
  OTHER_PIPELINE,
  pipelineRecords,
  record,
  START,
  startStatusContext,
  stopStatusContext,
  storeOptions,
} from './helpers/status-invocations';

let h: Harness;
let mediaPipelines: ChimeSDKMediaPipelinesClient;
let s3: S3Client;
let documents: DynamoDBDocumentClient;
/** A separate invocation that receives the Media Insights State Change events. */
let status: TestApp;

beforeAll(async () => {
  ({ h, mediaPipelines, s3, documents } = await startStatusContext());
});
afterAll(async () => {
  await stopStatusContext();
});
beforeEach(() => {
  h.fake.reset();
  status = h.app({}, START);
});

describe('a pipeline status event that arrives before the call is marked CREATED', () => {
  it('keeps a Stopped event delivered during the create and ends the call RECORDED', async () => {
    const call = sampleCall();
    const outcomes: unknown[] = [];
    const c = creator({
      create: createThen(async (arn) => {
        outcomes.push(
          await status.handler(stateChange(call.transactionId, arn, 'chime:MediaInsightsStopped')),
        );
      }),
    });
    expect(await record(c.handler, call)).toMatchObject({ outcome: 'pipeline-created' });
    expect(outcomes).toEqual([
      { outcome: 'status-deferred', transactionId: call.transactionId, pipelineStatus: 'Stopped' },
    ]);
    const item = await callItem(call.transactionId);
    expect(item).toMatchObject({
      state: 'RECORDED',
      pipelineStatus: 'Stopped',
      metadataAttempts: 1,
    });
    expect(item['pipelineArn']).toMatch(/^arn:/);
    expectSettled(item);
    expect(await h.objectJson(`originalAudio/${call.callId}.json`)).toMatchObject({
      transactionId: call.transactionId,
    });
    expect(c.logs).toContainEqual(
      expect.objectContaining({ level: 'info', message: 'recording complete' }),
    );
    expect(h.fake.createRequests).toHaveLength(1);
  });

  it('keeps a PermanentFailure delivered during the create and ends the call FAILED with the reason', async () => {
    const call = sampleCall();
    const c = creator({
      create: createThen(async (arn) => {
        await status.handler(
          stateChange(call.transactionId, arn, 'chime:MediaInsightsPermanentFailure', {
            failureReason: 'Access denied to the KVS stream',
          }),
        );
      }),
    });
    await record(c.handler, call);
    const item = await callItem(call.transactionId);
    expect(item).toMatchObject({
      state: 'FAILED',
      pipelineStatus: 'Failed',
      failureCode: RecorderErrorCode.PipelineFailed,
      failureReason: 'Access denied to the KVS stream',
    });
    expectSettled(item);
    expect(c.logs).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'recording failed' }),
    );
  });

  it('applies an event delivered while the metadata object is written, because CREATED is stored first', async () => {
    const call = sampleCall();
    const real = sdkMetadataWriter(s3, BUCKET);
    let during: unknown;
    const c = creator({
      metadata: {
        async write(key, document) {
          const seen = await callItem(call.transactionId);
          expect(seen).toMatchObject({ state: 'CREATED', metadataPending: true });
          during = await status.handler(
            stateChange(
              call.transactionId,
              String(seen['pipelineArn']),
              'chime:MediaInsightsStopped',
            ),
          );
          await real.write(key, document);
        },
      },
    });
    await record(c.handler, call);
    expect(during).toEqual({
      outcome: 'status-updated',
      transactionId: call.transactionId,
      pipelineStatus: 'Stopped',
    });
    const item = await callItem(call.transactionId);
    expect(item).toMatchObject({ state: 'RECORDED', metadataAttempts: 1 });
    expectSettled(item);
    expect(await h.objectKeys()).toContain(`originalAudio/${call.callId}.json`);
  });

  it('applies an event whose deferral loses the race to the CREATED mark', async () => {
    const call = sampleCall();
    const creatorStore = new HookedStore(storeOptions());
    const statusStore = new HookedStore(storeOptions());
    const statusSide = creator({ store: statusStore });
    let releaseCreate!: () => void;
    const createMayReturn = new Promise<void>((r) => (releaseCreate = r));
    let markedCreated!: () => void;
    const created = new Promise<void>((r) => (markedCreated = r));
    creatorStore.afterMarkCreated = markedCreated;
    // The status invocation found the call CREATING; before it can keep the event, the creator
    // marks the call CREATED.
    statusStore.beforeDefer = async () => {
      releaseCreate();
      await created;
    };
    let statusOutcome: Promise<unknown> = Promise.resolve(undefined);
    const c = creator({
      store: creatorStore,
      create: createThen(async (arn) => {
        statusOutcome = statusSide.handler(
          stateChange(call.transactionId, arn, 'chime:MediaInsightsStopped'),
        );
        await createMayReturn;
      }),
    });
    expect(await record(c.handler, call)).toMatchObject({ outcome: 'pipeline-created' });
    expect(await statusOutcome).toEqual({
      outcome: 'status-updated',
      transactionId: call.transactionId,
      pipelineStatus: 'Stopped',
    });
    const item = await callItem(call.transactionId);
    expect(item).toMatchObject({ state: 'RECORDED', pipelineStatus: 'Stopped' });
    expectSettled(item);
  });

  it('stays idempotent under duplicate early and late deliveries', async () => {
    const call = sampleCall();
    const early: unknown[] = [];
    let pipelineArn = '';
    const c = creator({
      create: createThen(async (arn) => {
        pipelineArn = arn;
        const stopped = stateChange(call.transactionId, arn, 'chime:MediaInsightsStopped');
        early.push(await status.handler(stopped), await status.handler(stopped));
      }),
    });
    await record(c.handler, call);
    // The streaming events are redelivered too: no second pipeline.
    for (const e of call.all) await c.handler(e);
    expect(early).toEqual([
      expect.objectContaining({ outcome: 'status-deferred' }),
      expect.objectContaining({ outcome: 'status-deferred' }),
    ]);
    expect(
      await status.handler(
        stateChange(call.transactionId, pipelineArn, 'chime:MediaInsightsStopped'),
      ),
    ).toMatchObject({ outcome: 'ignored' });
    const item = await callItem(call.transactionId);
    expect(item).toMatchObject({ state: 'RECORDED', pipelineStatus: 'Stopped' });
    expectSettled(item);
    expect(h.fake.createRequests).toHaveLength(1);
  });

  it('never lets a later progress event replace an early terminal one', async () => {
    const call = sampleCall();
    const outcomes: unknown[] = [];
    const c = creator({
      create: createThen(async (arn) => {
        const tx = call.transactionId;
        outcomes.push(
          await status.handler(stateChange(tx, arn, 'chime:MediaInsightsInProgress')),
          await status.handler(
            stateChange(tx, arn, 'chime:MediaInsightsPermanentFailure', { failureReason: 'gone' }),
          ),
          await status.handler(stateChange(tx, arn, 'chime:MediaInsightsInProgress')),
        );
      }),
    });
    await record(c.handler, call);
    expect(outcomes).toMatchObject([
      { outcome: 'status-deferred', pipelineStatus: 'InProgress' },
      { outcome: 'status-deferred', pipelineStatus: 'Failed' },
      { outcome: 'ignored' },
    ]);
    const item = await callItem(call.transactionId);
    expect(item).toMatchObject({
      state: 'FAILED',
      pipelineStatus: 'Failed',
      failureReason: 'gone',
    });
    expectSettled(item);
  });

  it("keeps an early event of another pipeline on that pipeline's record and leaves the call CREATED", async () => {
    const call = sampleCall();
    const c = creator({
      create: createThen(async () => {
        await status.handler(
          stateChange(call.transactionId, OTHER_PIPELINE, 'chime:MediaInsightsStopped'),
        );
      }),
    });
    await record(c.handler, call);
    const item = await callItem(call.transactionId);
    expect(item).toMatchObject({ state: 'CREATED' });
    expect(item['pipelineArn']).not.toBe(OTHER_PIPELINE);
    expectSettled(item);
    expect(await pipelineRecords(call.transactionId)).toEqual([
      { pipelineArn: OTHER_PIPELINE, pipelineStatus: 'Stopped', state: 'RECORDED' },
    ]);
    expect(c.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'status event of another pipeline arrived during the create; kept on its record',
        attributes: expect.objectContaining({
          pipelineArn: OTHER_PIPELINE,
          createdPipelineArn: item['pipelineArn'],
        }),
      }),
    );
  });

  it('keeps an event that arrives while a create retry is pending and applies it when the retry gets the same pipeline', async () => {
    const call = sampleCall();
    const real = sdkPipelineCreator(mediaPipelines);
    const clock = { now: START };
    let firstArn = '';
    const c = creator({
      now: () => clock.now,
      // The service created the pipeline but the answer was lost: the claim is released.
      create: async (input) => {
        const ref = await real.create(input);
        if (firstArn !== '') return ref;
        firstArn = String(ref.pipelineArn);
        throw new RecorderError(RecorderErrorCode.PipelineUnavailable, 'socket hang up', {
          retryable: true,
        });
      },
    });
    expect(await record(c.handler, call)).toMatchObject({ outcome: 'retry-scheduled' });
    expect(
      await status.handler(stateChange(call.transactionId, firstArn, 'chime:MediaInsightsStopped')),
    ).toMatchObject({ outcome: 'status-deferred' });
    clock.now = START + 60_000;
    expect(await c.handler(fixture('events/scheduled.json'))).toMatchObject({ created: 1 });
    const item = await callItem(call.transactionId);
    expect(item).toMatchObject({ state: 'RECORDED', pipelineArn: firstArn, createAttempts: 2 });
    expectSettled(item);
  });

  it('ignores a status event of a call the table does not hold, without creating an item', async () => {
    const tx = sampleCall().transactionId;
    expect(
      await status.handler(stateChange(tx, OTHER_PIPELINE, 'chime:MediaInsightsStopped')),
    ).toMatchObject({ outcome: 'ignored', reason: 'no matching created pipeline' });
    expect(await h.items(tx)).toEqual([]);
  });
});

describe('status events in the normal order', () => {
  it('marks the call RECORDED when Stopped arrives after CREATED, with nothing deferred', async () => {
    const call = sampleCall();
    const c = creator();
    await record(c.handler, call);
    const created = await callItem(call.transactionId);
    expect(created).toMatchObject({ state: 'CREATED', metadataAttempts: 1 });
    expectSettled(created);
    const arn = String(created['pipelineArn']);
    expect(
      await status.handler(stateChange(call.transactionId, arn, 'chime:MediaInsightsStopped')),
    ).toEqual({
      outcome: 'status-updated',
      transactionId: call.transactionId,
      pipelineStatus: 'Stopped',
    });
    expect(
      await status.handler(stateChange(call.transactionId, arn, 'chime:MediaInsightsStopped')),
    ).toMatchObject({ outcome: 'ignored' });
    const item = await callItem(call.transactionId);
    expect(item).toMatchObject({ state: 'RECORDED', pipelineStatus: 'Stopped' });
    expectSettled(item);
  });
});

describe('CallStore.markCreated under constant early events', () => {
  it('gives up with a retryable CHIME_REC_ERR_STATE_CONFLICT and keeps the claim for the sweep', async () => {
    const call = sampleCall();
    const plain = new CallStore(storeOptions());
    const c = classifyEvent(call.endedCaller);
    if (c.kind !== 'streaming') throw new Error('the fixture is a streaming event');
    await plain.touchCall(c.event, START);
    expect(await plain.claim(call.transactionId, 'claim-1', START, 300_000)).toBeDefined();
    let n = 0;
    // Every CREATED write is preceded by a new progress event, so its condition never holds.
    const busy = {
      async send(command: unknown) {
        if (
          command instanceof UpdateCommand &&
          Object.values(command.input.ExpressionAttributeNames ?? {}).includes(
            'pipelineCreatedAtMs',
          )
        ) {
          await plain.deferPipelineChange(
            call.transactionId,
            OTHER_PIPELINE,
            { pipelineStatus: `Progress${n++}` },
            START,
          );
        }
        return documents.send(command as UpdateCommand);
      },
    } as unknown as DynamoDBDocumentClient;
    const racing = new CallStore({ client: busy, tableName: TABLE });
    const facts = {
      pipelineArn: OTHER_PIPELINE,
      destination: `arn:aws:s3:::${BUCKET}/x.wav`,
      streamArns: [],
      legsRecorded: [],
      recordingStartMs: START,
      recordingEndMs: START,
      callStartMs: START,
      callEndMs: START,
      recordingKey: 'x.wav',
      partial: true,
      reason: 'deadline',
    };
    await expect(
      racing.markCreated(call.transactionId, 'claim-1', facts, START),
    ).rejects.toMatchObject({ code: RecorderErrorCode.StateConflict, retryable: true });
    expect(n).toBe(8);
    expect(await callItem(call.transactionId)).toMatchObject({
      state: 'CREATING',
      claimId: 'claim-1',
      dueAtMs: START + 300_000,
    });
  });
});

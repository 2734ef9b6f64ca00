// Status events of two pipelines of one call (CLIENT_REQUEST_TOKEN=none and a claim takeover):
// the call follows the pipeline it records in CREATED, and no event of either pipeline is lost.
import type { Harness, TestApp } from './helpers/harness';
import { sampleCall, stateChange } from './helpers/harness';
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
/** A separate invocation that receives the Media Insights State Change events. */
let status: TestApp;

beforeAll(async () => {
  ({ h } = await startStatusContext());
});
afterAll(async () => {
  await stopStatusContext();
});
beforeEach(() => {
  h.fake.reset();
  status = h.app({}, START);
});

describe('status events of another pipeline while the call is being created', () => {
  it("applies the created pipeline's event that arrives while another pipeline's terminal event is kept", async () => {
    const call = sampleCall();
    const outcomes: unknown[] = [];
    const c = creator({
      create: createThen(async (arn) => {
        const tx = call.transactionId;
        outcomes.push(
          await status.handler(
            stateChange(tx, OTHER_PIPELINE, 'chime:MediaInsightsPermanentFailure', {
              failureReason: 'duplicate',
            }),
          ),
          await status.handler(stateChange(tx, arn, 'chime:MediaInsightsStopped')),
        );
      }),
    });
    await record(c.handler, call);
    expect(outcomes).toMatchObject([
      { outcome: 'status-deferred', pipelineStatus: 'Failed' },
      { outcome: 'status-deferred', pipelineStatus: 'Stopped' },
    ]);
    const item = await callItem(call.transactionId);
    expect(item).toMatchObject({ state: 'RECORDED', pipelineStatus: 'Stopped' });
    expect(item).not.toHaveProperty('failureCode');
    expectSettled(item);
    expect(await pipelineRecords(call.transactionId)).toEqual([
      {
        pipelineArn: OTHER_PIPELINE,
        pipelineStatus: 'Failed',
        state: 'FAILED',
        failureReason: 'duplicate',
      },
    ]);
  });

  it("applies the created pipeline's terminal event after another pipeline's event took its place, from its record", async () => {
    const call = sampleCall();
    const outcomes: unknown[] = [];
    let createdArn = '';
    const c = creator({
      create: createThen(async (arn) => {
        createdArn = arn;
        const tx = call.transactionId;
        outcomes.push(
          await status.handler(stateChange(tx, arn, 'chime:MediaInsightsStopped')),
          await status.handler(stateChange(tx, OTHER_PIPELINE, 'chime:MediaInsightsInProgress')),
        );
      }),
    });
    await record(c.handler, call);
    expect(outcomes).toMatchObject([
      { outcome: 'status-deferred', pipelineStatus: 'Stopped' },
      { outcome: 'status-deferred', pipelineStatus: 'InProgress' },
    ]);
    const item = await callItem(call.transactionId);
    expect(item).toMatchObject({ state: 'RECORDED', pipelineStatus: 'Stopped' });
    expectSettled(item);
    expect(await pipelineRecords(call.transactionId)).toEqual(
      expect.arrayContaining([
        { pipelineArn: OTHER_PIPELINE, pipelineStatus: 'InProgress' },
        { pipelineArn: createdArn, pipelineStatus: 'Stopped', state: 'RECORDED' },
      ]),
    );
    expect(c.logs).toContainEqual(
      expect.objectContaining({ level: 'info', message: 'recording complete' }),
    );
  });

  it("keeps another pipeline's event whose move loses the race to the CREATED mark, on its own record", async () => {
    const call = sampleCall();
    const statusStore = new HookedStore(storeOptions());
    const statusSide = creator({ store: statusStore });
    let releaseCreate!: () => void;
    const createMayReturn = new Promise<void>((r) => (releaseCreate = r));
    let markedCreated!: () => void;
    const created = new Promise<void>((r) => (markedCreated = r));
    const creatorStore = new HookedStore(storeOptions());
    creatorStore.afterMarkCreated = markedCreated;
    // The status invocation moved the created pipeline's kept event to its record; before it
    // can take the early slot, the creator applies that event and marks the call.
    statusStore.afterRecord = async () => {
      releaseCreate();
      await created;
    };
    let otherOutcome: Promise<unknown> = Promise.resolve(undefined);
    const c = creator({
      store: creatorStore,
      create: createThen(async (arn) => {
        await status.handler(stateChange(call.transactionId, arn, 'chime:MediaInsightsStopped'));
        otherOutcome = statusSide.handler(
          stateChange(call.transactionId, OTHER_PIPELINE, 'chime:MediaInsightsStopped'),
        );
        // Without the move there is no hook to wait for: the status invocation just returns.
        await Promise.race([createMayReturn, otherOutcome]);
      }),
    });
    await record(c.handler, call);
    expect(await otherOutcome).toEqual({
      outcome: 'other-pipeline',
      transactionId: call.transactionId,
      pipelineStatus: 'Stopped',
    });
    const item = await callItem(call.transactionId);
    expect(item).toMatchObject({ state: 'RECORDED', pipelineStatus: 'Stopped' });
    expectSettled(item);
    expect(await pipelineRecords(call.transactionId)).toContainEqual({
      pipelineArn: OTHER_PIPELINE,
      pipelineStatus: 'Stopped',
      state: 'RECORDED',
    });
  });
});

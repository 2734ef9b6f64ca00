import { RecorderErrorCode } from '../src/lib/errors';
import { Harness, sampleCall, stateChange, type TestApp } from './helpers/harness';

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

async function recordedCall(): Promise<{ transactionId: string; pipelineArn: string }> {
  const call = sampleCall();
  for (const e of call.all) await app.handler(e);
  const [item] = await h.items(call.transactionId);
  return { transactionId: call.transactionId, pipelineArn: String(item?.['pipelineArn']) };
}

describe('Media Insights State Change', () => {
  it('marks the call RECORDED when its pipeline stops', async () => {
    const { transactionId, pipelineArn } = await recordedCall();
    expect(
      await app.handler(stateChange(transactionId, pipelineArn, 'chime:MediaInsightsInProgress')),
    ).toEqual({ outcome: 'status-updated', transactionId, pipelineStatus: 'InProgress' });
    expect(
      await app.handler(stateChange(transactionId, pipelineArn, 'chime:MediaInsightsStopped')),
    ).toEqual({ outcome: 'status-updated', transactionId, pipelineStatus: 'Stopped' });
    const [item] = await h.items(transactionId);
    expect(item).toMatchObject({ state: 'RECORDED', pipelineStatus: 'Stopped' });
    // A late progress event does not undo the terminal state.
    expect(
      await app.handler(stateChange(transactionId, pipelineArn, 'chime:MediaInsightsInProgress')),
    ).toMatchObject({ outcome: 'ignored' });
    expect((await h.items(transactionId))[0]).toMatchObject({ state: 'RECORDED' });
  });

  it('marks the call FAILED with the reason on a permanent failure', async () => {
    const { transactionId, pipelineArn } = await recordedCall();
    await app.handler(
      stateChange(transactionId, pipelineArn, 'chime:MediaInsightsPermanentFailure', {
        failureReason: 'Access denied to the KVS stream',
      }),
    );
    const [item] = await h.items(transactionId);
    expect(item).toMatchObject({
      state: 'FAILED',
      pipelineStatus: 'Failed',
      failureCode: RecorderErrorCode.PipelineFailed,
      failureReason: 'Access denied to the KVS stream',
    });
    expect(app.logs).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'recording failed' }),
    );
  });

  it('notes a temporary failure without ending the call', async () => {
    const { transactionId, pipelineArn } = await recordedCall();
    await app.handler(
      stateChange(transactionId, pipelineArn, 'chime:MediaInsightsTemporaryFailure', {
        failureReason: 'throttled',
      }),
    );
    const [item] = await h.items(transactionId);
    expect(item).toMatchObject({
      state: 'CREATED',
      pipelineStatus: 'TemporaryFailure',
      lastPipelineFailureReason: 'throttled',
    });
  });

  it("keeps another pipeline's events of a created call on that pipeline's record, leaving the call as it is", async () => {
    const { transactionId, pipelineArn } = await recordedCall();
    const other = 'arn:aws:chime:us-east-1:112233445566:media-pipeline/other';
    const outcomes = [];
    for (const type of [
      'chime:MediaInsightsInProgress',
      'chime:MediaInsightsStopped',
      // A late progress event never replaces the recorded outcome.
      'chime:MediaInsightsInProgress',
    ]) {
      outcomes.push(await app.handler(stateChange(transactionId, other, type)));
    }
    expect(outcomes).toEqual(
      ['InProgress', 'Stopped', 'InProgress'].map((pipelineStatus) => ({
        outcome: 'other-pipeline',
        transactionId,
        pipelineStatus,
      })),
    );
    const [call, ...rest] = await h.items(transactionId);
    expect(call).toMatchObject({ state: 'CREATED', pipelineArn });
    expect(call).not.toHaveProperty('pipelineStatus', 'Stopped');
    expect(rest.filter((i) => String(i['sk']).startsWith('PIPELINE#'))).toEqual([
      expect.objectContaining({
        sk: `PIPELINE#${other}`,
        pipelineArn: other,
        pipelineStatus: 'Stopped',
        state: 'RECORDED',
        ttl: expect.any(Number),
      }),
    ]);
    expect(app.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'status event of another pipeline of this call; kept on its pipeline record',
      }),
    );
    // The call's own pipeline still moves it.
    expect(
      await app.handler(stateChange(transactionId, pipelineArn, 'chime:MediaInsightsStopped')),
    ).toMatchObject({ outcome: 'status-updated' });
  });

  it('ignores events of other configurations, unknown types and without a transaction id', async () => {
    const { transactionId, pipelineArn } = await recordedCall();
    const cases = [
      stateChange(transactionId, pipelineArn, 'chime:MediaInsightsStopped', {
        mediaInsightsPipelineConfigurationArn:
          'arn:aws:chime:us-east-1:112233445566:media-insights-pipeline-configuration/Other',
      }),
      stateChange(transactionId, pipelineArn, 'chime:MediaInsightsCreated'),
    ];
    const noTx = stateChange(transactionId, pipelineArn, 'chime:MediaInsightsStopped');
    delete noTx.detail['transactionId'];
    cases.push(noTx);
    for (const e of cases) expect(await app.handler(e)).toMatchObject({ outcome: 'ignored' });
    expect((await h.items(transactionId))[0]).toMatchObject({ state: 'CREATED' });
  });

  it('ignores every state change with TRACK_PIPELINE_STATUS=false', async () => {
    const { transactionId, pipelineArn } = await recordedCall();
    const off = h.app({ TRACK_PIPELINE_STATUS: 'false' });
    expect(
      await off.handler(stateChange(transactionId, pipelineArn, 'chime:MediaInsightsStopped')),
    ).toEqual({ outcome: 'ignored', reason: 'TRACK_PIPELINE_STATUS is false' });
  });
});

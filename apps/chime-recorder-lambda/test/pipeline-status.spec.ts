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

  it('ignores events of other pipelines, other configurations, unknown types and without a transaction id', async () => {
    const { transactionId, pipelineArn } = await recordedCall();
    const cases = [
      stateChange(
        transactionId,
        'arn:aws:chime:us-east-1:112233445566:media-pipeline/other',
        'chime:MediaInsightsStopped',
      ),
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

import { RecorderErrorCode } from '../src/lib/errors';
import { metadataRetryDelayMs } from '../src/lib/metadata';
import {
  fixture,
  Harness,
  s3Config,
  sampleCall,
  stateChange,
  type TestApp,
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

const START = Date.parse('2023-04-05T22:14:20Z');
/** An S3 endpoint nothing listens on: every write fails at once. */
const DEAD_S3 = s3Config('http://127.0.0.1:9');

async function record(app: TestApp, call: ReturnType<typeof sampleCall>): Promise<unknown> {
  let last: unknown;
  for (const e of call.all) last = await app.handler(e);
  return last;
}

const sweepEvent = () => fixture('events/scheduled.json');

describe('metadata object next to the recording', () => {
  it('writes <prefix>/<callId>.json beside <callId>.wav with the 2023 sample fields', async () => {
    const app = h.app();
    const call = sampleCall();
    expect(await record(app, call)).toMatchObject({ outcome: 'pipeline-created' });
    const keys = await h.objectKeys();
    expect(keys).toContain(`originalAudio/${call.callId}.json`);
    const [callItem] = await h.items(call.transactionId);
    expect(await h.objectJson(`originalAudio/${call.callId}.json`)).toEqual({
      account: '112233445566',
      callId: call.callId,
      transactionId: call.transactionId,
      direction: 'Inbound',
      fromNumber: '+18155551212',
      toNumber: '+19285557777',
      voiceConnectorId: 'bfggco08s5m5esgxfskzks',
      startTime: '2023-04-05T22:14:02.238Z',
      endTime: '2023-04-05T22:14:17.788Z',
      recording: `originalAudio/${call.callId}.wav`,
      streams: ['caller', 'callee'],
      partial: false,
      pipelineId: callItem?.['pipelineId'],
    });
    expect(callItem).toMatchObject({
      state: 'CREATED',
      recordingKey: `originalAudio/${call.callId}.wav`,
      metadataKey: `originalAudio/${call.callId}.json`,
    });
    expect(callItem).not.toHaveProperty('metadataPending');
    expect(callItem).not.toHaveProperty('dueAtMs');
  });

  it('names the metadata object after the recording, whatever the key template', async () => {
    const app = h.app({
      RECORDING_KEY_TEMPLATE: '{yyyy}/{transactionId}',
      RECORDING_BUCKET_PREFIX: '',
    });
    const call = sampleCall();
    await record(app, call);
    expect(await h.objectKeys()).toContain(`2023/${call.transactionId}.json`);
  });

  it('writes no object with WRITE_METADATA_JSON=false', async () => {
    const app = h.app({ WRITE_METADATA_JSON: 'false', RECORDING_BUCKET_PREFIX: 'off' });
    const call = sampleCall();
    expect(await record(app, call)).toMatchObject({ outcome: 'pipeline-created' });
    expect((await h.objectKeys()).filter((k) => k.startsWith('off/'))).toEqual([]);
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).not.toHaveProperty('metadataKey');
  });

  it('keeps the recording when S3 fails, and the sweep writes the object later', async () => {
    const broken = h.app({ RECORDING_BUCKET_PREFIX: 'late' }, START, DEAD_S3);
    const call = sampleCall();
    expect(await record(broken, call)).toMatchObject({ outcome: 'pipeline-created' });
    expect(h.fake.createRequests).toHaveLength(1);
    expect(broken.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'could not write the metadata object; the sweep retries it',
        attributes: expect.objectContaining({
          errorCode: RecorderErrorCode.MetadataWriteFailed,
          transactionId: call.transactionId,
        }),
      }),
    );
    const [pending] = await h.items(call.transactionId);
    expect(pending).toMatchObject({
      state: 'CREATED',
      metadataPending: true,
      lastErrorCode: RecorderErrorCode.MetadataWriteFailed,
      dueAtMs: START + 60_000,
    });

    // Not due yet: the sweep leaves it alone.
    const healed = h.app({ RECORDING_BUCKET_PREFIX: 'late' }, START + 1_000);
    await healed.handler(sweepEvent());
    expect(await h.objectKeys()).not.toContain(`late/${call.callId}.json`);

    healed.clock.now = START + 60_000;
    expect(await healed.handler(sweepEvent())).toMatchObject({ outcome: 'swept', errors: 0 });
    expect(await h.objectJson(`late/${call.callId}.json`)).toMatchObject({
      callId: call.callId,
      transactionId: call.transactionId,
      streams: ['caller', 'callee'],
    });
    const [written] = await h.items(call.transactionId);
    expect(written).toMatchObject({ state: 'CREATED', metadataAttempts: 2 });
    expect(written).not.toHaveProperty('metadataPending');
    expect(written).not.toHaveProperty('dueAtMs');
    expect(written).not.toHaveProperty('lastErrorCode');
    // The recording was never requested twice.
    expect(h.fake.createRequests).toHaveLength(1);
  });

  it('gives up on the metadata object after MAX_CREATE_ATTEMPTS, leaving the recording alone', async () => {
    const env = { RECORDING_BUCKET_PREFIX: 'never', MAX_CREATE_ATTEMPTS: '2' };
    const broken = h.app(env, START, DEAD_S3);
    const call = sampleCall();
    await record(broken, call);
    broken.clock.now = START + 60_000;
    await broken.handler(sweepEvent());
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({
      state: 'CREATED',
      metadataAttempts: 2,
      metadataFailureCode: RecorderErrorCode.MetadataWriteFailed,
    });
    expect(callItem).not.toHaveProperty('metadataPending');
    expect(callItem).not.toHaveProperty('dueAtMs');
    expect(broken.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message:
          'metadata object not written after every attempt; the recording itself is not affected',
      }),
    );
  });
});

describe('metadata retries by the sweep', () => {
  it.each([
    ['chime:MediaInsightsPermanentFailure', 'FAILED'],
    ['chime:MediaInsightsStopped', 'RECORDED'],
  ])(
    'writes the object of a call whose first write failed and whose pipeline then reported %s (%s)',
    async (eventType, state) => {
      const prefix = `after-${state.toLowerCase()}`;
      const broken = h.app({ RECORDING_BUCKET_PREFIX: prefix }, START, DEAD_S3);
      const call = sampleCall();
      await record(broken, call);
      const [created] = await h.items(call.transactionId);
      expect(created).toMatchObject({ state: 'CREATED', metadataPending: true });
      expect(
        await broken.handler(
          stateChange(call.transactionId, String(created?.['pipelineArn']), eventType, {
            failureReason: 'Access denied to the KVS stream',
          }),
        ),
      ).toMatchObject({ outcome: 'status-updated' });
      expect((await h.items(call.transactionId))[0]).toMatchObject({
        state,
        metadataPending: true,
      });

      const healed = h.app({ RECORDING_BUCKET_PREFIX: prefix }, START + 60_000);
      expect(await healed.handler(sweepEvent())).toMatchObject({ outcome: 'swept', errors: 0 });
      expect(await h.objectJson(`${prefix}/${call.callId}.json`)).toMatchObject({
        callId: call.callId,
        transactionId: call.transactionId,
        pipelineId: created?.['pipelineId'],
      });
      const [written] = await h.items(call.transactionId);
      expect(written).toMatchObject({ state, metadataAttempts: 2 });
      for (const a of ['metadataPending', 'dueAtMs', 'metadataFailureCode']) {
        expect(written).not.toHaveProperty(a);
      }
      expect(h.fake.createRequests).toHaveLength(1);
    },
  );

  it('waits twice as long after each failed write, with the attempt count and next try on the call, up to MAX_CREATE_ATTEMPTS', async () => {
    const env = { RECORDING_BUCKET_PREFIX: 'backoff', MAX_CREATE_ATTEMPTS: '4' };
    const broken = h.app(env, START, DEAD_S3);
    const call = sampleCall();
    await record(broken, call);
    const item = async () => (await h.items(call.transactionId))[0];
    expect(await item()).toMatchObject({ metadataAttempts: 1, dueAtMs: START + 60_000 });

    broken.clock.now = START + 60_000;
    await broken.handler(sweepEvent());
    expect(await item()).toMatchObject({ metadataAttempts: 2, dueAtMs: START + 180_000 });

    // Not due yet: the second retry waits 120 s, not 60 s.
    broken.clock.now = START + 179_999;
    await broken.handler(sweepEvent());
    expect(await item()).toMatchObject({ metadataAttempts: 2, dueAtMs: START + 180_000 });

    broken.clock.now = START + 180_000;
    await broken.handler(sweepEvent());
    expect(await item()).toMatchObject({ metadataAttempts: 3, dueAtMs: START + 420_000 });
    expect(broken.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'could not write the metadata object; the sweep retries it',
        attributes: expect.objectContaining({
          attempt: 3,
          retryAt: new Date(START + 420_000).toISOString(),
        }),
      }),
    );

    broken.clock.now = START + 420_000;
    await broken.handler(sweepEvent());
    const last = await item();
    expect(last).toMatchObject({
      state: 'CREATED',
      metadataAttempts: 4,
      metadataFailureCode: RecorderErrorCode.MetadataWriteFailed,
    });
    expect(last).not.toHaveProperty('metadataPending');
    expect(last).not.toHaveProperty('dueAtMs');
  });

  it('doubles the wait per failed write up to an hour, or CREATE_RETRY_AFTER_MS when that is longer', () => {
    expect([1, 2, 3, 4].map((n) => metadataRetryDelayMs(n, 60_000))).toEqual([
      60_000, 120_000, 240_000, 480_000,
    ]);
    expect(metadataRetryDelayMs(7, 60_000)).toBe(3_600_000);
    expect(metadataRetryDelayMs(100, 60_000)).toBe(3_600_000);
    expect(metadataRetryDelayMs(3, 7_200_000)).toBe(7_200_000);
    expect(metadataRetryDelayMs(3, 0)).toBe(0);
  });
});

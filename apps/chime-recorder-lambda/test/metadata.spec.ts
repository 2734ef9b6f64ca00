import { RecorderErrorCode } from '../src/lib/errors';
import { fixture, Harness, s3Config, sampleCall, type TestApp } from './helpers/harness';

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

import { RecorderErrorCode } from '../src/lib/errors';
import { expectedRequest, Harness, sampleCall, type TestApp } from './helpers/harness';

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

async function record(app: TestApp, call: ReturnType<typeof sampleCall>): Promise<unknown> {
  let last: unknown;
  for (const e of call.all) last = await app.handler(e);
  return last;
}

describe('S3 destination', () => {
  it('writes to the bucket root without a leading slash when RECORDING_BUCKET_PREFIX is empty', async () => {
    const app = h.app({ RECORDING_BUCKET_PREFIX: '' });
    const call = sampleCall();
    await record(app, call);
    expect(h.fake.createRequests.map((r) => r.body)).toEqual([
      expectedRequest(call.transactionId, call.callId, {
        destination: `arn:aws:s3:::recordings-bucket/${call.callId}.wav`,
      }),
    ]);
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({
      state: 'CREATED',
      destination: `arn:aws:s3:::recordings-bucket/${call.callId}.wav`,
    });
  });

  it.each([
    ['originalAudio/', '/originalAudio'],
    ['/calls//2023/', '/calls/2023'],
  ])('normalises the prefix %j to %j', async (prefix, normalised) => {
    const app = h.app({ RECORDING_BUCKET_PREFIX: prefix });
    const call = sampleCall();
    await record(app, call);
    expect(h.fake.createRequests[0]?.body).toMatchObject({
      S3RecordingSinkRuntimeConfiguration: {
        Destination: `arn:aws:s3:::recordings-bucket${normalised}/${call.callId}.wav`,
      },
    });
  });

  it('names the object by transaction id with RECORDING_KEY_TEMPLATE={transactionId}, so a SIP Call-ID with "@" does not matter', async () => {
    const app = h.app({ RECORDING_KEY_TEMPLATE: '{transactionId}' });
    const call = sampleCall({ callId: 'a84b4c76e66710@pbx.example.com' });
    expect(await record(app, call)).toMatchObject({ outcome: 'pipeline-created' });
    expect(h.fake.createRequests.map((r) => r.body)).toEqual([
      expectedRequest(call.transactionId, 'a84b4c76e66710@pbx.example.com', {
        destination: `arn:aws:s3:::recordings-bucket/originalAudio/${call.transactionId}.wav`,
      }),
    ]);
  });

  it('names the object by call id by default, as the 2023 sample did, replacing characters the pattern rejects', async () => {
    const app = h.app();
    const call = sampleCall({ callId: 'a84b4c76e66710@pbx.example.com' });
    expect(await record(app, call)).toMatchObject({ outcome: 'pipeline-created' });
    expect(h.fake.createRequests[0]?.body).toMatchObject({
      S3RecordingSinkRuntimeConfiguration: {
        Destination:
          'arn:aws:s3:::recordings-bucket/originalAudio/a84b4c76e66710_pbx.example.com.wav',
      },
    });
  });

  it('replaces characters the destination pattern rejects when the key template uses the call id', async () => {
    const app = h.app({ RECORDING_KEY_TEMPLATE: '{yyyy}/{mm}/{dd}/{callId}' });
    const call = sampleCall({ callId: 'a84b4c76e66710@pbx.example.com' });
    await record(app, call);
    expect(h.fake.createRequests[0]?.body).toMatchObject({
      S3RecordingSinkRuntimeConfiguration: {
        Destination:
          'arn:aws:s3:::recordings-bucket/originalAudio/2023/04/05/a84b4c76e66710_pbx.example.com.wav',
      },
    });
    expect(app.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        attributes: expect.objectContaining({ placeholders: ['callId'] }),
      }),
    );
  });

  it('marks the call FAILED and sends nothing when DESTINATION_INVALID_CHARS=reject', async () => {
    const app = h.app({ RECORDING_KEY_TEMPLATE: '{callId}', DESTINATION_INVALID_CHARS: 'reject' });
    const call = sampleCall({ callId: 'a84b4c76e66710@pbx.example.com' });
    expect(await record(app, call)).toMatchObject({
      outcome: 'pipeline-failed',
      code: RecorderErrorCode.DestinationInvalid,
    });
    expect(h.fake.createRequests).toHaveLength(0);
    const [callItem] = await h.items(call.transactionId);
    expect(callItem).toMatchObject({
      state: 'FAILED',
      failureCode: RecorderErrorCode.DestinationInvalid,
    });
  });

  it('hashes a transaction id that does not fit the token pattern into a stable token', async () => {
    const app = h.app({ RECORDING_KEY_TEMPLATE: '{transactionId}' });
    const call = sampleCall({ transactionId: 'tx with spaces+plus' });
    await record(app, call);
    const body = h.fake.createRequests[0]?.body;
    expect(body?.['ClientRequestToken']).toMatch(/^h-[0-9a-f]{62}$/);
    expect(body?.['S3RecordingSinkRuntimeConfiguration']).toEqual({
      Destination: 'arn:aws:s3:::recordings-bucket/originalAudio/tx_with_spaces_plus.wav',
      RecordingFileFormat: 'Wav',
    });
  });

  it('lets the SDK pick a random token with CLIENT_REQUEST_TOKEN=none, and writes Opus as .ogg', async () => {
    const app = h.app({ CLIENT_REQUEST_TOKEN: 'none', RECORDING_FILE_FORMAT: 'Opus' });
    const call = sampleCall();
    await record(app, call);
    const body = h.fake.createRequests[0]?.body;
    expect(body?.['ClientRequestToken']).toMatch(/^[0-9a-f-]{36}$/);
    expect(body?.['ClientRequestToken']).not.toBe(call.transactionId);
    expect(body?.['S3RecordingSinkRuntimeConfiguration']).toEqual({
      Destination: `arn:aws:s3:::recordings-bucket/originalAudio/${call.callId}.ogg`,
      RecordingFileFormat: 'Opus',
    });
  });

  it('sends ServerTimestamp and no margin when configured', async () => {
    const app = h.app({ FRAGMENT_SELECTOR_TYPE: 'ServerTimestamp', RECORDING_MARGIN_MS: '0' });
    const call = sampleCall();
    await record(app, call);
    expect(h.fake.createRequests[0]?.body).toMatchObject({
      KinesisVideoStreamRecordingSourceRuntimeConfiguration: {
        FragmentSelector: {
          FragmentSelectorType: 'ServerTimestamp',
          TimestampRange: {
            StartTimestamp: Date.parse('2023-04-05T22:14:02.238Z') / 1000,
            EndTimestamp: Date.parse('2023-04-05T22:14:17.788Z') / 1000,
          },
        },
      },
    });
  });
});

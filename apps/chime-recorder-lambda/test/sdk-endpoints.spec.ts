import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { memoryLogger } from '../src/lib/logger';
import { BASE_ENV, expectedRequest, Harness, sampleCall } from './helpers/harness';

let h: Harness;
const saved = { ...process.env };

beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h.close();
});
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe('standard AWS SDK environment variables', () => {
  it('reach dynalite and the fake through AWS_ENDPOINT_URL_DYNAMODB and AWS_ENDPOINT_URL_CHIME_SDK_MEDIA_PIPELINES', async () => {
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: h.dynamoEndpoint,
      AWS_ENDPOINT_URL_CHIME_SDK_MEDIA_PIPELINES: h.fake.url,
      ...BASE_ENV,
    });
    // Exactly what the Lambda entry does: configuration from the environment, no overrides.
    const app = createApp(loadConfig(process.env), { logger: memoryLogger() });
    try {
      const call = sampleCall();
      for (const e of call.all) await app.handler(e);
      expect(h.fake.createRequests.map((r) => r.body)).toEqual([
        expectedRequest(call.transactionId, call.callId),
      ]);
    } finally {
      app.close();
    }
  });
});

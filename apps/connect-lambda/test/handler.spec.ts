import { CrestaErrorCode, NodeHttpTransport } from '@org/cresta-handoff';
import { type FakeCrestaApi, startFakeCrestaApi } from '@org/cresta-handoff/testing';
import { type ConnectLambda, createConnectLambda, createLogger } from '../src/composition';
import { loadConfig } from '../src/config';
import { ConnectLambdaErrorCode } from '../src/lib/errors';
import { appJson, captureLogs, lambdaContext, rejectionOf } from './support/helpers';

const VA = 'customers/acme/profiles/main/virtualAgents/va-1';
const pstnEvent = appJson<Record<string, unknown>>('events', 'get-pstn-transfer-data.json');
const handoffEvent = appJson<Record<string, unknown>>('events', 'get-handoff-data.json');
const CONTACT_ID = '5ca32fbd-8f92-46af-92a5-6b0f970f0efe';

let fake: FakeCrestaApi;
let transport: NodeHttpTransport;
const apps: ConnectLambda[] = [];
let capture: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  fake = await startFakeCrestaApi();
  transport = new NodeHttpTransport();
});
afterAll(async () => {
  transport.close();
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  capture = captureLogs();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function oauthEnv(): Record<string, string> {
  return {
    region: 'us-west-2-staging',
    apiDomain: fake.url,
    authDomain: fake.url,
    virtualAgentName: VA,
    oauthClientId: 'demo-client',
    oauthClientSecret: 'demo-secret',
    HTTP_RETRY_BASE_DELAY: '1ms',
  };
}

function makeApp(env: Record<string, string | undefined> = oauthEnv()): ConnectLambda {
  const config = loadConfig(env);
  const app = createConnectLambda(config, {
    transport,
    logger: createLogger(config, capture.destination),
  });
  apps.push(app);
  return app;
}

function withParameters(
  event: Record<string, unknown>,
  parameters: Record<string, unknown> | undefined,
) {
  const details = event['Details'] as Record<string, unknown>;
  const next: Record<string, unknown> = { ...details };
  if (parameters === undefined) delete next['Parameters'];
  else next['Parameters'] = parameters;
  return { ...event, Details: next };
}

describe('get_pstn_transfer_data', () => {
  it('returns the Cresta body and sends ContactData, filtered parameters and the version', async () => {
    const app = makeApp({ ...oauthEnv(), LAMBDA_VERSION: '7.7.7' });
    await expect(app.handler(pstnEvent, lambdaContext())).resolves.toEqual({
      phoneNumber: '+15550100',
      dtmfSequence: '1234',
    });
    const body = fake.requestsTo('pstn')[0]?.json as Record<string, Record<string, unknown>>;
    expect(body['callId']).toBe(CONTACT_ID);
    expect(body['ccaasMetadata']?.['Channel']).toBe('VOICE');
    expect(body['ccaasMetadata']?.['LanguageCode']).toBe('en-US');
    expect(body['ccaasMetadata']?.['parameters']).toEqual({
      customParameter: 'passed to Cresta in ccaasMetadata.parameters',
    });
    expect(body['ccaasMetadata']?.['version']).toBe('7.7.7');
    expect(body['supportedDtmfChars']).toBe('0123456789*');
    expect(fake.requestsTo('pstn')[0]?.path).toBe(
      '/v1/customers/acme/profiles/main/virtualAgents/va-1:generatePSTNTransferData',
    );
  });

  it('sends "unknown" as the version without a build or LAMBDA_VERSION, and the configured DTMF set', async () => {
    await makeApp({ ...oauthEnv(), supportedDtmfChars: '0123456789*#' }).handler(pstnEvent);
    const body = fake.requestsTo('pstn')[0]?.json as Record<string, Record<string, unknown>>;
    expect(body['ccaasMetadata']?.['version']).toBe('unknown');
    expect(body['supportedDtmfChars']).toBe('0123456789*#');
  });

  it('never forwards credential parameters into ccaasMetadata', async () => {
    const event = withParameters(pstnEvent, {
      action: 'get_pstn_transfer_data',
      oauthClientId: 'demo-client',
      oauthClientSecret: 'demo-secret',
      apiKey: 'leak-me-not',
      authDomain: fake.url,
      apiDomain: fake.url,
      custom: 'x',
    });
    await makeApp().handler(event);
    const body = fake.requestsTo('pstn')[0]?.body ?? '';
    expect(JSON.parse(body).ccaasMetadata.parameters).toEqual({ custom: 'x' });
    expect(body).not.toContain('demo-secret');
    expect(body).not.toContain('leak-me-not');
  });

  it('flattens a nested PSTN body into a string map when FLATTEN_PSTN_RESPONSE is on', async () => {
    fake.enqueue('pstn', {
      status: 200,
      body: { phoneNumber: '+1', dtmf: { digits: [1, 2] }, ok: true, none: null },
    });
    const result = await makeApp({ ...oauthEnv(), FLATTEN_PSTN_RESPONSE: 'true' }).handler(
      pstnEvent,
    );
    expect(result).toEqual({
      phoneNumber: '+1',
      dtmf_digits_0: '1',
      dtmf_digits_1: '2',
      ok: 'true',
      none: '',
    });
  });

  it('passes a nested PSTN body through unchanged by default', async () => {
    const body = { phoneNumber: '+1', extra: { a: [1, null] } };
    fake.enqueue('pstn', { status: 200, body });
    await expect(makeApp().handler(pstnEvent)).resolves.toEqual(body);
  });

  it.each(
    appJson<{ kind: string; body: string }[]>('test', 'fixtures', 'non-object-pstn-bodies.json'),
  )(
    'fails with a typed error naming the endpoint when Cresta answers 200 with a JSON $kind',
    async ({ kind, body }) => {
      for (const flatten of ['false', 'true']) {
        fake.enqueue('pstn', { status: 200, body });
        const app = makeApp({ ...oauthEnv(), FLATTEN_PSTN_RESPONSE: flatten });
        const err = await rejectionOf(app.handler(pstnEvent, lambdaContext()));
        expect(err['code']).toBe(CrestaErrorCode.InvalidResponse);
        expect(err.message).toMatch(
          new RegExp(
            `^invalid response from generatePSTNTransferData \\(.+:generatePSTNTransferData\\): the body is a JSON ${kind}, not an object$`,
          ),
        );
        const logged = capture.logs.find(
          (l) => l.json?.['msg'] === `Handler error: ${err.message}`,
        );
        expect(logged?.json?.['errorCode']).toBe(CrestaErrorCode.InvalidResponse);
      }
    },
  );

  it('rejects a response larger than the Connect limit with a clear error', async () => {
    fake.enqueue('pstn', { status: 200, body: { phoneNumber: '+1', blob: 'x'.repeat(40_000) } });
    const err = await rejectionOf(makeApp().handler(pstnEvent));
    expect(err['code']).toBe(CrestaErrorCode.ResponseTooLarge);
  });
});

describe('get_handoff_data', () => {
  it('returns exactly the four handoff_* keys for the contact', async () => {
    await expect(makeApp().handler(handoffEvent)).resolves.toEqual({
      handoff_conversation: 'customers/demo/profiles/main/conversations/c-1',
      handoff_conversationCorrelationId: CONTACT_ID,
      handoff_summary: 'Caller asked to update the billing address.',
      handoff_transferTarget: 'pstn:PSTN1',
    });
    expect(fake.requestsTo('handoff')[0]?.json).toEqual({ correlationId: CONTACT_ID });
  });

  it('flattens every handoff field with HANDOFF_OUTPUT=full', async () => {
    fake.enqueue('handoff', {
      status: 200,
      body: {
        handoff: {
          conversation: 'c',
          conversationCorrelationId: 'i',
          summary: 's',
          transferTarget: 't',
          metadataByTaxonomy: { intent: ['billing'] },
        },
      },
    });
    const result = await makeApp({ ...oauthEnv(), HANDOFF_OUTPUT: 'full' }).handler(handoffEvent);
    expect(result).toMatchObject({
      handoff_transferTarget: 't',
      handoff_metadataByTaxonomy_intent_0: 'billing',
    });
  });

  it('needs a ContactId to correlate the handoff', async () => {
    const event = { Details: { ContactData: {}, Parameters: { action: 'get_handoff_data' } } };
    const err = await rejectionOf(makeApp().handler(event));
    expect(err.message).toBe('Details.ContactData.ContactId is required for get_handoff_data');
    expect(err['code']).toBe(ConnectLambdaErrorCode.Event);
  });
});

describe('configuration lookup', () => {
  it('lets a Connect parameter override the environment variable', async () => {
    const event = withParameters(pstnEvent, {
      action: 'get_pstn_transfer_data',
      virtualAgentName: 'customers/other/profiles/p2/virtualAgents/va-9',
    });
    await makeApp().handler(event);
    expect(fake.requestsTo('pstn')[0]?.path).toBe(
      '/v1/customers/other/profiles/p2/virtualAgents/va-9:generatePSTNTransferData',
    );
  });

  it('falls back to the environment when a Connect parameter is empty', async () => {
    const event = withParameters(pstnEvent, {
      action: 'get_pstn_transfer_data',
      virtualAgentName: '',
    });
    await expect(makeApp().handler(event)).resolves.toBeDefined();
    expect(fake.requestsTo('pstn')[0]?.path).toContain('/customers/acme/');
  });

  it('lets an empty parameter hide the environment value in mask mode (Go behaviour)', async () => {
    const event = withParameters(pstnEvent, {
      action: 'get_pstn_transfer_data',
      virtualAgentName: '',
    });
    const err = await rejectionOf(
      makeApp({ ...oauthEnv(), EMPTY_PARAMETER_MODE: 'mask' }).handler(event),
    );
    expect(err.message).toBe('virtualAgentName is required');
  });

  it('takes action from the environment when the flow sends none', async () => {
    const event = withParameters(pstnEvent, {});
    await expect(
      makeApp({ ...oauthEnv(), action: 'get_pstn_transfer_data' }).handler(event),
    ).resolves.toEqual({
      phoneNumber: '+15550100',
      dtmfSequence: '1234',
    });
  });

  it('treats an event without Details.Parameters as empty, unless parameters are required', async () => {
    const event = withParameters(pstnEvent, undefined);
    await expect(
      makeApp({ ...oauthEnv(), action: 'get_pstn_transfer_data' }).handler(event),
    ).resolves.toBeDefined();
    const err = await rejectionOf(
      makeApp({
        ...oauthEnv(),
        action: 'get_pstn_transfer_data',
        REQUIRE_PARAMETERS: 'true',
      }).handler(event),
    );
    expect(err.message).toBe('invalid Connect event: Details.Parameters is required');
  });

  it.each([['not an event'], [null], [{ Details: 'x' }], [{ Details: { Parameters: ['a'] } }]])(
    'rejects the malformed event %j with a validation error',
    async (event) => {
      const err = await rejectionOf(makeApp().handler(event));
      expect(err['code']).toBe(ConnectLambdaErrorCode.Event);
      expect(err.message).toMatch(/^invalid Connect event: /);
    },
  );

  it('surfaces the upstream validation message and logs it as a handler error', async () => {
    const event = withParameters(pstnEvent, { action: 'invalid_action' });
    const err = await rejectionOf(makeApp().handler(event, lambdaContext()));
    expect(err.message).toBe('invalid action: invalid_action');
    const line = capture.logs.find(
      (l) => l.json?.['msg'] === 'Handler error: invalid action: invalid_action',
    );
    expect(line?.json).toMatchObject({
      level: 'error',
      service: 'connect-lambda',
      contactId: CONTACT_ID,
      requestId: 'req-test-1',
      errorCode: 'CRESTA_ERR_VALIDATION',
    });
  });

  it('authenticates with an API key', async () => {
    const env = {
      region: 'us-west-2-staging',
      apiDomain: fake.url,
      virtualAgentName: VA,
      apiKey: 'demo-api-key',
    };
    await makeApp(env).handler(pstnEvent);
    expect(fake.requestsTo('pstn')[0]?.headers.authorization).toBe('ApiKey demo-api-key');
    expect(
      capture.logs.some((l) => l.json?.['msg'] === 'Using API key authentication (deprecated)'),
    ).toBe(true);
  });
});

describe('token reuse across invocations', () => {
  it('fetches one token for many invocations of a warm container', async () => {
    const app = makeApp();
    await app.handler(pstnEvent);
    await app.handler(handoffEvent);
    await app.handler(pstnEvent);
    expect(fake.requestsTo('token')).toHaveLength(1);
    expect(app.tokenCache.size).toBe(1);
  });

  it('fetches a new token when the API rejects the cached one', async () => {
    const app = makeApp();
    await app.handler(pstnEvent);
    fake.revokeTokens();
    await expect(app.handler(pstnEvent)).resolves.toBeDefined();
    expect(fake.requestsTo('token')).toHaveLength(2);
  });
});

describe('deadline', () => {
  it('fits the calls into the Lambda remaining time minus the margin', async () => {
    fake.enqueue('pstn', { status: 200, body: {}, delayMs: 3000 });
    const err = await rejectionOf(makeApp().handler(pstnEvent, lambdaContext(700)));
    expect(err['code']).toBe(CrestaErrorCode.DeadlineExceeded);
    expect(err.message).toMatch(
      /^request failed after 1 attempts: overall deadline of \d+ms exceeded/,
    );
  });

  it('applies HTTP_TOTAL_TIMEOUT without a Lambda context', async () => {
    fake.enqueue('pstn', { status: 503 }, { status: 503 }, { status: 503 });
    const err = await rejectionOf(
      makeApp({
        ...oauthEnv(),
        HTTP_TOTAL_TIMEOUT: '150ms',
        HTTP_RETRY_BASE_DELAY: '100ms',
      }).handler(pstnEvent),
    );
    expect(err['code']).toBe(CrestaErrorCode.DeadlineExceeded);
    expect(err.message).toContain('overall deadline of 150ms exceeded');
  });

  it('honours Retry-After by default, but fails at once instead of waiting past the deadline', async () => {
    fake.enqueue('pstn', { status: 429, headers: { 'retry-after': '5' } });
    const err = await rejectionOf(makeApp().handler(pstnEvent, lambdaContext(3000)));
    expect(err['code']).toBe(CrestaErrorCode.DeadlineExceeded);
    expect(err.message).toMatch(
      /^request failed after 1 attempts: overall deadline of \d+ms exceeded \(no time left to wait 5000ms for another attempt; last error: request returned retryable status: 429\)$/,
    );
    expect(fake.requestsTo('pstn')).toHaveLength(1);
  });

  it('retries after its own backoff, ignoring Retry-After, with HTTP_HONOR_RETRY_AFTER=false', async () => {
    fake.enqueue('pstn', { status: 429, headers: { 'retry-after': '5' } });
    const app = makeApp({ ...oauthEnv(), HTTP_HONOR_RETRY_AFTER: 'false' });
    await expect(app.handler(pstnEvent, lambdaContext(3000))).resolves.toEqual({
      phoneNumber: '+15550100',
      dtmfSequence: '1234',
    });
    expect(fake.requestsTo('pstn')).toHaveLength(2);
  });
});

describe('logs', () => {
  it('carry the contact id on every line and never a secret, even at DEBUG', async () => {
    const app = makeApp({ ...oauthEnv(), DEBUG_LOGGING: 'true' });
    const event = withParameters(pstnEvent, {
      action: 'get_pstn_transfer_data',
      apiKey: 'super-secret-api-key',
      oauthClientSecret: 'demo-secret',
    });
    await app.handler(event, lambdaContext(8000, 'req-42'));
    const lines = capture.logs.filter((l) => l.json !== undefined);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line.json?.['contactId']).toBe(CONTACT_ID);
    expect(lines.some((l) => l.json?.['msg'] === 'Lambda Request ID: req-42')).toBe(true);
    const all = capture.all();
    expect(all).not.toContain('super-secret-api-key');
    expect(all).not.toContain('demo-secret');
    expect(all).not.toMatch(/fake-token-\d+/);
    expect(all).toContain('[REDACTED]');
    // The Lambda request id is on every line too.
    for (const line of lines) expect(line.json?.['requestId']).toBe('req-42');
  });

  it('do not keep the contact id of one invocation on the next', async () => {
    const app = makeApp();
    await app.handler(pstnEvent);
    capture.clear();
    await rejectionOf(
      app.handler({
        Details: { ContactData: { ContactId: 'other' }, Parameters: { action: 'x' } },
      }),
    );
    expect(capture.logs.length).toBeGreaterThan(0);
    expect(capture.logs.every((l) => l.json?.['contactId'] === 'other')).toBe(true);
  });
});

import {
  CrestaClient,
  CrestaError,
  CrestaErrorCode,
  Deadline,
  type NodeHttpTransport,
  TokenCache,
  parseVirtualAgentName,
} from '../src';
import type { FakeCrestaApi } from '../src/testing';
import { fixture, recordingLogger, rejectionOf } from './support/helpers';
import { useFakeApi } from './support/fake-api';

const VA = parseVirtualAgentName('customers/acme/profiles/main/virtualAgents/va-1');
const OAUTH = { kind: 'oauth', clientId: 'demo-client', clientSecret: 'demo-secret' } as const;
const PSTN_INPUT = {
  virtualAgent: VA,
  contactData: { ContactId: 'cid-1', Channel: 'VOICE' },
  parameters: { action: 'get_pstn_transfer_data', custom: 'cv' },
  version: '9.9.9',
};
const FAST = { baseDelayMs: 1, attemptTimeoutMs: 2000 };

let fake: FakeCrestaApi;
let transport: NodeHttpTransport;
useFakeApi((started, client) => {
  fake = started;
  transport = client;
});

function oauthClient(
  cache = new TokenCache(),
  extra: Partial<ConstructorParameters<typeof CrestaClient>[0]> = {},
) {
  return new CrestaClient({
    apiBase: fake.url,
    authBase: fake.url,
    auth: OAUTH,
    transport,
    tokenCache: cache,
    retry: FAST,
    ...extra,
  });
}

describe('generatePstnTransferData over OAuth', () => {
  it('fetches a token with Basic auth and a JSON grant, then calls the API with Bearer', async () => {
    const result = await oauthClient().generatePstnTransferData(PSTN_INPUT);
    expect(result).toEqual({ phoneNumber: '+15550100', dtmfSequence: '1234' });
    const [token, call] = fake.requests;
    expect(token?.path).toBe('/v1/oauth/regionalToken');
    expect(token?.headers['content-type']).toBe('application/json');
    expect(token?.headers.authorization).toBe(
      `Basic ${Buffer.from('demo-client:demo-secret').toString('base64')}`,
    );
    expect(token?.json).toEqual({ grant_type: 'client_credentials' });
    expect(call?.path).toBe(
      '/v1/customers/acme/profiles/main/virtualAgents/va-1:generatePSTNTransferData',
    );
    expect(call?.headers.authorization).toBe('Bearer fake-token-1');
    expect(call?.json).toEqual({
      callId: 'cid-1',
      ccaasMetadata: {
        ContactId: 'cid-1',
        Channel: 'VOICE',
        parameters: { custom: 'cv' },
        version: '9.9.9',
      },
      supportedDtmfChars: '0123456789*',
    });
  });

  it('returns the PSTN body unchanged, nested values and all', async () => {
    const body = { phoneNumber: '+1', dtmfSequence: null, extra: { a: [1, true] } };
    fake.enqueue('pstn', { status: 200, body });
    await expect(oauthClient().generatePstnTransferData(PSTN_INPUT)).resolves.toEqual(body);
  });

  it.each(fixture<{ kind: string; body: string }[]>('non-object-bodies.json'))(
    'rejects a 200 answer whose body is a JSON $kind, naming the endpoint',
    async ({ kind, body }) => {
      fake.enqueue('pstn', { status: 200, body });
      const err = await rejectionOf(oauthClient().generatePstnTransferData(PSTN_INPUT));
      expect(err).toBeInstanceOf(CrestaError);
      expect(err['code']).toBe(CrestaErrorCode.InvalidResponse);
      expect(err['status']).toBe(200);
      expect(err.message).toBe(
        `invalid response from generatePSTNTransferData (${fake.url}/v1/customers/acme/profiles/main/virtualAgents/va-1:generatePSTNTransferData): the body is a JSON ${kind}, not an object`,
      );
    },
  );

  it('reuses a cached token across clients that share the cache', async () => {
    const cache = new TokenCache();
    await oauthClient(cache).generatePstnTransferData(PSTN_INPUT);
    await oauthClient(cache).generatePstnTransferData(PSTN_INPUT);
    expect(fake.requestsTo('token')).toHaveLength(1);
    expect(fake.requestsTo('pstn')).toHaveLength(2);
  });

  it('fetches a new token once the cached one reaches its buffered expiry', async () => {
    let now = Date.now();
    const cache = new TokenCache({ now: () => now });
    await oauthClient(cache).generatePstnTransferData(PSTN_INPUT);
    now += 3301 * 1000;
    await oauthClient(cache).generatePstnTransferData(PSTN_INPUT);
    expect(fake.requestsTo('token')).toHaveLength(2);
    const [first, second] = fake.requestsTo('pstn').map((r) => r.headers.authorization);
    expect(second).not.toBe(first);
  });

  it('refreshes the token once and retries when the API answers 401', async () => {
    const cache = new TokenCache();
    const logger = recordingLogger();
    await oauthClient(cache).generatePstnTransferData(PSTN_INPUT);
    fake.revokeTokens();
    await expect(
      oauthClient(cache, { logger }).generatePstnTransferData(PSTN_INPUT),
    ).resolves.toEqual({
      phoneNumber: '+15550100',
      dtmfSequence: '1234',
    });
    expect(fake.requestsTo('token')).toHaveLength(2);
    const [before, rejected, retried] = fake.requestsTo('pstn').map((r) => r.headers.authorization);
    expect(rejected).toBe(before);
    expect(retried).not.toBe(rejected);
    expect(logger.lines.map((l) => l.message)).toContain(
      'API answered 401; fetching a new OAuth token and retrying once',
    );
  });

  it('gives up after one refresh when the API keeps answering 401', async () => {
    fake.enqueue(
      'pstn',
      { status: 401, body: { message: 'no' } },
      { status: 401, body: { message: 'still no' } },
    );
    const err = await rejectionOf(oauthClient().generatePstnTransferData(PSTN_INPUT));
    expect(err.message).toBe('request returned non-200 status: 401, body: {"message":"still no"}');
    expect(err['status']).toBe(401);
    expect(fake.requestsTo('pstn')).toHaveLength(2);
    expect(fake.requestsTo('token')).toHaveLength(2);
  });

  it('does not refresh on 401 in upstream-parity mode', async () => {
    fake.enqueue('pstn', { status: 401, body: {} });
    const err = await rejectionOf(
      oauthClient(new TokenCache(), { refreshTokenOn401: false }).generatePstnTransferData(
        PSTN_INPUT,
      ),
    );
    expect(err['code']).toBe(CrestaErrorCode.HttpStatus);
    expect(fake.requestsTo('pstn')).toHaveLength(1);
  });

  it('does not cache short-lived tokens but reuses one within a call', async () => {
    const cache = new TokenCache();
    fake.enqueue('token', { status: 200, body: { access_token: 'short', expires_in: 120 } });
    fake.enqueue('pstn', { status: 503 });
    fake.enqueue('pstn', { status: 200, body: { phoneNumber: '+1', dtmfSequence: '1' } });
    await oauthClient(cache).generatePstnTransferData(PSTN_INPUT);
    expect(cache.size).toBe(0);
    expect(fake.requestsTo('token')).toHaveLength(1);
    expect(fake.requestsTo('pstn').map((r) => r.headers.authorization)).toEqual([
      'Bearer short',
      'Bearer short',
    ]);
  });

  it('reports a refused token request with its status and the shape of the body, not the body', async () => {
    const client = new CrestaClient({
      apiBase: fake.url,
      authBase: fake.url,
      auth: { kind: 'oauth', clientId: 'demo-client', clientSecret: 'wrong' },
      transport,
      retry: FAST,
    });
    const err = await rejectionOf(client.generatePstnTransferData(PSTN_INPUT));
    expect(err.message).toBe(
      'error getting auth header: token request returned non-200 status: 401, body: JSON object (26 bytes), OAuth error invalid_client',
    );
    expect(err['code']).toBe(CrestaErrorCode.Token);
    expect(fake.requestsTo('pstn')).toHaveLength(0);
  });

  it.each([{ token_type: 'Bearer' }, { access_token: '' }, 'not json'])(
    'rejects a token response %j without a usable access_token',
    async (body) => {
      fake.enqueue('token', { status: 200, body });
      const err = await rejectionOf(oauthClient().generatePstnTransferData(PSTN_INPUT));
      expect(err['code']).toBe(CrestaErrorCode.Token);
      expect(err.message).toMatch(
        /^error getting auth header: (missing access_token in token response|failed to parse token response)/,
      );
    },
  );

  it('retries the token request on 5xx like any other request', async () => {
    fake.enqueue('token', { status: 500 }, { status: 502 });
    await oauthClient().generatePstnTransferData(PSTN_INPUT);
    expect(fake.requestsTo('token')).toHaveLength(3);
  });
});

describe('API key authentication', () => {
  it('sends Authorization: ApiKey <key> by default', async () => {
    const client = new CrestaClient({
      apiBase: fake.url,
      auth: { kind: 'apiKey', apiKey: 'demo-api-key' },
      transport,
    });
    await client.generatePstnTransferData(PSTN_INPUT);
    expect(fake.requests[0]?.headers.authorization).toBe('ApiKey demo-api-key');
    expect(fake.requestsTo('token')).toHaveLength(0);
  });

  it('sends X-API-Key when configured', async () => {
    const client = new CrestaClient({
      apiBase: fake.url,
      auth: { kind: 'apiKey', apiKey: 'demo-api-key' },
      apiKeyHeader: 'x-api-key',
      transport,
    });
    await client.generatePstnTransferData(PSTN_INPUT);
    expect(fake.requests[0]?.headers['x-api-key']).toBe('demo-api-key');
    expect(fake.requests[0]?.headers.authorization).toBeUndefined();
  });
});

describe('fetchAiAgentHandoff', () => {
  it('posts the correlation id to the handoff path and validates the answer', async () => {
    const handoff = await oauthClient().fetchAiAgentHandoff({
      customer: 'acme',
      profile: 'main',
      correlationId: 'cid-7',
    });
    const call = fake.requestsTo('handoff')[0];
    expect(call?.path).toBe('/v1/customers/acme/profiles/main/handoffs:fetchAIAgentHandoff');
    expect(call?.body).toBe('{"correlationId":"cid-7"}');
    expect(handoff.conversationCorrelationId).toBe('cid-7');
    expect(handoff.transferTarget).toBe('pstn:PSTN1');
  });

  it('rejects a 404 without retrying', async () => {
    fake.enqueue('handoff', { status: 404, body: { message: 'not found' } });
    const err = await rejectionOf(
      oauthClient().fetchAiAgentHandoff({ customer: 'acme', profile: 'main', correlationId: 'c' }),
    );
    expect(err.message).toBe('request returned non-200 status: 404, body: {"message":"not found"}');
    expect(fake.requestsTo('handoff')).toHaveLength(1);
  });

  it('rejects an answer that is not JSON', async () => {
    fake.enqueue('handoff', { status: 200, body: '<html>' });
    const err = await rejectionOf(
      oauthClient().fetchAiAgentHandoff({ customer: 'acme', profile: 'main', correlationId: 'c' }),
    );
    expect(err['code']).toBe(CrestaErrorCode.InvalidResponse);
    expect(err.message).toMatch(
      /^failed to parse JSON response from http:\/\/127\.0\.0\.1:\d+\/v1\/customers\/acme\/profiles\/main\/handoffs:fetchAIAgentHandoff: /,
    );
  });
});

describe('success statuses and limits', () => {
  it('treats 201 as an error by default and as success with acceptAny2xx', async () => {
    fake.enqueue(
      'pstn',
      { status: 201, body: { phoneNumber: '+1' } },
      { status: 201, body: { phoneNumber: '+1' } },
    );
    const err = await rejectionOf(oauthClient().generatePstnTransferData(PSTN_INPUT));
    expect(err.message).toBe('request returned non-200 status: 201, body: {"phoneNumber":"+1"}');
    await expect(
      oauthClient(new TokenCache(), { acceptAny2xx: true }).generatePstnTransferData(PSTN_INPUT),
    ).resolves.toEqual({ phoneNumber: '+1' });
  });

  it('stops reading a response body larger than maxResponseBytes', async () => {
    fake.enqueue('pstn', { status: 200, body: { blob: 'x'.repeat(5000) } });
    const err = await rejectionOf(
      oauthClient(new TokenCache(), { maxResponseBytes: 1000 }).generatePstnTransferData(
        PSTN_INPUT,
      ),
    );
    expect(err['code']).toBe(CrestaErrorCode.ResponseTooLarge);
  });

  it('truncates long error bodies in messages', async () => {
    fake.enqueue('pstn', { status: 400, body: 'e'.repeat(5000) });
    const err = await rejectionOf(oauthClient().generatePstnTransferData(PSTN_INPUT));
    expect(err.message.length).toBeLessThan(1200);
  });

  it('rejects invalid options with a typed error', () => {
    expect(
      () => new CrestaClient({ apiBase: 'ftp://x', auth: { kind: 'apiKey', apiKey: 'k' } }),
    ).toThrow(/invalid CrestaClient options: apiBase/);
    expect(() => new CrestaClient({ apiBase: fake.url, auth: OAUTH })).toThrow(
      'authBase is required for OAuth',
    );
  });

  it('closes the transport it created itself', async () => {
    const client = new CrestaClient({
      apiBase: fake.url,
      auth: { kind: 'apiKey', apiKey: 'demo-api-key' },
    });
    await client.generatePstnTransferData(PSTN_INPUT, { deadline: Deadline.after(5000) });
    client.close();
  });
});

describe('the shared token cache and the client secret', () => {
  it('never hands a cached token to a caller who names the client id with another secret', async () => {
    const cache = new TokenCache();
    await oauthClient(cache).generatePstnTransferData(PSTN_INPUT);
    const impostor = oauthClient(cache, {
      auth: { kind: 'oauth', clientId: 'demo-client', clientSecret: 'not-the-secret' },
    });
    const err = await rejectionOf(impostor.generatePstnTransferData(PSTN_INPUT));
    expect(err['code']).toBe(CrestaErrorCode.Token);
    const tokenRequests = fake.requests.filter((r) => r.path === '/v1/oauth/regionalToken');
    expect(tokenRequests).toHaveLength(2);
    // The rightful client still gets its cached token.
    await oauthClient(cache).generatePstnTransferData(PSTN_INPUT);
    expect(fake.requests.filter((r) => r.path === '/v1/oauth/regionalToken')).toHaveLength(2);
  });
});

import {
  CrestaClient,
  CrestaError,
  CrestaErrorCode,
  type NodeHttpTransport,
  assertConnectSize,
  parseHandoffResponse,
  parseVirtualAgentName,
} from '../src';
import type { FakeCrestaApi } from '../src/testing';
import { rejectionOf } from './support/helpers';
import { useFakeApi } from './support/fake-api';

const PSTN_INPUT = {
  virtualAgent: parseVirtualAgentName('customers/acme/profiles/main/virtualAgents/va-1'),
  contactData: { ContactId: 'cid-1' },
  parameters: {},
  version: '1',
};
const HANDOFF_INPUT = { customer: 'acme', profile: 'main', correlationId: 'cid-1' };
const DEPTH = 200_000;

let fake: FakeCrestaApi;
let transport: NodeHttpTransport;
useFakeApi((started, client) => {
  fake = started;
  transport = client;
});

function oauthClient(): CrestaClient {
  return new CrestaClient({
    apiBase: fake.url,
    authBase: fake.url,
    auth: { kind: 'oauth', clientId: 'demo-client', clientSecret: 'demo-secret' },
    transport,
    retry: { baseDelayMs: 1 },
  });
}

/** `[[[…]]]` nested `depth` times, deeper than JSON.stringify's recursion can go. */
function deeplyNested(depth: number): unknown[] {
  const root: unknown[] = [];
  let node = root;
  for (let i = 0; i < depth; i += 1) {
    const child: unknown[] = [];
    node.push(child);
    node = child;
  }
  return root;
}

describe('an access_token that cannot go into a header', () => {
  it.each(['abc\r\nX-Injected: 1', 'tökén✓', 'two words', 'tab\there'])(
    'is refused with CRESTA_ERR_TOKEN, unquoted, before anything reaches the API (%j)',
    async (token) => {
      fake.enqueue('token', { status: 200, body: { access_token: token, expires_in: 3600 } });
      const err = await rejectionOf(oauthClient().generatePstnTransferData(PSTN_INPUT));
      expect(err).toBeInstanceOf(CrestaError);
      expect(err['code']).toBe(CrestaErrorCode.Token);
      expect(err.message).toBe(
        `error getting auth header: invalid access_token in token response: ${token.length} characters, not all visible ASCII`,
      );
      expect(fake.requestsTo('pstn')).toHaveLength(0);
    },
  );
});

describe('an apiKey that cannot go into a header', () => {
  it.each([
    ['authorization', 'key\r\nX-Injected: 1'],
    ['x-api-key', 'kéy✓'],
    ['x-api-key', 'key with spaces'],
  ] as const)(
    'is refused as invalid options (%s header, %j) without repeating the key',
    (apiKeyHeader, apiKey) => {
      let err: (Error & Record<string, unknown>) | undefined;
      try {
        new CrestaClient({ apiBase: fake.url, auth: { kind: 'apiKey', apiKey }, apiKeyHeader });
      } catch (caught) {
        err = caught as Error & Record<string, unknown>;
      }
      expect(err?.['code']).toBe(CrestaErrorCode.InvalidOptions);
      expect(err?.message).toBe(
        'invalid CrestaClient options: auth.apiKey: must be non-empty visible ASCII (no spaces or control characters)',
      );
    },
  );
});

describe('a request node:http refuses to build', () => {
  it('fails with a typed, non-retryable network error instead of a raw TypeError', async () => {
    const err = await rejectionOf(
      transport.send({
        method: 'POST',
        url: `${fake.url}/v1/customers/acme/profiles/main/handoffs:fetchAIAgentHandoff`,
        headers: { authorization: 'Bearer abc\r\nX-Injected: 1' },
        body: '{}',
        timeoutMs: 1000,
        maxResponseBytes: 1000,
      }),
    );
    expect(err).toBeInstanceOf(CrestaError);
    expect(err['code']).toBe(CrestaErrorCode.Network);
    expect(err['retryable']).toBe(false);
    expect(err.message).toMatch(/^network error: could not build the request to http:\/\/127/);
    expect(err.message).not.toContain('X-Injected');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('a deeply nested response body', () => {
  it.each([
    ['a bare array', `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`],
    ['a handoff array', `{"handoff":${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}}`],
  ])(
    'is a CRESTA_ERR_INVALID_RESPONSE quoting the raw text, not a stack overflow (%s)',
    async (_name, body) => {
      fake.enqueue('handoff', { status: 200, body });
      const err = await rejectionOf(oauthClient().fetchAiAgentHandoff(HANDOFF_INPUT));
      expect(err).toBeInstanceOf(CrestaError);
      expect(err['code']).toBe(CrestaErrorCode.InvalidResponse);
      expect(err.message).toBe(`invalid handoff response structure: ${body.slice(0, 1024)}…`);
    },
  );

  it('parseHandoffResponse describes a value too deep to serialise instead of overflowing', () => {
    expect(() => parseHandoffResponse(deeplyNested(DEPTH))).toThrow(
      'invalid handoff response structure: <a JSON array that cannot be serialised>',
    );
  });

  it('assertConnectSize reports a value too deep to serialise as CRESTA_ERR_FLATTEN_UNSUPPORTED', () => {
    let err: (Error & Record<string, unknown>) | undefined;
    try {
      assertConnectSize({ a: deeplyNested(DEPTH) });
    } catch (caught) {
      err = caught as Error & Record<string, unknown>;
    }
    expect(err).toBeInstanceOf(CrestaError);
    expect(err?.['code']).toBe(CrestaErrorCode.FlattenUnsupported);
  });
});

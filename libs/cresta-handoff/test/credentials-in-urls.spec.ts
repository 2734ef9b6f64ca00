import {
  CrestaClient,
  CrestaErrorCode,
  DEFAULT_RETRY_POLICY,
  type NodeHttpTransport,
  domainProblem,
  resolveInvocation,
  sendWithRetry,
} from '../src';
import type { FakeCrestaApi } from '../src/testing';
import { recordingLogger, rejectionOf } from './support/helpers';
import { useFakeApi } from './support/fake-api';

const VA_NAME = 'customers/acme/profiles/main/virtualAgents/va-1';

let fake: FakeCrestaApi;
let transport: NodeHttpTransport;
useFakeApi((started, client) => {
  fake = started;
  transport = client;
});

/** `fake.url` with `user:password@` put in front of the host. */
function withUserinfo(userinfo: string): string {
  return fake.url.replace('http://', `http://${userinfo}@`);
}

describe('domains with user information', () => {
  it.each([
    'https://svc:hunter2@api.us-west-2-prod.cresta.com',
    'https://hunter2@api.us-west-2-prod.cresta.com',
    'https://:hunter2@api.us-west-2-prod.cresta.com',
    'https://@api.us-west-2-prod.cresta.com',
    'http://svc:hunter2@127.0.0.1:8080',
  ])('domainProblem rejects %s without repeating the credentials', (domain) => {
    const problem = domainProblem(domain);
    expect(problem).toBe('credentials (user:password@) are not allowed in the domain');
  });

  it('does not repeat the password of a domain with credentials that does not parse', () => {
    const problem = domainProblem('https://svc:hunter2@');
    expect(problem).toMatch(/^not a valid URL: /);
    expect(problem).not.toContain('hunter2');
  });

  it('resolveInvocation refuses credentials in apiDomain and authDomain with a validation error that does not repeat them', async () => {
    const base = {
      action: 'get_pstn_transfer_data',
      virtualAgentName: VA_NAME,
      oauthClientId: 'id',
      oauthClientSecret: 'secret',
    };
    const api = await rejectionOf(
      resolveInvocation({
        ...base,
        apiDomain: 'https://svc:hunter2@api.us-west-2-prod.cresta.com',
        authDomain: 'https://auth.us-west-2-prod.cresta.ai',
      }),
    );
    expect(api['code']).toBe(CrestaErrorCode.Validation);
    expect(api['field']).toBe('apiDomain');
    expect(api.message).toBe(
      'invalid domain: credentials (user:password@) are not allowed in the domain',
    );
    const auth = await rejectionOf(
      resolveInvocation({
        ...base,
        apiDomain: 'https://api.us-west-2-prod.cresta.com',
        authDomain: 'https://id:topsecret@auth.us-west-2-prod.cresta.ai',
      }),
    );
    expect(auth['field']).toBe('authDomain');
    expect(auth.message).not.toContain('topsecret');
  });

  it('does not repeat credentials when the region cannot be extracted from apiDomain', async () => {
    const err = await rejectionOf(
      resolveInvocation({
        action: 'get_pstn_transfer_data',
        virtualAgentName: VA_NAME,
        apiKey: 'key',
        apiDomain: 'https://svc:hunter2@nowhere.example.com',
      }),
    );
    expect(err.message).toBe(
      'could not extract region from apiDomain: could not extract region from domain: https://***@nowhere.example.com',
    );
  });
});

describe('plain http only for real loopback hosts', () => {
  it('accepts plain http for localhost, [::1] and IPv4 literals in 127.0.0.0/8', () => {
    for (const domain of [
      'http://localhost:8080',
      'http://127.0.0.1',
      'http://127.1.2.3:9',
      'http://[::1]:8080',
    ]) {
      expect(domainProblem(domain)).toBeUndefined();
    }
  });

  it.each([
    'http://127.attacker.example',
    'http://127.0.0.1.nip.io',
    'http://127.0.0.1x',
    'http://localhost.attacker.example',
    'http://[::ffff:127.0.0.1]',
  ])('rejects %s, whose host only looks like loopback', (domain) => {
    expect(domainProblem(domain)).toMatch(/^http is only allowed for localhost, \[::1\] and 127/);
  });
});

describe('CrestaClient and the transport with user information in a URL', () => {
  it.each([
    ['apiBase', { apiBase: 'USERINFO', auth: { kind: 'apiKey', apiKey: 'demo-api-key' } }],
    [
      'authBase',
      {
        apiBase: 'FAKE',
        authBase: 'USERINFO',
        auth: { kind: 'oauth', clientId: 'demo-client', clientSecret: 'demo-secret' },
      },
    ],
  ] as const)(
    'refuses an %s with credentials as invalid options without repeating them',
    (field, raw) => {
      const options = JSON.parse(
        JSON.stringify(raw)
          .replace('USERINFO', withUserinfo('svc:hunter2'))
          .replace('FAKE', fake.url),
      ) as ConstructorParameters<typeof CrestaClient>[0];
      let err: (Error & Record<string, unknown>) | undefined;
      try {
        new CrestaClient({ ...options, transport });
      } catch (caught) {
        err = caught as Error & Record<string, unknown>;
      }
      expect(err?.['code']).toBe(CrestaErrorCode.InvalidOptions);
      expect(err?.message).toBe(
        `invalid CrestaClient options: ${field}: must be an http(s) origin without credentials, path, query or fragment`,
      );
      expect(fake.requests).toHaveLength(0);
    },
  );

  it('NodeHttpTransport refuses a URL with credentials instead of sending them as Basic auth', async () => {
    const err = await rejectionOf(
      transport.send({
        method: 'POST',
        url: `${withUserinfo('svc:hunter2')}/v1/customers/acme/profiles/main/handoffs:fetchAIAgentHandoff`,
        headers: { 'x-api-key': 'demo-api-key' },
        body: '{}',
        timeoutMs: 1000,
        maxResponseBytes: 1000,
      }),
    );
    expect(err['code']).toBe(CrestaErrorCode.InvalidOptions);
    expect(err.message).not.toContain('hunter2');
    expect(err.message).toContain(`${fake.url}/v1/customers/acme/profiles/main/handoffs`);
    expect(fake.requests).toHaveLength(0);
  });

  it('logs and quotes a request URL with origin and path only, without its query', async () => {
    fake.enqueue('pstn', { status: 503 });
    const logger = recordingLogger();
    const path = '/v1/customers/acme/profiles/main/virtualAgents/va-1:generatePSTNTransferData';
    await sendWithRetry(
      transport,
      async () => ({
        method: 'POST',
        url: `${fake.url}${path}?key=hunter2#frag`,
        headers: { authorization: 'ApiKey demo-api-key', 'content-type': 'application/json' },
        body: '{}',
        maxResponseBytes: 10_000,
      }),
      { ...DEFAULT_RETRY_POLICY, baseDelayMs: 1 },
      { logger },
    );
    const logged = JSON.stringify(logger.lines);
    expect(logged).toContain(`${fake.url}${path}`);
    expect(logged).not.toContain('hunter2');
    expect(logged).not.toContain('frag');
  });
});

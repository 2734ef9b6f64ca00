import {
  CrestaClient,
  CrestaErrorCode,
  type NodeHttpTransport,
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
const TOKEN = 'eyJSECRETTOKEN123';

let fake: FakeCrestaApi;
let transport: NodeHttpTransport;
useFakeApi((started, client) => {
  fake = started;
  transport = client;
});

async function tokenError(status: number, body: unknown) {
  fake.enqueue('token', { status, body });
  const client = new CrestaClient({
    apiBase: fake.url,
    authBase: fake.url,
    auth: { kind: 'oauth', clientId: 'demo-client', clientSecret: 'demo-secret' },
    transport,
    retry: { baseDelayMs: 1 },
  });
  return rejectionOf(client.generatePstnTransferData(PSTN_INPUT));
}

describe('token response bodies are never quoted', () => {
  it('an unexpected status with a valid token gives the status and the shape, not the token', async () => {
    const err = await tokenError(201, { access_token: TOKEN, expires_in: 3600 });
    expect(err['code']).toBe(CrestaErrorCode.Token);
    expect(err['status']).toBe(201);
    expect(err.message).toBe(
      'error getting auth header: token request returned non-200 status: 201, body: JSON object (54 bytes), with an access_token (not shown)',
    );
    expect(fake.requestsTo('pstn')).toHaveLength(0);
  });

  it.each([
    ['JSON with a missing comma', `{"access_token":"${TOKEN}" "expires_in":3600}`, 54],
    ['single-quoted pseudo JSON', `{'access_token':'${TOKEN}'}`, 36],
    ['a form-encoded body', `access_token=${TOKEN}&expires_in=3600`, 46],
  ])(
    'a 200 body that is not JSON (%s) is described by its size only',
    async (_name, body, bytes) => {
      const err = await tokenError(200, body);
      expect(err['code']).toBe(CrestaErrorCode.Token);
      expect(err.message).toBe(
        `error getting auth header: failed to parse token response: not JSON (${bytes} bytes)`,
      );
    },
  );

  it('an error status repeats only a standard OAuth error code, never other fields', async () => {
    const err = await tokenError(400, {
      error: 'invalid_grant',
      error_description: `token ${TOKEN} was revoked`,
    });
    expect(err.message).toMatch(
      /^error getting auth header: token request returned non-200 status: 400, body: JSON object \(\d+ bytes\), OAuth error invalid_grant$/,
    );
  });

  it('an unknown error value or a non-object body is described by kind and size', async () => {
    const unknown = await tokenError(403, { error: TOKEN });
    expect(unknown.message).toMatch(/body: JSON object \(\d+ bytes\)$/);
    const array = await tokenError(403, [TOKEN]);
    expect(array.message).toMatch(/body: JSON array \(\d+ bytes\)$/);
    const empty = await tokenError(403, '');
    expect(empty.message).toMatch(/body: empty$/);
  });
});

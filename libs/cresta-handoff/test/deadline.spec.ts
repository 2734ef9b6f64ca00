import {
  CrestaClient,
  CrestaError,
  CrestaErrorCode,
  DEFAULT_RETRY_POLICY,
  Deadline,
  type NodeHttpTransport,
  parseVirtualAgentName,
  sendWithRetry,
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

let fake: FakeCrestaApi;
let transport: NodeHttpTransport;
useFakeApi((started, client) => {
  fake = started;
  transport = client;
});

/** Settles with the outcome of `promise`, or 'still pending' after `ms`. */
async function outcomeWithin(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const pending = new Promise((resolve) => {
    timer = setTimeout(() => resolve('still pending'), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        () => 'resolved',
        (err: unknown) => err,
      ),
      pending,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('Deadline.after', () => {
  it('rejects a NaN budget with CRESTA_ERR_INVALID_OPTIONS instead of never expiring', () => {
    expect(() => Deadline.after(Number.NaN)).toThrow(
      expect.objectContaining({
        code: CrestaErrorCode.InvalidOptions,
        message: 'invalid deadline: the budget must be a number of milliseconds, got NaN',
      }),
    );
  });

  it('rejects a clock that does not give a finite time', () => {
    expect(() => Deadline.after(1000, () => Number.NaN)).toThrow(
      expect.objectContaining({ code: CrestaErrorCode.InvalidOptions }),
    );
  });
});

describe('the per-attempt timeout', () => {
  it('still applies when the time left cannot be computed (a clock that turns NaN)', async () => {
    let calls = 0;
    const clock = (): number => (calls++ === 0 ? Date.now() : Number.NaN);
    const deadline = Deadline.after(60_000, clock);
    fake.enqueue('pstn', { status: 200, body: {}, delayMs: 5000 });
    const client = new CrestaClient({
      apiBase: fake.url,
      auth: { kind: 'apiKey', apiKey: 'demo-api-key' },
      transport,
      retry: { maxRetries: 0, attemptTimeoutMs: 200 },
    });
    const outcome = await outcomeWithin(
      client.generatePstnTransferData(PSTN_INPUT, { deadline }),
      2000,
    );
    expect(outcome).toBeInstanceOf(CrestaError);
    expect((outcome as CrestaError).code).toBe(CrestaErrorCode.RetriesExhausted);
    expect((outcome as CrestaError).message).toBe(
      'request failed after 1 attempts: request timeout after 200ms',
    );
  });

  it('NodeHttpTransport refuses to send without a timer when timeoutMs is NaN', async () => {
    const err = await rejectionOf(
      transport.send({
        method: 'POST',
        url: `${fake.url}/v1/customers/acme/profiles/main/handoffs:fetchAIAgentHandoff`,
        headers: { authorization: 'ApiKey demo-api-key' },
        body: '{}',
        timeoutMs: Number.NaN,
        maxResponseBytes: 1000,
      }),
    );
    expect(err['code']).toBe(CrestaErrorCode.InvalidOptions);
    expect(fake.requests).toHaveLength(0);
  });

  it('sendWithRetry refuses a policy whose attemptTimeoutMs is NaN before sending', async () => {
    const err = await rejectionOf(
      sendWithRetry(
        transport,
        async () => ({
          method: 'POST',
          url: `${fake.url}/v1/oauth/regionalToken`,
          headers: {},
          body: '{}',
          maxResponseBytes: 1000,
        }),
        { ...DEFAULT_RETRY_POLICY, attemptTimeoutMs: Number.NaN },
      ),
    );
    expect(err['code']).toBe(CrestaErrorCode.InvalidOptions);
    expect(err.message).toBe(
      'invalid retry policy: attemptTimeoutMs: must be a number of ms more than 0 and at most 2147483647',
    );
    expect(fake.requests).toHaveLength(0);
  });
});

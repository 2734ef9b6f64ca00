import {
  CrestaClient,
  CrestaErrorCode,
  DEFAULT_RETRY_POLICY,
  Deadline,
  type NodeHttpTransport,
  backoffDelay,
  isRetryableStatus,
  parseRetryAfter,
  parseVirtualAgentName,
  sendWithRetry,
} from '../src';
import { type FakeCrestaApi, startFakeCrestaApi } from '../src/testing';
import { recordingLogger, rejectionOf } from './support/helpers';
import { useFakeApi } from './support/fake-api';

const VA = parseVirtualAgentName('customers/acme/profiles/main/virtualAgents/va-1');
const INPUT = { virtualAgent: VA, contactData: { ContactId: 'c' }, parameters: {}, version: 'v' };

let fake: FakeCrestaApi;
let transport: NodeHttpTransport;
useFakeApi((started, client) => {
  fake = started;
  transport = client;
});

function client(retry: Partial<typeof DEFAULT_RETRY_POLICY> = {}, logger = recordingLogger()) {
  return new CrestaClient({
    apiBase: fake.url,
    auth: { kind: 'apiKey', apiKey: 'demo-api-key' },
    transport,
    retry: { baseDelayMs: 1, ...retry },
    logger,
  });
}

describe('retries', () => {
  it.each([408, 429, 500, 503])('retries a %d and succeeds on the next attempt', async (status) => {
    fake.enqueue('pstn', { status, body: { message: 'try again' } });
    await expect(client().generatePstnTransferData(INPUT)).resolves.toEqual({
      phoneNumber: '+15550100',
      dtmfSequence: '1234',
    });
    expect(fake.requestsTo('pstn')).toHaveLength(2);
  });

  it.each([400, 401, 403, 404])('does not retry a %d', async (status) => {
    fake.enqueue('pstn', { status, body: { message: 'no' } });
    const err = await rejectionOf(client().generatePstnTransferData(INPUT));
    expect(err.message).toBe(`request returned non-200 status: ${status}, body: {"message":"no"}`);
    expect(err['code']).toBe(CrestaErrorCode.HttpStatus);
    expect(fake.requestsTo('pstn')).toHaveLength(1);
  });

  it('resends the same body on every attempt', async () => {
    fake.enqueue('pstn', { status: 500 }, { status: 502 });
    await client().generatePstnTransferData(INPUT);
    const bodies = fake.requestsTo('pstn').map((r) => r.body);
    expect(new Set(bodies).size).toBe(1);
    expect(bodies).toHaveLength(3);
  });

  it('fails with "request failed after 4 attempts" when every attempt is retryable', async () => {
    fake.enqueue('pstn', ...Array.from({ length: 4 }, () => ({ status: 429 })));
    const err = await rejectionOf(client().generatePstnTransferData(INPUT));
    expect(err.message).toBe(
      'request failed after 4 attempts: request returned retryable status: 429',
    );
    expect(err['code']).toBe(CrestaErrorCode.RetriesExhausted);
    expect(err['attempts']).toBe(4);
    expect(fake.requestsTo('pstn')).toHaveLength(4);
  });

  it('honours maxRetries, including a negative value that makes no attempt', async () => {
    fake.enqueue('pstn', { status: 500 }, { status: 500 }, { status: 500 });
    const err = await rejectionOf(client({ maxRetries: 2 }).generatePstnTransferData(INPUT));
    expect(err.message).toBe(
      'request failed after 3 attempts: request returned retryable status: 500',
    );
    fake.reset();
    const none = await rejectionOf(client({ maxRetries: -1 }).generatePstnTransferData(INPUT));
    expect(none.message).toBe('request failed after 0 attempts');
    expect(fake.requests).toHaveLength(0);
  });

  it('retries a dropped connection', async () => {
    fake.enqueue('pstn', { status: 0, destroy: true });
    await expect(client().generatePstnTransferData(INPUT)).resolves.toBeDefined();
    expect(fake.requestsTo('pstn')).toHaveLength(2);
  });

  it('retries an attempt that runs past the per-attempt timeout', async () => {
    fake.enqueue('pstn', { status: 200, body: {}, delayMs: 500 });
    const logger = recordingLogger();
    await expect(
      client({ attemptTimeoutMs: 50 }, logger).generatePstnTransferData(INPUT),
    ).resolves.toEqual({
      phoneNumber: '+15550100',
      dtmfSequence: '1234',
    });
    expect(logger.lines.map((l) => l.message)).toContainEqual(
      expect.stringContaining('request timeout after 50ms'),
    );
  });

  it('reports a refused connection after the last attempt', async () => {
    const closed = await startFakeCrestaApi();
    const url = closed.url;
    await closed.close();
    const c = new CrestaClient({
      apiBase: url,
      auth: { kind: 'apiKey', apiKey: 'k' },
      transport,
      retry: { baseDelayMs: 1, maxRetries: 1 },
    });
    const err = await rejectionOf(c.generatePstnTransferData(INPUT));
    expect(err.message).toMatch(/^request failed after 2 attempts: network error: .*ECONNREFUSED/);
  });

  it('waits at least as long as Retry-After on a 429', async () => {
    fake.enqueue('pstn', { status: 429, headers: { 'retry-after': '1' } });
    const logger = recordingLogger();
    await client({}, logger).generatePstnTransferData(INPUT);
    expect(logger.lines.map((l) => l.message)).toContainEqual(
      expect.stringMatching(/^Retrying request to .* \(attempt 2\/4\) after 1000ms$/),
    );
    const [first, second] = fake.requestsTo('pstn');
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it('ignores Retry-After in upstream-parity mode', async () => {
    fake.enqueue('pstn', { status: 429, headers: { 'retry-after': '30' } });
    const logger = recordingLogger();
    await client({ honorRetryAfter: false }, logger).generatePstnTransferData(INPUT);
    expect(logger.lines.map((l) => l.message)).not.toContainEqual(
      expect.stringContaining('after 30000ms'),
    );
  });

  it('gives up at once when Retry-After is longer than the allowed wait', async () => {
    fake.enqueue('pstn', { status: 503, headers: { 'retry-after': '120' } });
    const err = await rejectionOf(client().generatePstnTransferData(INPUT));
    expect(err['code']).toBe(CrestaErrorCode.RetriesExhausted);
    expect(err.message).toBe(
      'request failed after 1 attempts: request returned retryable status: 503 (Retry-After of 120000ms is longer than the 30000ms limit)',
    );
    expect(fake.requestsTo('pstn')).toHaveLength(1);
  });
});

describe('overall deadline', () => {
  it('cuts a slow attempt short and fails with a deadline error instead of waiting', async () => {
    fake.enqueue('pstn', { status: 200, body: {}, delayMs: 2000 });
    const err = await rejectionOf(
      client({ attemptTimeoutMs: 10_000 }).generatePstnTransferData(INPUT, {
        deadline: Deadline.after(150),
      }),
    );
    expect(err['code']).toBe(CrestaErrorCode.DeadlineExceeded);
    expect(err.message).toMatch(
      /^request failed after 1 attempts: overall deadline of 150ms exceeded \(last error: request timeout after \d+ms\)$/,
    );
  });

  it('does not start a retry whose backoff would end past the deadline', async () => {
    fake.enqueue('pstn', { status: 503 }, { status: 503 });
    const err = await rejectionOf(
      client({ baseDelayMs: 400 }).generatePstnTransferData(INPUT, {
        deadline: Deadline.after(300),
      }),
    );
    expect(err['code']).toBe(CrestaErrorCode.DeadlineExceeded);
    expect(err.message).toContain(
      'request failed after 1 attempts: overall deadline of 300ms exceeded (no time left to wait',
    );
    expect(err.message).toContain('last error: request returned retryable status: 503');
    expect(fake.requestsTo('pstn')).toHaveLength(1);
  });

  it('does not wait for a Retry-After that ends past the deadline', async () => {
    fake.enqueue('pstn', { status: 429, headers: { 'retry-after': '5' } });
    const err = await rejectionOf(
      client().generatePstnTransferData(INPUT, { deadline: Deadline.after(1000) }),
    );
    expect(err['code']).toBe(CrestaErrorCode.DeadlineExceeded);
  });

  it('covers the token request too', async () => {
    fake.enqueue('token', {
      status: 200,
      body: { access_token: 't', expires_in: 3600 },
      delayMs: 2000,
    });
    const c = new CrestaClient({
      apiBase: fake.url,
      authBase: fake.url,
      auth: { kind: 'oauth', clientId: 'demo-client', clientSecret: 'demo-secret' },
      transport,
    });
    const err = await rejectionOf(
      c.generatePstnTransferData(INPUT, { deadline: Deadline.after(100) }),
    );
    expect(err['code']).toBe(CrestaErrorCode.DeadlineExceeded);
    expect(err.message).toMatch(
      /^error getting auth header: request failed after 1 attempts: overall deadline of 100ms exceeded/,
    );
  });

  it('fails before sending anything when the deadline has already passed', async () => {
    const err = await rejectionOf(
      client().generatePstnTransferData(INPUT, { deadline: Deadline.after(0) }),
    );
    expect(err.message).toBe('request failed after 0 attempts: overall deadline of 0ms exceeded');
    expect(fake.requests).toHaveLength(0);
  });
});

describe('aborting', () => {
  it('stops at once without retrying when the signal aborts', async () => {
    fake.enqueue('pstn', { status: 200, body: {}, delayMs: 1000 });
    const controller = new AbortController();
    const pending = client().generatePstnTransferData(INPUT, { signal: controller.signal });
    // Abort once the request has reached the fake (waiting for the event, not for a time).
    while (fake.requestsTo('pstn').length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    const err = await rejectionOf(pending);
    expect(err['code']).toBe(CrestaErrorCode.Aborted);
    expect(fake.requestsTo('pstn')).toHaveLength(1);
  });

  it('does not send anything with an already aborted signal', async () => {
    const err = await rejectionOf(
      client().generatePstnTransferData(INPUT, { signal: AbortSignal.abort() }),
    );
    expect(err['code']).toBe(CrestaErrorCode.Aborted);
  });

  it('aborts during the backoff wait', async () => {
    fake.enqueue('pstn', { status: 503 });
    const controller = new AbortController();
    const pending = client({ baseDelayMs: 2000 }).generatePstnTransferData(INPUT, {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 100);
    const err = await rejectionOf(pending);
    expect(err['code']).toBe(CrestaErrorCode.Aborted);
  });
});

describe('retry helpers', () => {
  it('retries 408, 429 and 5xx only', () => {
    expect([408, 429, 500, 503, 599].every(isRetryableStatus)).toBe(true);
    expect([200, 201, 204, 400, 401, 403, 404, 600].some(isRetryableStatus)).toBe(false);
  });

  it.each([1, 2, 3])('keeps backoff before retry %d within [base·2^(n−1), ·1.25]', (n) => {
    const low = 100 * 2 ** (n - 1);
    expect(backoffDelay(n, 100, () => 0)).toBe(low);
    expect(backoffDelay(n, 100, () => 0.9999)).toBeLessThan(low * 1.25);
    expect(backoffDelay(n, 100, () => 0.9999)).toBeGreaterThan(low);
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(['7'])).toBe(7000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', () => now)).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('does not retry an error thrown while preparing the request', async () => {
    let calls = 0;
    const err = await rejectionOf(
      sendWithRetry(
        transport,
        async () => {
          calls += 1;
          throw new Error('no credentials');
        },
        DEFAULT_RETRY_POLICY,
      ),
    );
    expect(err.message).toBe('no credentials');
    expect(calls).toBe(1);
  });
});

import {
  CrestaClient,
  CrestaErrorCode,
  MAX_TIMER_MS,
  type NodeHttpTransport,
  backoffDelay,
  parseDuration,
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
const TIMER_LIMIT = 2_147_483_647;

let fake: FakeCrestaApi;
let transport: NodeHttpTransport;
useFakeApi((started, client) => {
  fake = started;
  transport = client;
});

function client(retry: Record<string, unknown>): CrestaClient {
  return new CrestaClient({
    apiBase: fake.url,
    auth: { kind: 'apiKey', apiKey: 'demo-api-key' },
    transport,
    retry,
  });
}

function constructionError(retry: Record<string, unknown>): Record<string, unknown> | undefined {
  try {
    client(retry);
  } catch (err) {
    return err as Record<string, unknown>;
  }
  return undefined;
}

describe('retry option ranges', () => {
  it.each([
    ['maxRetries', Number.POSITIVE_INFINITY, 'must be an integer of at most 10'],
    ['maxRetries', 1.5, 'must be an integer of at most 10'],
    ['maxRetries', 11, 'must be an integer of at most 10'],
    ['baseDelayMs', -5, `must be a number of ms from 0 to ${TIMER_LIMIT}`],
    ['baseDelayMs', Number.NaN, `must be a number of ms from 0 to ${TIMER_LIMIT}`],
    ['maxDelayMs', TIMER_LIMIT + 1, `must be a number of ms from 0 to ${TIMER_LIMIT}`],
    ['maxRetryAfterMs', 3_600_000_000, `must be a number of ms from 0 to ${TIMER_LIMIT}`],
    ['maxRetryAfterMs', Number.NaN, `must be a number of ms from 0 to ${TIMER_LIMIT}`],
    ['attemptTimeoutMs', 0, `must be a number of ms more than 0 and at most ${TIMER_LIMIT}`],
    [
      'attemptTimeoutMs',
      TIMER_LIMIT + 1,
      `must be a number of ms more than 0 and at most ${TIMER_LIMIT}`,
    ],
  ])('refuses retry.%s = %p with a typed error naming the field', (field, value, why) => {
    const err = constructionError({ [field]: value });
    expect(err?.['code']).toBe(CrestaErrorCode.InvalidOptions);
    expect(err?.['field']).toBe(`retry.${field}`);
    expect(err?.['message']).toBe(`invalid CrestaClient options: retry.${field}: ${why}`);
  });

  it('accepts the limits themselves and a negative maxRetries (no attempt, as upstream)', () => {
    expect(
      constructionError({
        maxRetries: 10,
        baseDelayMs: 0,
        maxDelayMs: TIMER_LIMIT,
        maxRetryAfterMs: TIMER_LIMIT,
        attemptTimeoutMs: TIMER_LIMIT,
      }),
    ).toBeUndefined();
    expect(constructionError({ maxRetries: -1 })).toBeUndefined();
  });
});

describe('backoff cap', () => {
  it('caps the backoff at maxDelayMs and never beyond the longest Node timer', () => {
    expect(MAX_TIMER_MS).toBe(TIMER_LIMIT);
    expect(backoffDelay(30, 100, () => 0, 5000)).toBe(5000);
    expect(backoffDelay(30, 100, () => 0.999, 5000)).toBeLessThan(6250);
    expect(backoffDelay(5000, 100, () => 0.5, TIMER_LIMIT)).toBe(TIMER_LIMIT);
  });

  it('waits at most maxDelayMs (plus jitter) between attempts', async () => {
    fake.enqueue('pstn', { status: 503 }, { status: 503 });
    const started = Date.now();
    await client({ baseDelayMs: 5000, maxDelayMs: 20 }).generatePstnTransferData(PSTN_INPUT);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(fake.requestsTo('pstn')).toHaveLength(3);
  });
});

describe('a Retry-After longer than a Node timer can wait', () => {
  it('cannot be allowed by maxRetryAfterMs, so it never becomes a 1 ms retry storm', async () => {
    expect(constructionError({ maxRetryAfterMs: 3_600_000_000 })?.['code']).toBe(
      CrestaErrorCode.InvalidOptions,
    );
    fake.enqueue(
      'pstn',
      ...Array.from({ length: 4 }, () => ({ status: 429, headers: { 'retry-after': '3000000' } })),
    );
    const err = await rejectionOf(
      client({ maxRetryAfterMs: TIMER_LIMIT }).generatePstnTransferData(PSTN_INPUT),
    );
    expect(err['code']).toBe(CrestaErrorCode.RetriesExhausted);
    expect(err.message).toContain('Retry-After of 3000000000ms is longer than the');
    expect(fake.requestsTo('pstn')).toHaveLength(1);
  });
});

describe('parseDuration limits', () => {
  it.each([
    ['400 nines of ms (Infinity)', `${'9'.repeat(400)}ms`],
    ['2147483648ms', '2147483648ms'],
    ['600h', '600h'],
  ])('rejects %s, more than 2^31 − 1 ms, with a typed error and a short message', (_name, text) => {
    let err: Record<string, unknown> | undefined;
    try {
      parseDuration(text);
    } catch (caught) {
      err = caught as Record<string, unknown>;
    }
    expect(err?.['code']).toBe(CrestaErrorCode.InvalidOptions);
    expect(String(err?.['message']).length).toBeLessThan(250);
  });

  it('accepts 2^31 − 1 ms and a day', () => {
    expect(parseDuration('2147483647ms')).toBe(TIMER_LIMIT);
    expect(parseDuration('24h')).toBe(86_400_000);
  });
});

import { backoffRetryStrategy } from '../src/lib/pipeline-client';

describe('backoffRetryStrategy', () => {
  it('retries throttling, transient and server errors with growing, jittered delays', async () => {
    const strategy = backoffRetryStrategy(4, 200, () => 0.5);
    let token = await strategy.acquireInitialRetryToken('');
    expect(token.getRetryDelay()).toBe(0);
    const delays: number[] = [];
    for (const errorType of ['THROTTLING', 'TRANSIENT', 'SERVER_ERROR']) {
      token = await strategy.refreshRetryTokenForRetry(token, { errorType });
      delays.push(token.getRetryDelay());
    }
    // ceiling 200, 400, 800 ms; half fixed plus half of it times the random value.
    expect(delays).toEqual([150, 300, 600]);
    expect(token.getRetryCount()).toBe(3);
    await expect(
      strategy.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING' }),
    ).rejects.toThrow('no more retries');
    strategy.recordSuccess(token);
  });

  it('never retries client errors', async () => {
    const strategy = backoffRetryStrategy(4, 200);
    const token = await strategy.acquireInitialRetryToken('');
    await expect(
      strategy.refreshRetryTokenForRetry(token, { errorType: 'CLIENT_ERROR' }),
    ).rejects.toThrow();
  });

  it('honours a retry-after hint and caps every delay at 20 s', async () => {
    const strategy = backoffRetryStrategy(10, 60_000, () => 1);
    const token = await strategy.acquireInitialRetryToken('');
    const capped = await strategy.refreshRetryTokenForRetry(token, { errorType: 'THROTTLING' });
    expect(capped.getRetryDelay()).toBe(20_000);
    const small = backoffRetryStrategy(10, 1, () => 0);
    const hinted = await small.refreshRetryTokenForRetry(await small.acquireInitialRetryToken(''), {
      errorType: 'THROTTLING',
      retryAfterHint: new Date(Date.now() + 5_000),
    });
    expect(hinted.getRetryDelay()).toBeGreaterThan(4_000);
    expect(hinted.getRetryDelay()).toBeLessThanOrEqual(5_000);
  });
});

import { CrestaErrorCode, Deadline, silentLogger } from '@org/cresta-handoff';
import { SecretCredentialsLoader, type SecretsClient } from '../src/lib/secrets';
import { rejectionOf } from './support/helpers';

const ARN = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:cresta';
const VALUE = JSON.stringify({ oauthClientId: 'id', oauthClientSecret: 'secret' });

function client(
  getSecretString: SecretsClient['getSecretString'],
): SecretsClient & { destroyed: number } {
  const c = { destroyed: 0, getSecretString, destroy: () => (c.destroyed += 1) };
  return c;
}

describe('SecretCredentialsLoader', () => {
  it('shares one GetSecretValue between concurrent loads of the same ARN', async () => {
    let calls = 0;
    const loader = new SecretCredentialsLoader({
      cacheTtlMs: 0,
      allowedPartitions: ['aws'],
      logger: silentLogger,
      clientFactory: async () =>
        client(async () => {
          calls += 1;
          return { SecretString: VALUE };
        }),
    });
    const [a, b] = await Promise.all([
      loader.load(ARN, Deadline.none()),
      loader.load(ARN, Deadline.none()),
    ]);
    expect(a).toEqual({ clientId: 'id', clientSecret: 'secret' });
    expect(b).toBe(a);
    expect(calls).toBe(1);
  });

  it('reloads the secret once the cache TTL has passed', async () => {
    let now = 0;
    let calls = 0;
    const loader = new SecretCredentialsLoader({
      cacheTtlMs: 1000,
      allowedPartitions: ['aws'],
      logger: silentLogger,
      now: () => now,
      clientFactory: async () =>
        client(async () => {
          calls += 1;
          return { SecretString: VALUE };
        }),
    });
    await loader.load(ARN, Deadline.none());
    now = 999;
    await loader.load(ARN, Deadline.none());
    now = 1000;
    await loader.load(ARN, Deadline.none());
    expect(calls).toBe(2);
  });

  it('retries creating the SDK client after a failure and destroys clients on close', async () => {
    let attempts = 0;
    const created = client(async () => ({ SecretString: VALUE }));
    const loader = new SecretCredentialsLoader({
      cacheTtlMs: 0,
      allowedPartitions: ['aws'],
      logger: silentLogger,
      clientFactory: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('cannot load the SDK');
        return created;
      },
    });
    const err = await rejectionOf(loader.load(ARN, Deadline.none()));
    expect(err.message).toBe('cannot load the SDK');
    await expect(loader.load(ARN, Deadline.none())).resolves.toBeDefined();
    await loader.close();
    expect(created.destroyed).toBe(1);
  });

  it('does not call Secrets Manager once the deadline has passed', async () => {
    const loader = new SecretCredentialsLoader({
      cacheTtlMs: 0,
      allowedPartitions: ['aws'],
      logger: silentLogger,
      clientFactory: async () => client(async () => ({ SecretString: VALUE })),
    });
    const err = await rejectionOf(loader.load(ARN, Deadline.after(0)));
    expect(err['code']).toBe(CrestaErrorCode.DeadlineExceeded);
  });

  it('keeps plain SDK error messages without an "Error:" prefix', async () => {
    const loader = new SecretCredentialsLoader({
      cacheTtlMs: 0,
      allowedPartitions: ['aws'],
      logger: silentLogger,
      clientFactory: async () =>
        client(async () => {
          throw new Error('socket hang up');
        }),
    });
    const err = await rejectionOf(loader.load(ARN, Deadline.after(5000)));
    expect(err.message).toBe('socket hang up');
    expect(err['code']).toBe(CrestaErrorCode.Secret);
  });
});

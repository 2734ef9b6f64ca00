import { CrestaErrorCode, Deadline, silentLogger } from '@org/cresta-handoff';
import {
  MAX_CACHED_SECRETS,
  MAX_SECRETS_CLIENTS,
  SecretCredentialsLoader,
  type SecretsClient,
} from '../src/lib/secrets';
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

describe('SecretCredentialsLoader bounds (oauthSecretArn is a Connect parameter)', () => {
  const arnIn = (region: string, name = 'cresta'): string =>
    `arn:aws:secretsmanager:${region}:123456789012:secret:${name}`;
  /** 200 made-up regions: `aa-aaaa-1`, `aa-aaab-1`, … (all match the ARN's region pattern). */
  const regions = Array.from(
    { length: 200 },
    (_, i) => `aa-${String.fromCharCode(97 + Math.floor(i / 26), 97 + (i % 26))}zz-1`,
  );

  it('keeps at most MAX_SECRETS_CLIENTS SDK clients alive, however many regions callers name', async () => {
    const made: ReturnType<typeof client>[] = [];
    const loader = new SecretCredentialsLoader({
      cacheTtlMs: 0,
      allowedPartitions: ['aws'],
      logger: silentLogger,
      clientFactory: async () => {
        const c = client(async () => {
          throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { name: 'Error' });
        });
        made.push(c);
        return c;
      },
    });
    for (const region of regions) {
      await rejectionOf(loader.load(arnIn(region), Deadline.after(5000)));
    }
    // Let the destroy of the evicted clients run.
    await new Promise((resolve) => setImmediate(resolve));
    expect(made).toHaveLength(regions.length);
    const alive = made.filter((c) => c.destroyed === 0).length;
    expect(alive).toBeLessThanOrEqual(MAX_SECRETS_CLIENTS);
    await loader.close();
    expect(made.filter((c) => c.destroyed === 0)).toHaveLength(0);
  });

  it('reuses the client of a recently used region and keeps at most MAX_CACHED_SECRETS secrets', async () => {
    let factoryCalls = 0;
    let reads = 0;
    const loader = new SecretCredentialsLoader({
      cacheTtlMs: 60_000,
      allowedPartitions: ['aws'],
      logger: silentLogger,
      clientFactory: async () => {
        factoryCalls += 1;
        return client(async () => {
          reads += 1;
          return { SecretString: VALUE };
        });
      },
    });
    for (let i = 0; i < 100; i++) {
      await loader.load(arnIn('us-west-2', `s${i}`), Deadline.none());
    }
    expect(factoryCalls).toBe(1);
    // The newest secret is still cached; the oldest was dropped and is read again.
    await loader.load(arnIn('us-west-2', 's99'), Deadline.none());
    expect(reads).toBe(100);
    await loader.load(arnIn('us-west-2', 's0'), Deadline.none());
    expect(reads).toBe(101);
    expect(MAX_CACHED_SECRETS).toBeLessThan(100);
    await loader.close();
  });
});

import { CachingApiKeyStore, secretsManagerFetcher } from '../src/lib/api-keys';
import { memoryLogger } from './helpers/logger';
import { startSecretsManagerFake, type SecretsManagerFake } from './helpers/secrets-manager-fake';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const SECRET = 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=';

describe('CachingApiKeyStore with the static map', () => {
  it('decodes base64 secrets and treats "" and null as unsigned keys', async () => {
    const store = new CachingApiKeyStore({
      staticMap: { signed: SECRET, empty: '', none: null },
      logger: memoryLogger().logger,
    });
    const signed = await store.lookup('signed');
    expect(signed.known && Buffer.from(signed.secret ?? []).toString()).toBe(
      'MySuperSecretKeyTellNo-1!2@3#4$5',
    );
    expect(await store.lookup('empty')).toEqual({ known: true, secret: null });
    expect(await store.lookup('none')).toEqual({ known: true, secret: null });
    expect(await store.lookup('other')).toEqual({ known: false });
  });
});

describe('CachingApiKeyStore with Secrets Manager', () => {
  let fake: SecretsManagerFake;
  let client: SecretsManagerClient;

  beforeEach(async () => {
    fake = await startSecretsManagerFake();
    client = new SecretsManagerClient({
      region: 'us-east-1',
      endpoint: fake.endpoint,
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
      maxAttempts: 1,
    });
  });

  afterEach(async () => {
    client.destroy();
    await fake.close();
  });

  function store(now: () => number, staticMap = {}) {
    const log = memoryLogger();
    return {
      log,
      store: new CachingApiKeyStore({
        staticMap,
        fetch: secretsManagerFetcher({ secretId: 'keys', region: 'us-east-1', client }),
        refreshKnownMs: 300_000,
        refreshUnknownMs: 60_000,
        logger: log.logger,
        now,
      }),
    };
  }

  it('reads the key map through the SDK and lets dynamic entries win over static ones', async () => {
    fake.secrets.set('keys', JSON.stringify({ dyn: SECRET, both: null }));
    const { store: s } = store(() => 0, { both: SECRET, stat: null });
    await s.refresh();
    expect((await s.lookup('dyn')).known).toBe(true);
    expect(await s.lookup('both')).toEqual({ known: true, secret: null });
    expect(await s.lookup('stat')).toEqual({ known: true, secret: null });
    expect(fake.calls).toBe(1);
  });

  it('fetches again for an unknown key at most every refreshUnknownMs', async () => {
    let now = 0;
    fake.secrets.set('keys', JSON.stringify({}));
    const { store: s } = store(() => now);
    await s.refresh();
    expect(await s.lookup('late')).toEqual({ known: false });
    expect(fake.calls).toBe(1);
    fake.secrets.set('keys', JSON.stringify({ late: null }));
    now = 59_000;
    expect(await s.lookup('late')).toEqual({ known: false });
    expect(fake.calls).toBe(1);
    now = 61_000;
    expect(await s.lookup('late')).toEqual({ known: true, secret: null });
    expect(fake.calls).toBe(2);
  });

  it('refreshes a known key in the background after refreshKnownMs and sees a rotation', async () => {
    let now = 0;
    fake.secrets.set('keys', JSON.stringify({ k: SECRET }));
    const { store: s } = store(() => now);
    await s.refresh();
    fake.secrets.set('keys', JSON.stringify({ k: null }));
    now = 299_000;
    expect((await s.lookup('k')).known).toBe(true);
    expect(fake.calls).toBe(1);
    now = 301_000;
    const stale = await s.lookup('k');
    expect(stale.known && stale.secret).not.toBeNull();
    await s.refresh(); // joins the background refresh
    expect(await s.lookup('k')).toEqual({ known: true, secret: null });
  });

  it('keeps the last good copy when Secrets Manager fails, and never logs the secret', async () => {
    let now = 0;
    fake.secrets.set('keys', JSON.stringify({ k: SECRET }));
    const { store: s, log } = store(() => now);
    await s.refresh();
    fake.failWith = 500;
    now = 400_000;
    await s.refresh();
    expect((await s.lookup('k')).known).toBe(true);
    expect(log.text()).toContain('refresh failed');
    expect(log.text()).not.toContain(SECRET);
  });

  it('rejects a secret that is not an API key map', async () => {
    fake.secrets.set('keys', JSON.stringify({ k: 42 }));
    const fetch = secretsManagerFetcher({ secretId: 'keys', region: 'us-east-1', client });
    await expect(fetch()).rejects.toMatchObject({ code: 'AHS_ERR_SECRET_UNAVAILABLE' });
    fake.secrets.set('keys', 'plain text');
    await expect(fetch()).rejects.toMatchObject({ code: 'AHS_ERR_SECRET_UNAVAILABLE' });
    await expect(
      secretsManagerFetcher({ secretId: 'missing', region: 'us-east-1', client })(),
    ).rejects.toThrow(/reading secret missing failed/);
  });
});

import { SignJWT, generateKeyPair } from 'jose';
import pino from 'pino';
import {
  DataSourceLifecycle,
  RefreshingAccessToken,
  StaticAccessToken,
} from '../src/lib/datasource';
import { FakeWebex } from './helpers/fake-webex';
import { startGateway, testConfig } from './helpers/gateway';

const URL_ = 'https://byova.example.com';
const SCHEMA = '5397013b-7920-4ffc-807c-e8a3e0a18f43';

let webex: FakeWebex;
beforeEach(async () => {
  webex = new FakeWebex();
  await webex.listen();
});
afterEach(async () => {
  await webex.close();
});

function lifecycle(
  extra: Partial<ConstructorParameters<typeof DataSourceLifecycle>[0]> = {},
): DataSourceLifecycle {
  return new DataSourceLifecycle({
    baseUrl: webex.base,
    id: undefined,
    url: URL_,
    schemaId: SCHEMA,
    audience: 'BYOVAGateway',
    subject: 'callAudioData',
    tokenLifetimeMinutes: 1440,
    renewalLeadMs: 3_600_000,
    retryMs: 20,
    timeoutMs: 2000,
    auth: new StaticAccessToken('static-token'),
    logger: pino({ level: 'silent' }),
    ...extra,
  });
}

const inHours = (h: number): string => new Date(Date.now() + h * 3_600_000).toISOString();

describe('data source lifecycle', () => {
  it('registers the data source when none matches, with a fresh nonce and the lifetime', async () => {
    const ds = lifecycle();
    await ds.start();
    ds.stop();
    const post = webex.requests.find((r) => r.method === 'POST');
    expect(post?.body).toMatchObject({
      schemaId: SCHEMA,
      url: URL_,
      audience: 'BYOVAGateway',
      subject: 'callAudioData',
      tokenLifetimeMinutes: 1440,
    });
    expect(post?.body['nonce']).toMatch(/^[0-9a-f-]{36}$/);
    expect(post?.auth).toBe('Bearer static-token');
    expect(ds.status()).toMatchObject({ id: 'ds-1', status: 'active' });
  });

  it('reuses a matching data source without registering another or renewing a fresh JWS', async () => {
    webex.items = [
      { id: 'other', url: 'https://elsewhere', schemaId: SCHEMA, status: 'active' },
      {
        id: 'mine',
        url: URL_,
        schemaId: SCHEMA,
        audience: 'BYOVAGateway',
        subject: 'callAudioData',
        status: 'active',
        tokenExpiryTime: inHours(20),
      },
    ];
    const ds = lifecycle();
    await ds.start();
    ds.stop();
    expect(webex.requests.map((r) => r.method)).toEqual(['GET']);
    expect(ds.status().id).toBe('mine');
  });

  it('renews at once when the JWS expires within the lead time, reading the expiry from the JWS', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const jws = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime('30m')
      .sign(privateKey);
    webex.items = [
      {
        id: 'mine',
        url: URL_,
        schemaId: SCHEMA,
        audience: 'BYOVAGateway',
        subject: 'callAudioData',
        status: 'active',
        jwsToken: jws,
      },
    ];
    const ds = lifecycle();
    await ds.start();
    ds.stop();
    const put = webex.requests.find((r) => r.method === 'PUT');
    expect(put?.path).toBe('/v1/dataSources/mine');
    expect(put?.body).toMatchObject({ status: 'active', tokenLifetimeMinutes: 1440 });
    expect(Date.parse(ds.status().token_expiry_time ?? '')).toBeGreaterThan(
      Date.now() + 20 * 3_600_000,
    );
  });

  it('reconciles drift (audience, disabled status) with a PUT', async () => {
    webex.items = [
      {
        id: 'mine',
        url: URL_,
        schemaId: SCHEMA,
        audience: 'Old',
        subject: 'callAudioData',
        status: 'disabled',
        tokenExpiryTime: inHours(20),
      },
    ];
    const ds = lifecycle();
    await ds.start();
    ds.stop();
    expect(webex.items[0]).toMatchObject({ audience: 'BYOVAGateway', status: 'active' });
  });

  it('fails when a configured id cannot be read', async () => {
    await expect(lifecycle({ id: 'missing' }).start()).rejects.toThrow(
      'GET /dataSources/missing failed: HTTP 404 not found',
    );
  });

  it('renews ahead of expiry and retries after a failure', async () => {
    webex.items = [
      {
        id: 'mine',
        url: URL_,
        schemaId: SCHEMA,
        audience: 'BYOVAGateway',
        subject: 'callAudioData',
        status: 'active',
        tokenExpiryTime: inHours(1.0001),
      },
    ];
    webex.failPut = 1;
    const ds = lifecycle();
    await ds.start();
    // Due in ~0.4 s (expiry - 1 h lead); the first PUT fails, the retry 20 ms later succeeds.
    const puts = (): number => webex.requests.filter((r) => r.method === 'PUT').length;
    for (let i = 0; i < 150 && !(puts() >= 2 && ds.status().last_error === undefined); i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    ds.stop();
    expect(webex.requests.filter((r) => r.method === 'PUT')).toHaveLength(2);
    expect(ds.status().last_error).toBeUndefined();
    expect(ds.status().last_renewal).toBeDefined();
  });

  it('gets the service-app token with the refresh-token grant', async () => {
    const auth = new RefreshingAccessToken({
      baseUrl: webex.base,
      clientId: 'c',
      clientSecret: 's',
      refreshToken: 'r',
      timeoutMs: 2000,
    });
    expect(await auth.token()).toBe('service-app-token');
    expect(await auth.token()).toBe('service-app-token');
    const grants = webex.requests.filter((r) => r.path === '/v1/access_token');
    expect(grants).toHaveLength(1);
    expect(grants[0]?.body).toEqual({
      grant_type: 'refresh_token',
      client_id: 'c',
      client_secret: 's',
      refresh_token: 'r',
    });
  });

  it('runs before the gateway listens and reports the data source on /api/status', async () => {
    const gw = await startGateway(
      testConfig({
        jwt_validation: { datasource_url: URL_ },
        data_source: { enabled: true, base_url: webex.base, auth: { type: 'static' } },
      }),
      { env: { WEBEX_BYODS_ACCESS_TOKEN: 'static-token' } },
    );
    try {
      const status = (await (await fetch(`${gw.httpUrl}/api/status`)).json()) as {
        data_source: Record<string, unknown>;
      };
      expect(status.data_source).toMatchObject({ id: 'ds-1', status: 'active', url: URL_ });
    } finally {
      await gw.stop();
    }
  });

  it('stops the start when the lifecycle fails and fail_startup_on_error is on', async () => {
    const config = testConfig({
      data_source: {
        enabled: true,
        id: 'missing',
        url: URL_,
        base_url: webex.base,
        auth: { type: 'static' },
      },
    });
    await expect(startGateway(config, { env: { WEBEX_BYODS_ACCESS_TOKEN: 't' } })).rejects.toThrow(
      /data source lifecycle failed/,
    );
  });

  it('validates the data source configuration', () => {
    expect(() =>
      testConfig({ data_source: { auth: { type: 'service_app', app_id_env: 'APP' } } }),
    ).toThrow(/service_app is not supported/);
    expect(() => testConfig({ data_source: { enabled: true } })).toThrow(
      /needs data_source.url or jwt_validation.datasource_url/,
    );
    expect(() =>
      testConfig({
        data_source: { enabled: true, url: 'https://a' },
        jwt_validation: { datasource_url: 'https://b' },
      }),
    ).toThrow(/must be identical/);
    expect(() =>
      testConfig({ data_source: { token_lifetime_minutes: 60, renewal_lead_time_minutes: 60 } }),
    ).toThrow(/must be shorter/);
  });
});

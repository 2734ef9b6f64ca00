import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGateway, testConfig, type RunningGateway } from './helpers/gateway';

// A local stand-in for webexapis.com/v1: the token endpoint and userinfo.
let webex: Server;
let base: string;
let tokenStatus = 200;
let accessToken = 'tokenpart_P0A1_ORG-ALLOWED';
const tokenRequests: URLSearchParams[] = [];

beforeAll(async () => {
  webex = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/access_token' && req.method === 'POST') {
        tokenRequests.push(new URLSearchParams(body));
        res.writeHead(tokenStatus, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            tokenStatus === 200
              ? { access_token: accessToken, expires_in: 3600 }
              : { message: 'bad code' },
          ),
        );
        return;
      }
      if (req.url === '/v1/userinfo') {
        const ok =
          req.headers.authorization === `Bearer ${accessToken}` &&
          accessToken !== 'tokenpart_P0A1_ORG-REVOKED';
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(
            ok ? { name: 'Ada Agent', email: 'ada@example.com' } : { message: 'invalid token' },
          ),
        );
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => webex.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(webex.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => webex.close(() => resolve()));
});

const ENV = {
  WEBEX_CLIENT_ID: 'client-1',
  WEBEX_CLIENT_SECRET: 'client-secret-1',
  WEBEX_REDIRECT_URI: 'http://127.0.0.1/oauth',
  AUTHORIZED_WEBEX_ORG_IDS: ' ORG-ALLOWED , ,ORG-OTHER',
};

describe('dashboard with Webex login', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway(
      testConfig({
        authentication: { enabled: true, mode: 'webex', webex_oauth: { base_url: base } },
      }),
      {
        env: ENV,
      },
    );
  });
  afterAll(async () => {
    await gw.stop();
  });
  beforeEach(() => {
    tokenStatus = 200;
    accessToken = 'tokenpart_P0A1_ORG-ALLOWED';
  });

  async function beginLogin(): Promise<{ state: string; cookie: string; location: URL }> {
    const res = await fetch(`${gw.httpUrl}/login/webex`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    return { state: location.searchParams.get('state') ?? '', cookie, location };
  }

  async function callback(query: string, cookie: string): Promise<Response> {
    return fetch(`${gw.httpUrl}/oauth?${query}`, { headers: { cookie }, redirect: 'manual' });
  }

  it('offers the Webex button on the login page', async () => {
    const html = await (await fetch(`${gw.httpUrl}/login`)).text();
    expect(html).toContain('href="/login/webex"');
    expect(html).not.toContain('name="token"');
  });

  it('redirects to Webex with a fresh random state bound to a cookie', async () => {
    const first = await beginLogin();
    const second = await beginLogin();
    expect(first.location.origin + first.location.pathname).toBe(`${base}/authorize`);
    expect(Object.fromEntries(first.location.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: 'http://127.0.0.1/oauth',
      scope: 'openid email profile',
    });
    expect(first.state.length).toBeGreaterThanOrEqual(32);
    expect(first.state).not.toBe(second.state);
    expect(first.cookie).toBe(`byova_oauth_state=${first.state}`);
  });

  it('logs in a user of an allowed org and shows who is logged in', async () => {
    const { state, cookie } = await beginLogin();
    const res = await callback(`code=abc&state=${state}`, cookie);
    expect(res.headers.get('location')).toBe('/');
    expect(tokenRequests.at(-1)?.get('grant_type')).toBe('authorization_code');
    expect(tokenRequests.at(-1)?.get('code')).toBe('abc');
    expect(tokenRequests.at(-1)?.get('client_secret')).toBe('client-secret-1');
    const session = res.headers
      .getSetCookie()
      .find((c) => c.startsWith('byova_session='))
      ?.split(';')[0];
    expect(session).toBeDefined();
    expect(
      (await fetch(`${gw.httpUrl}/api/status`, { headers: { cookie: session ?? '' } })).status,
    ).toBe(200);
    expect(
      await (
        await fetch(`${gw.httpUrl}/auth/status`, { headers: { cookie: session ?? '' } })
      ).json(),
    ).toEqual({
      enabled: true,
      authenticated: true,
      user_name: 'Ada Agent',
      user_email: 'ada@example.com',
      org_id: 'ORG-ALLOWED',
    });
  });

  it.each<
    [string, string | undefined, { tokenStatus?: number; token?: string } | undefined, string]
  >([
    ['a state that does not match the cookie', 'wrong-state', undefined, 'Invalid state parameter'],
    ['no code', undefined, undefined, 'No authorization code received'],
    ['a code Webex refuses', undefined, { tokenStatus: 400 }, 'Failed to authenticate with Webex'],
    [
      'an org outside the allow-list',
      undefined,
      { token: 'tokenpart_P0A1_ORG-ELSEWHERE' },
      'Your organization is not authorized to access this dashboard',
    ],
    [
      'a token Webex does not accept',
      undefined,
      { token: 'tokenpart_P0A1_ORG-REVOKED' },
      'Failed to authenticate with Webex',
    ],
    ['a token without an org', undefined, { token: 'opaque' }, 'Invalid access token format'],
  ])('refuses %s', async (_name, badState, setup, message) => {
    if (setup?.tokenStatus !== undefined) tokenStatus = setup.tokenStatus;
    if (setup?.token !== undefined) accessToken = setup.token;
    const { state, cookie } = await beginLogin();
    const query =
      message === 'No authorization code received'
        ? `state=${state}`
        : `code=abc&state=${badState ?? state}`;
    const res = await callback(query, cookie);
    expect(res.headers.get('location')).toBe(`/login?error=${encodeURIComponent(message)}`);
    expect(res.headers.getSetCookie().some((c) => c.startsWith('byova_session='))).toBe(false);
  });

  it('refuses to start in webex mode without the client settings', async () => {
    await expect(
      startGateway(testConfig({ authentication: { enabled: true, mode: 'webex' } }), {
        env: { WEBEX_CLIENT_ID: 'x' },
      }),
    ).rejects.toThrow('authentication.mode webex needs $WEBEX_CLIENT_SECRET');
  });
});

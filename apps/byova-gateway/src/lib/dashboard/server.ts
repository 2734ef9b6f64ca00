// The monitoring HTTP server: the live dashboard page, its JSON API, /health, the Cisco-style ping,
// and Prometheus /metrics. With authentication enabled every data endpoint needs a session cookie
// or a bearer token; /health and the ping stay open for load balancers.

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OpsHandler } from '@org/service-kit';
import type { Logger } from 'pino';
import { parseCookies, safeEqual, SESSION_COOKIE, type DashboardAuth } from './auth';
import { dashboardHtml, loginHtml } from './page';
import { WebexLoginError, type WebexOAuth } from './webex-oauth';

/** What the dashboard shows; each function builds one endpoint's JSON. */
export interface DashboardData {
  status(): object;
  config(): object;
  connections(): object;
  sessions(): object;
  grpcStatus(): string;
  /** `/api/test/create-session`: starts a test conversation (status and JSON body). */
  createTestSession(): Promise<{ status: number; body: object }>;
}

export interface DashboardServerOptions {
  readonly host: string;
  readonly port: number;
  readonly pingPath: string;
  readonly auth: DashboardAuth | undefined;
  /** Webex login (with `auth` for the sessions). */
  readonly webex?: WebexOAuth | undefined;
  readonly data: DashboardData;
  /** The service kit's `/metrics` + `/health` handler. */
  readonly ops: OpsHandler;
  readonly logger: Logger;
}

const MAX_BODY = 4096;
const STATE_COOKIE = 'byova_oauth_state';

function send(
  res: ServerResponse,
  code: number,
  body: string,
  type: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(code, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(body);
}

function json(res: ServerResponse, code: number, body: unknown): void {
  send(res, code, JSON.stringify(body), 'application/json; charset=utf-8');
}

function redirect(
  res: ServerResponse,
  location: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(302, { location, 'cache-control': 'no-store', ...headers });
  res.end();
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const parts: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
        return;
      }
      parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

export class DashboardServer {
  readonly #options: DashboardServerOptions;
  readonly #server: Server;

  constructor(options: DashboardServerOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => {
      this.#route(req, res).catch((error: unknown) => {
        options.logger.error({ err: error, path: req.url }, 'dashboard request failed');
        if (!res.headersSent) json(res, 500, { status: 'error', message: 'internal error' });
        else res.end();
      });
    });
    this.#server.keepAliveTimeout = 5000;
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', reject);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #startSession(
    res: ServerResponse,
    auth: DashboardAuth,
    user: Parameters<DashboardAuth['issueSession']>[0],
    ...extraCookies: string[]
  ): void {
    const session = auth.issueSession(user);
    res.setHeader('set-cookie', [
      `${SESSION_COOKIE}=${session.value}; Max-Age=${session.maxAgeSeconds}; Path=/; HttpOnly; SameSite=Strict`,
      ...extraCookies,
    ]);
    redirect(res, '/');
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const path = url.pathname;
    const { auth } = this.#options;
    if (path === '/metrics' && auth !== undefined && !auth.isAuthenticated(req)) {
      return json(res, 401, { error: 'authentication required' });
    }
    if (await this.#options.ops(req, res)) return;
    // Open routes: the ping for load balancers and the login flows.
    const open: Record<string, () => void | Promise<void>> = {
      [this.#options.pingPath]: () => this.#ping(req, res),
      '/login': () => this.#login(req, res, url),
      '/login/webex': () => this.#webexLogin(req, res),
      '/oauth': () => this.#webexCallback(req, res, url),
      '/logout': () =>
        redirect(res, auth === undefined ? '/' : '/login', {
          'set-cookie': `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict`,
        }),
      '/auth/status': () => this.#authStatus(req, res),
    };
    const route = open[path];
    if (route !== undefined) return route();
    if (path === '/api/test/create-session') return this.#testSession(req, res);
    return this.#data(req, res, path);
  }

  #ping(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') return json(res, 405, { error: 'method not allowed' });
    const serving = this.#options.data.grpcStatus() === 'SERVING';
    json(res, serving ? 200 : 503, {
      serviceName: 'voiceva',
      serviceType: 'REQUIRED',
      serviceState: serving ? 'online' : 'offline',
      message: serving ? 'voiceva is ONLINE' : 'voiceva is OFFLINE',
      lastUpdated: new Date().toISOString(),
    });
  }

  async #login(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const auth = this.#options.auth;
    if (auth === undefined) return redirect(res, '/');
    if (req.method !== 'GET' && req.method !== 'POST') {
      return json(res, 405, { error: 'method not allowed' });
    }
    if (req.method === 'POST') {
      const body = await readBody(req);
      const token = body === undefined ? '' : (new URLSearchParams(body).get('token') ?? '');
      if (!auth.checkToken(token)) {
        this.#options.logger.warn({ remote: req.socket.remoteAddress }, 'dashboard login failed');
        return redirect(res, '/login?error=Invalid%20access%20token');
      }
      return this.#startSession(res, auth, undefined);
    }
    const error = url.searchParams.get('error') ?? undefined;
    const page = loginHtml(error, {
      webex: this.#options.webex !== undefined,
      tokenForm: auth.hasToken,
    });
    send(res, 200, page, 'text/html; charset=utf-8');
  }

  #webexLogin(req: IncomingMessage, res: ServerResponse): void {
    const { auth, webex } = this.#options;
    if (req.method !== 'GET' || auth === undefined || webex === undefined)
      return json(res, 404, { error: 'not found' });
    // A fresh random state per login, bound to this browser by a short-lived cookie.
    const state = randomBytes(24).toString('base64url');
    redirect(res, webex.authorizeUrl(state), {
      'set-cookie': `${STATE_COOKIE}=${state}; Max-Age=600; Path=/; HttpOnly; SameSite=Lax`,
    });
  }

  async #webexCallback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const { auth, webex } = this.#options;
    if (req.method !== 'GET' || auth === undefined || webex === undefined)
      return json(res, 404, { error: 'not found' });
    const expected = parseCookies(req.headers.cookie)[STATE_COOKIE];
    const state = url.searchParams.get('state') ?? '';
    const clearState = `${STATE_COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax`;
    const fail = (message: string): void =>
      redirect(res, `/login?error=${encodeURIComponent(message)}`, { 'set-cookie': clearState });
    if (expected === undefined || state === '' || !safeEqual(state, expected))
      return fail('Invalid state parameter');
    const code = url.searchParams.get('code');
    if (code === null || code === '') return fail('No authorization code received');
    try {
      const user = await webex.complete(code);
      this.#options.logger.info({ org_id: user.orgId }, 'dashboard login with Webex');
      return this.#startSession(res, auth, user, clearState);
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'Webex login failed');
      return fail(error instanceof WebexLoginError ? error.message : 'Authentication failed');
    }
  }

  #authStatus(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') return json(res, 405, { error: 'method not allowed' });
    const auth = this.#options.auth;
    const user = auth?.sessionUser(req);
    json(res, 200, {
      enabled: auth !== undefined,
      authenticated: auth === undefined || auth.isAuthenticated(req),
      user_name: user?.name ?? null,
      user_email: user?.email ?? null,
      org_id: user?.orgId ?? null,
    });
  }

  async #testSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const auth = this.#options.auth;
    if (req.method !== 'GET' && req.method !== 'POST') {
      return send(res, 405, JSON.stringify({ error: 'method not allowed' }), 'application/json', {
        allow: 'GET, POST',
      });
    }
    if (auth !== undefined && !auth.isAuthenticated(req)) {
      return json(res, 401, { error: 'authentication required' });
    }
    const created = await this.#options.data.createTestSession();
    json(res, created.status, created.body);
  }

  /** The dashboard page and its JSON endpoints (behind the login when it is on). */
  #data(req: IncomingMessage, res: ServerResponse, path: string): void {
    const { auth, data } = this.#options;
    const routes: Record<string, () => void> = {
      '/': () =>
        send(
          res,
          200,
          dashboardHtml({ authEnabled: auth !== undefined }),
          'text/html; charset=utf-8',
        ),
      '/api/status': () => json(res, 200, data.status()),
      '/status': () => json(res, 200, data.status()),
      '/api/config': () => json(res, 200, data.config()),
      '/api/connections': () => json(res, 200, data.connections()),
      '/api/debug/sessions': () => json(res, 200, data.sessions()),
    };
    const handler = routes[path];
    if (handler === undefined) return json(res, 404, { error: 'not found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, JSON.stringify({ error: 'method not allowed' }), 'application/json', {
        allow: 'GET',
      });
    }
    if (auth !== undefined && !auth.isAuthenticated(req)) {
      if (path === '/') return redirect(res, '/login');
      return json(res, 401, { error: 'authentication required' });
    }
    handler();
  }
}

import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The three routes of the fake. */
export type FakeRoute = 'token' | 'pstn' | 'handoff';

/** A scripted one-shot answer for a route; queued answers are used before the default behaviour. */
export interface FakeResponse {
  status: number;
  /** A JSON value (serialised) or a raw string body. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering, in ms. */
  delayMs?: number;
  /** Close the connection without answering (a network error for the client). */
  destroy?: boolean;
}

/** One request the fake received. */
export interface RecordedRequest {
  readonly route: FakeRoute | 'unknown';
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The raw body. */
  readonly body: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  readonly json: unknown;
  /** Epoch ms when the request arrived. */
  readonly at: number;
}

/** Options of {@link startFakeCrestaApi}. */
export interface FakeCrestaApiOptions {
  /** OAuth clients the token endpoint accepts, id → secret. @default {'demo-client': 'demo-secret'} */
  clients?: Record<string, string>;
  /** API keys the API accepts. @default ['demo-api-key'] */
  apiKeys?: string[];
  /** `expires_in` of issued tokens, in seconds. @default 3600 */
  tokenExpiresIn?: number;
  /** Default PSTN transfer answer. @default {phoneNumber: '+15550100', dtmfSequence: '1234'} */
  pstnResponse?: unknown;
  /** Default handoff object (wrapped in `{handoff: …}`); `conversationCorrelationId` = the request's. */
  handoff?: Record<string, unknown>;
  /** Host to bind. @default '127.0.0.1' */
  host?: string;
  /** Port to bind. @default 0 (a free port) */
  port?: number;
}

/** A running fake; see {@link startFakeCrestaApi}. */
export interface FakeCrestaApi {
  /** Base URL, e.g. `http://127.0.0.1:41234`; usable as both `apiDomain` and `authDomain`. */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Queues one-shot answers for a route, used in order before the default behaviour. */
  enqueue(route: FakeRoute, ...responses: FakeResponse[]): void;
  /** Makes every token issued so far invalid, so the API answers 401 to them. */
  revokeTokens(): void;
  /** Requests received on one route. */
  requestsTo(route: FakeRoute): RecordedRequest[];
  /** Forgets recorded requests and queued answers. */
  reset(): void;
  /** Stops the server and closes every connection. */
  close(): Promise<void>;
}

const PSTN_PATH =
  /^\/+v1\/customers\/[^/]+\/profiles\/[^/]+\/virtualAgents\/[^/]+:generatePSTNTransferData$/;
const HANDOFF_PATH = /^\/+v1\/customers\/[^/]+\/profiles\/[^/]+\/handoffs:fetchAIAgentHandoff$/;
const TOKEN_PATH = /^\/+v1\/oauth\/regionalToken$/;

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

function routeOf(path: string): FakeRoute | 'unknown' {
  if (TOKEN_PATH.test(path)) return 'token';
  if (PSTN_PATH.test(path)) return 'pstn';
  if (HANDOFF_PATH.test(path)) return 'handoff';
  return 'unknown';
}

/** The fake's mutable state, shared by its answer functions. */
interface FakeState {
  readonly clients: Record<string, string>;
  readonly apiKeys: string[];
  readonly tokenExpiresIn: number;
  validTokens: Set<string>;
  tokenCounter: number;
}

function authorized(state: FakeState, header: string | undefined, xApiKey: string | undefined) {
  if (xApiKey !== undefined) return state.apiKeys.some((key) => safeEqual(key, xApiKey));
  if (header === undefined) return false;
  if (header.startsWith('Bearer ')) {
    const token = header.slice(7);
    return [...state.validTokens].some((valid) => safeEqual(valid, token));
  }
  if (header.startsWith('ApiKey ')) {
    const key = header.slice(7);
    return state.apiKeys.some((valid) => safeEqual(valid, key));
  }
  return false;
}

/** The token endpoint: Basic client credentials and a JSON client_credentials grant. */
function tokenAnswer(state: FakeState, req: RecordedRequest): FakeResponse {
  const header = req.headers.authorization ?? '';
  const decoded = header.startsWith('Basic ')
    ? Buffer.from(header.slice(6), 'base64').toString('utf8')
    : '';
  const colon = decoded.indexOf(':');
  const id = colon < 0 ? '' : decoded.slice(0, colon);
  const secret = colon < 0 ? '' : decoded.slice(colon + 1);
  const expected = Object.prototype.hasOwnProperty.call(state.clients, id)
    ? state.clients[id]
    : undefined;
  if (expected === undefined || !safeEqual(expected, secret)) {
    return { status: 401, body: { error: 'invalid_client' } };
  }
  const grant = (req.json as { grant_type?: unknown } | undefined)?.grant_type;
  if (grant !== 'client_credentials') {
    return { status: 400, body: { error: 'unsupported_grant_type' } };
  }
  state.tokenCounter += 1;
  const token = `fake-token-${state.tokenCounter}`;
  state.validTokens.add(token);
  return {
    status: 200,
    body: { access_token: token, token_type: 'Bearer', expires_in: state.tokenExpiresIn },
  };
}

/** The default answer of a route when nothing is queued for it. */
function defaultAnswer(
  state: FakeState,
  options: FakeCrestaApiOptions,
  route: FakeRoute | 'unknown',
  req: RecordedRequest,
): FakeResponse {
  if (route === 'unknown' || req.method !== 'POST') {
    return { status: 404, body: { error: `no route for ${req.method} ${req.path}` } };
  }
  if (route === 'token') return tokenAnswer(state, req);
  const xApiKey = req.headers['x-api-key'];
  if (
    !authorized(state, req.headers.authorization, typeof xApiKey === 'string' ? xApiKey : undefined)
  ) {
    return { status: 401, body: { code: 16, message: 'unauthenticated' } };
  }
  if (req.json === undefined) return { status: 400, body: { message: 'body must be JSON' } };
  if (route === 'pstn') {
    return {
      status: 200,
      body: options.pstnResponse ?? { phoneNumber: '+15550100', dtmfSequence: '1234' },
    };
  }
  const correlationId = (req.json as { correlationId?: unknown }).correlationId;
  return {
    status: 200,
    body: {
      handoff: {
        conversation: 'customers/demo/profiles/main/conversations/c-1',
        summary: 'Caller asked to update the billing address.',
        transferTarget: 'pstn:PSTN1',
        ...options.handoff,
        conversationCorrelationId: typeof correlationId === 'string' ? correlationId : '',
      },
    },
  };
}

/** Writes an answer, after its delay (tracked in `timers` so close() can cancel it). */
function send(res: http.ServerResponse, answer: FakeResponse, timers: Set<NodeJS.Timeout>): void {
  const write = (): void => {
    if (answer.destroy === true) {
      res.socket?.destroy();
      return;
    }
    const body =
      answer.body === undefined
        ? ''
        : typeof answer.body === 'string'
          ? answer.body
          : JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(body);
  };
  if (answer.delayMs === undefined || answer.delayMs <= 0) {
    write();
    return;
  }
  const timer = setTimeout(() => {
    timers.delete(timer);
    write();
  }, answer.delayMs);
  timers.add(timer);
}

/** Reads a request whole and records it. */
function record(req: http.IncomingMessage, done: (recorded: RecordedRequest) => void): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    let json: unknown;
    try {
      json = body.length > 0 ? (JSON.parse(body) as unknown) : undefined;
    } catch {
      json = undefined;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    done({
      route: routeOf(path),
      method: req.method ?? '',
      path,
      headers: req.headers,
      body,
      json,
      at: Date.now(),
    });
  });
}

/**
 * Starts a local HTTP fake of Cresta's OAuth token endpoint and the two virtual-agent endpoints, on
 * loopback and a free port. It checks Basic credentials, Bearer tokens and API keys in constant
 * time, records every request, and can be scripted with one-shot answers (statuses, `Retry-After`,
 * delays, dropped connections). Tests, the Lambda's local harness and the benchmark use it.
 *
 * @example
 * ```ts
 * const fake = await startFakeCrestaApi();
 * fake.enqueue('pstn', { status: 503 }, { status: 429, headers: { 'retry-after': '1' } });
 * // ... point apiDomain/authDomain at fake.url ...
 * await fake.close();
 * ```
 */
export async function startFakeCrestaApi(
  options: FakeCrestaApiOptions = {},
): Promise<FakeCrestaApi> {
  const state: FakeState = {
    clients: options.clients ?? { 'demo-client': 'demo-secret' },
    apiKeys: options.apiKeys ?? ['demo-api-key'],
    tokenExpiresIn: options.tokenExpiresIn ?? 3600,
    validTokens: new Set<string>(),
    tokenCounter: 0,
  };
  const queues: Record<FakeRoute, FakeResponse[]> = { token: [], pstn: [], handoff: [] };
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    record(req, (recorded) => {
      requests.push(recorded);
      const queued = recorded.route === 'unknown' ? undefined : queues[recorded.route].shift();
      send(res, queued ?? defaultAnswer(state, options, recorded.route, recorded), timers);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    requests,
    enqueue(route, ...responses) {
      queues[route].push(...responses);
    },
    revokeTokens() {
      state.validTokens = new Set();
    },
    requestsTo(route) {
      return requests.filter((request) => request.route === route);
    },
    reset() {
      requests.length = 0;
      for (const queue of Object.values(queues)) queue.length = 0;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

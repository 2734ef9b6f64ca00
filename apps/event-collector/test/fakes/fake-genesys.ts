import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * A faithful local fake of the parts of Genesys Cloud the collector uses: the OAuth login, the
 * Notifications REST API, the operational-event definitions and history query, and the channel
 * WebSocket (heartbeats, ping/pong, socket_closing, expiry, drops). One HTTP server on loopback
 * serves all of them (login, API and WebSocket), plus `/__fake/*` controls for manual use.
 */

export interface FakeGenesysOptions {
  clientId?: string;
  clientSecret?: string;
  /** `expires_in` of issued tokens. @default 86400 */
  tokenTtlS?: number;
  /** Channel lifetime. @default 24 h */
  channelTtlMs?: number;
  /** @default 30000 */
  heartbeatIntervalMs?: number;
  /** Time between socket_closing and the server closing the socket. @default 60000 */
  closingGraceMs?: number;
  /** Definitions served by `/api/v2/usage/events/definitions`. */
  definitions?: { id: string; name?: string; description?: string }[];
  /** Topics answered as Rejected (with ignoreErrors) or 400 (without). */
  rejectedTopics?: Record<string, { reason: string; missingPermissions: string[] }>;
  /** Whether the history query answers 403. @default false */
  queryForbidden?: boolean;
  /** Whether the definitions API answers 403. @default false */
  definitionsForbidden?: boolean;
  /** How an unknown channel's upgrade is refused. @default 'http404' */
  unknownChannelMode?: 'http404' | 'result404';
  /** REST requests allowed per token per minute before 429. @default Infinity */
  rateLimitPerMinute?: number;
  /** Transports listed for v2.operations.events.{id}. @default ['Websocket','EventBridge'] */
  operationsTransports?: string[];
}

interface Token {
  value: string;
  expiresAt: number;
  revoked: boolean;
  requests: number[];
}

interface FakeChannel {
  id: string;
  createdBy: string;
  expiresAt: number;
  lastUsed: number;
  topics: Set<string>;
  socket: WebSocket | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  heartbeat: NodeJS.Timeout | undefined;
  stalled: boolean;
}

/** An event as the history query stores it (`OperationalEvent`). */
export interface StoredEvent {
  topic: string;
  body: Record<string, unknown>;
  publishedAt: number;
}

/** One request as the fake saw it (for assertions). */
export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  body: string;
  auth: string | undefined;
  status: number;
  /** When the request arrived (epoch ms). */
  at: number;
}

type Injected = { status: number; headers?: Record<string, string>; body?: unknown };
type FailPoint = 'login' | 'createChannel' | 'subscribe' | 'head' | 'query';

const CHANNEL_LIMIT = 20;
const TOPIC_LIMIT = 1000;

/** Builds a realistic operational-event notification body. */
export function audioHookBody(
  n: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    eventEntity: {
      id: 'AUDIOHOOK-0001',
      name: 'AudioHook connection failure',
      description: 'The AudioHook client could not connect to the server.',
    },
    entityId: '0f8f91f9-a27d-4ddf-9026-7e1e3a8d73a6',
    entityName: 'My AudioHook Monitor',
    entityType: 'integration',
    conversationId: `34c18827-77a6-4970-ad66-${String(n).padStart(12, '0')}`,
    errorCode: 'CONNECT_FAILED',
    previousValue: '',
    currentValue: 'error',
    parentEntity: '8a6c6f1e-2b1f-4c4e-9a57-1f0d8b1c2d3e',
    entityToken: 'tok-1',
    version: '3',
    timestamp: Date.now(),
    ...overrides,
  };
}

/**
 * The fake itself. Start with {@link FakeGenesys.start}; point the collector's login and API base
 * URLs at {@link FakeGenesys.baseUrl}.
 */
export class FakeGenesys {
  readonly o: Required<Omit<FakeGenesysOptions, 'definitions' | 'rejectedTopics'>> & {
    definitions: { id: string; name?: string; description?: string }[];
    rejectedTopics: Record<string, { reason: string; missingPermissions: string[] }>;
  };
  readonly tokens = new Map<string, Token>();
  readonly channels = new Map<string, FakeChannel>();
  readonly requests: LoggedRequest[] = [];
  readonly store: StoredEvent[] = [];
  /** Every channel id ever created, in order. */
  readonly created: string[] = [];
  /** Frames sent to clients (events only), per channel id. */
  readonly delivered = new Map<string, number>();
  /** Client frames received (pings etc.). */
  readonly clientFrames: string[] = [];
  tokensIssued = 0;
  respondToPing = true;
  private server: Server | undefined;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<Socket>();
  private readonly failures = new Map<FailPoint, Injected[]>();
  private readonly closingTimers = new Set<NodeJS.Timeout>();
  private lastEvent: { topic: string; body: Record<string, unknown> } | undefined;
  private queryCache: { key: string; matches: StoredEvent[] } | undefined;

  constructor(options: FakeGenesysOptions = {}) {
    this.o = {
      clientId: options.clientId ?? 'client-id',
      clientSecret: options.clientSecret ?? 'client-secret',
      tokenTtlS: options.tokenTtlS ?? 86_400,
      channelTtlMs: options.channelTtlMs ?? 24 * 3_600_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 30_000,
      closingGraceMs: options.closingGraceMs ?? 60_000,
      definitions: options.definitions ?? [
        { id: 'AUDIOHOOK-0001', name: 'AudioHook connection failure', description: 'd1' },
        { id: 'AUDIOHOOK-0002', name: 'AudioHook protocol error', description: 'd2' },
        { id: 'TRANSCRIPTION-0001', name: 'Transcription connector error', description: 'd3' },
      ],
      rejectedTopics: options.rejectedTopics ?? {},
      queryForbidden: options.queryForbidden ?? false,
      definitionsForbidden: options.definitionsForbidden ?? false,
      unknownChannelMode: options.unknownChannelMode ?? 'http404',
      rateLimitPerMinute: options.rateLimitPerMinute ?? Infinity,
      operationsTransports: options.operationsTransports ?? ['Websocket', 'EventBridge'],
    };
  }

  /** `http://127.0.0.1:<port>`: use it as both the login and the API base URL. */
  baseUrl = '';

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      void this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) this.json(res, 500, { message: String(err) });
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket as Socket, head));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const t of this.closingTimers) clearTimeout(t);
    for (const ch of this.channels.values()) this.forget(ch, 1001);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  // ---- test controls -------------------------------------------------------------------------

  /** The next `count` calls of `point` get this response instead. */
  failNext(point: FailPoint, response: Injected, count = 1): void {
    const list = this.failures.get(point) ?? [];
    for (let i = 0; i < count; i += 1) list.push(response);
    this.failures.set(point, list);
  }

  /** Revokes every issued token (later API calls with them get 401). */
  revokeTokens(): void {
    for (const t of this.tokens.values()) t.revoked = true;
  }

  /**
   * Publishes one event: stored for the history query, and delivered to every connected channel
   * subscribed to the topic. Returns how many sockets it went to.
   */
  publish(topic: string, body: Record<string, unknown>): number {
    this.store.push({ topic, body, publishedAt: Date.now() });
    this.lastEvent = { topic, body };
    const frame = JSON.stringify({
      topicName: topic,
      version: '2',
      eventBody: body,
      metadata: { CorrelationId: randomUUID() },
    });
    let n = 0;
    for (const ch of this.channels.values()) {
      if (ch.topics.has(topic) && ch.socket && !ch.stalled) {
        this.send(ch, frame);
        this.delivered.set(ch.id, (this.delivered.get(ch.id) ?? 0) + 1);
        n += 1;
      }
    }
    return n;
  }

  /**
   * Publishes many events as fast as the sockets take them (waits for socket buffers to drain
   * every `chunk` events, so memory stays bounded).
   */
  async publishMany(
    topic: string,
    bodies: Iterable<Record<string, unknown>>,
    opts: { chunk?: number; onProgress?: (sent: number) => void | Promise<void> } = {},
  ): Promise<number> {
    const chunk = opts.chunk ?? 500;
    let sent = 0;
    for (const body of bodies) {
      this.publish(topic, body);
      sent += 1;
      if (sent % chunk === 0) {
        await opts.onProgress?.(sent);
        await this.drained();
      }
    }
    await this.drained();
    return sent;
  }

  /** Resends the last published event (a duplicate delivery). */
  duplicateLast(): void {
    if (this.lastEvent) {
      const { topic, body } = this.lastEvent;
      const frame = JSON.stringify({
        topicName: topic,
        version: '2',
        eventBody: body,
        metadata: { CorrelationId: randomUUID() },
      });
      for (const ch of this.channels.values())
        if (ch.topics.has(topic) && ch.socket) this.send(ch, frame);
    }
  }

  /** Sends `v2.system.socket_closing` on every connected channel, then closes after the grace. */
  socketClosing(graceMs = this.o.closingGraceMs): void {
    for (const ch of this.channels.values()) {
      const ws = ch.socket;
      if (!ws) continue;
      this.send(
        ch,
        JSON.stringify({
          topicName: 'v2.system.socket_closing',
          version: '2',
          eventBody: { message: 'The socket will close soon' },
        }),
      );
      const t = setTimeout(() => {
        this.closingTimers.delete(t);
        if (ch.socket === ws) ws.close(1001, 'maintenance');
      }, graceMs);
      this.closingTimers.add(t);
    }
  }

  /** Sends a `v2.system.*` message with the given `systemTopicType`. */
  systemMessage(systemTopicType: string, reason = 'another_channel_subscribed'): void {
    for (const ch of this.channels.values()) {
      this.send(
        ch,
        JSON.stringify({
          topicName: 'v2.system.no_longer_subscribed',
          version: '2',
          eventBody: { channelId: ch.id, systemTopicType, reason },
        }),
      );
    }
  }

  /** Expires every channel now (closing its socket with `code`). */
  expireChannels(code = 1000): void {
    for (const ch of [...this.channels.values()]) this.forget(ch, code);
  }

  /** Destroys every channel socket's TCP connection without a close frame (client sees 1006). */
  dropConnections(): void {
    for (const ch of this.channels.values()) {
      const ws = ch.socket;
      if (!ws) continue;
      ch.socket = undefined;
      ws.terminate();
    }
  }

  /** Half-open stall: the sockets stay up but nothing (heartbeats, pongs, events) is sent. */
  stall(on = true): void {
    for (const ch of this.channels.values()) ch.stalled = on;
  }

  /** Sends raw text (or a binary frame) to every connected socket. */
  sendRaw(data: string | Buffer): void {
    for (const ch of this.channels.values()) if (ch.socket) ch.socket.send(data);
  }

  /** Connected channel sockets. */
  connectedChannels(): string[] {
    return [...this.channels.values()].filter((c) => c.socket).map((c) => c.id);
  }

  /** Requests to a path (method optional). */
  requestsTo(path: string | RegExp, method?: string): LoggedRequest[] {
    return this.requests.filter(
      (r) =>
        (typeof path === 'string' ? r.path === path : path.test(r.path)) &&
        (method === undefined || r.method === method),
    );
  }

  /** A JSON dump of the fake's state. */
  state(): unknown {
    return {
      channels: [...this.channels.values()].map((c) => ({
        id: c.id,
        expires: new Date(c.expiresAt).toISOString(),
        topics: [...c.topics],
        connected: c.socket !== undefined,
      })),
      created: this.created.length,
      tokensIssued: this.tokensIssued,
      stored: this.store.length,
      requests: this.requests.slice(-200),
    };
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const body = await readBody(req);
    res.setHeader('ININ-Correlation-Id', randomUUID());
    const log: LoggedRequest = {
      method: req.method ?? '',
      path: url.pathname,
      query: url.search,
      body,
      auth: req.headers.authorization,
      status: 0,
      at: Date.now(),
    };
    this.requests.push(log);
    const origEnd = res.end.bind(res);
    res.end = ((...args: Parameters<ServerResponse['end']>) => {
      log.status = res.statusCode;
      return origEnd(...args);
    }) as ServerResponse['end'];

    if (url.pathname.startsWith('/__fake/')) return this.control(url, body, res);
    if (url.pathname === '/oauth/token' && req.method === 'POST') return this.login(req, body, res);
    if (!url.pathname.startsWith('/api/v2/')) return this.json(res, 404, { message: 'not found' });

    const token = this.authorize(req, res);
    if (!token) return;
    if (this.rateLimited(token, res)) return;

    const p = url.pathname;
    const m = req.method;
    let match: RegExpExecArray | null;
    if (p === '/api/v2/notifications/channels' && m === 'POST')
      return this.createChannel(token, res);
    if (p === '/api/v2/notifications/channels' && m === 'GET') {
      return this.json(res, 200, {
        entities: [...this.channels.values()].map((c) => this.channelJson(c)),
      });
    }
    if (
      (match = /^\/api\/v2\/notifications\/channels\/([^/]+)$/.exec(p)) &&
      (m === 'HEAD' || m === 'GET')
    ) {
      if (this.inject('head', res)) return;
      const ch = this.live(decodeURIComponent(match[1] ?? ''));
      if (!ch) return this.json(res, 404, { message: 'channel not found' });
      return this.json(res, 200, this.channelJson(ch));
    }
    if ((match = /^\/api\/v2\/notifications\/channels\/([^/]+)\/subscriptions$/.exec(p))) {
      return this.subscriptions(decodeURIComponent(match[1] ?? ''), m ?? '', url, body, res);
    }
    if (p === '/api/v2/notifications/availabletopics' && m === 'GET') {
      return this.json(res, 200, {
        entities: [
          {
            id: 'v2.operations.events.{id}',
            description: 'Operational events from various services',
            transports: this.o.operationsTransports,
            requiresPermissions: [],
          },
          { id: 'v2.users.{id}.presence', description: 'presence', transports: ['Websocket'] },
        ],
      });
    }
    if (p === '/api/v2/usage/events/definitions' && m === 'GET') {
      if (this.o.definitionsForbidden)
        return this.json(res, 403, { message: 'missing usage:events:view' });
      return this.json(res, 200, { entities: this.o.definitions });
    }
    if (p === '/api/v2/usage/events/query' && m === 'POST') return this.query(url, body, res);
    return this.json(res, 404, { message: `no route ${m} ${p}` });
  }

  private login(req: IncomingMessage, body: string, res: ServerResponse): void {
    if (this.inject('login', res)) return;
    const expected = Buffer.from(
      `Basic ${Buffer.from(`${this.o.clientId}:${this.o.clientSecret}`).toString('base64')}`,
    );
    const got = Buffer.from(req.headers.authorization ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      return this.json(res, 401, { error: 'invalid_client', description: 'bad credentials' });
    }
    if (!/^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
      return this.json(res, 400, { error: 'invalid_request' });
    }
    if (new URLSearchParams(body).get('grant_type') !== 'client_credentials') {
      return this.json(res, 400, { error: 'unsupported_grant_type' });
    }
    const value = randomBytes(24).toString('base64url');
    this.tokens.set(value, {
      value,
      expiresAt: Date.now() + this.o.tokenTtlS * 1000,
      revoked: false,
      requests: [],
    });
    this.tokensIssued += 1;
    this.json(res, 200, {
      access_token: value,
      token_type: 'bearer',
      expires_in: this.o.tokenTtlS,
    });
  }

  private authorize(req: IncomingMessage, res: ServerResponse): Token | undefined {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const t = m ? this.tokens.get(m[1] ?? '') : undefined;
    if (!t || t.revoked || Date.now() >= t.expiresAt) {
      this.json(res, 401, {
        message: 'Invalid login credentials.',
        code: 'bad.credentials',
        status: 401,
      });
      return undefined;
    }
    return t;
  }

  private rateLimited(t: Token, res: ServerResponse): boolean {
    const now = Date.now();
    t.requests = t.requests.filter((x) => now - x < 60_000);
    t.requests.push(now);
    if (t.requests.length <= this.o.rateLimitPerMinute) return false;
    res.setHeader('Retry-After', '1');
    res.setHeader('inin-ratelimit-allowed', String(this.o.rateLimitPerMinute));
    res.setHeader('inin-ratelimit-count', String(t.requests.length));
    res.setHeader('inin-ratelimit-reset', '1');
    this.json(res, 429, { message: 'Rate limit exceeded', status: 429 });
    return true;
  }

  private createChannel(token: Token, res: ServerResponse): void {
    if (this.inject('createChannel', res)) return;
    if (this.channels.size >= CHANNEL_LIMIT) {
      // The 21st channel evicts the least recently used one, unconnected channels first.
      const victim = [...this.channels.values()].sort(
        (a, b) =>
          Number(a.socket !== undefined) - Number(b.socket !== undefined) ||
          a.lastUsed - b.lastUsed,
      )[0];
      if (victim) this.forget(victim, 1000);
    }
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const id = `streaming-0-${Array.from(randomBytes(26), (b) => alphabet[b % 36]).join('')}`;
    const ch: FakeChannel = {
      id,
      createdBy: token.value,
      expiresAt: Date.now() + this.o.channelTtlMs,
      lastUsed: Date.now(),
      topics: new Set(),
      socket: undefined,
      expiryTimer: undefined,
      heartbeat: undefined,
      stalled: false,
    };
    this.armExpiry(ch);
    this.channels.set(id, ch);
    this.created.push(id);
    this.json(res, 200, this.channelJson(ch));
  }

  private subscriptions(
    id: string,
    method: string,
    url: URL,
    body: string,
    res: ServerResponse,
  ): void {
    const ch = this.live(id);
    if (!ch) return this.json(res, 404, { message: 'channel not found' });
    if (method === 'GET')
      return this.json(res, 200, {
        entities: [...ch.topics].map((t) => ({ id: t, state: 'Permitted' })),
      });
    if (method === 'DELETE') {
      ch.topics.clear();
      res.writeHead(204).end();
      return;
    }
    if (method !== 'PUT' && method !== 'POST')
      return this.json(res, 405, { message: 'method not allowed' });
    if (this.inject('subscribe', res)) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return this.json(res, 400, { message: 'body is not JSON' });
    }
    if (
      !Array.isArray(parsed) ||
      !parsed.every(
        (t) =>
          typeof t === 'object' && t !== null && typeof (t as { id?: unknown }).id === 'string',
      )
    ) {
      return this.json(res, 400, {
        message: 'The request body must be an array of {"id": "<topic>"} objects.',
      });
    }
    const ids = (parsed as { id: string }[]).map((t) => t.id);
    if (ids.length > TOPIC_LIMIT) return this.json(res, 400, { message: 'too many topics' });
    const ignoreErrors = url.searchParams.get('ignoreErrors') === 'true';
    const results = ids.map((t) => {
      const rejected = this.o.rejectedTopics[t];
      if (rejected)
        return {
          id: t,
          state: 'Rejected',
          rejectionReason: rejected.reason,
          missingPermissions: rejected.missingPermissions,
        };
      if (t === 'channel.metadata' || t.startsWith('v2.system.'))
        return { id: t, state: 'Rejected', rejectionReason: 'system topics cannot be subscribed' };
      if (!/^v2\.operations\.events\.[A-Za-z0-9_-]+$/.test(t))
        return { id: t, state: 'Rejected', rejectionReason: 'unknown topic' };
      return { id: t, state: 'Permitted' };
    });
    if (!ignoreErrors && results.some((r) => r.state !== 'Permitted')) {
      return this.json(res, 400, {
        message: 'One or more topics are invalid or not permitted.',
        status: 400,
      });
    }
    const permitted = results.filter((r) => r.state === 'Permitted').map((r) => r.id);
    if (method === 'PUT') ch.topics = new Set(permitted);
    else for (const t of permitted) ch.topics.add(t);
    ch.expiresAt = Date.now() + this.o.channelTtlMs;
    ch.lastUsed = Date.now();
    this.armExpiry(ch);
    this.json(res, 200, {
      entities: results.map((r) => ({
        ...r,
        selfUri: `/api/v2/notifications/channels/${ch.id}/subscriptions`,
      })),
    });
  }

  private query(url: URL, body: string, res: ServerResponse): void {
    if (this.inject('query', res)) return;
    if (this.o.queryForbidden) return this.json(res, 403, { message: 'missing usage:events:view' });
    let req: { interval?: string; eventDefinitionIds?: string[]; sortOrder?: string };
    try {
      req = JSON.parse(body) as typeof req;
    } catch {
      return this.json(res, 400, { message: 'body is not JSON' });
    }
    const [from, to] = (req.interval ?? '').split('/').map((s) => Date.parse(s));
    if (from === undefined || to === undefined || !Number.isFinite(from) || !Number.isFinite(to)) {
      return this.json(res, 400, { message: 'interval must be start/end ISO-8601' });
    }
    const pageSize = Math.min(200, Number(url.searchParams.get('pageSize') ?? 25));
    const after = Number(url.searchParams.get('after') ?? 0);
    const ids = new Set(req.eventDefinitionIds ?? []);
    // Paging re-sends the same query: filter the store once per query, not once per page.
    const cacheKey = body;
    if (this.queryCache?.key !== cacheKey) {
      let found = this.store.filter((e) => {
        const ts = Number(e.body['timestamp']);
        const def = (e.body['eventEntity'] as { id?: string } | undefined)?.id ?? '';
        return ts >= from && ts <= to && (ids.size === 0 || ids.has(def));
      });
      if ((req.sortOrder ?? 'DESC') === 'DESC') found = found.reverse();
      this.queryCache = { key: cacheKey, matches: found };
    }
    const matches = this.queryCache.matches;
    const page = matches.slice(after, after + pageSize).map((e) => ({ e }));
    const next = after + pageSize < matches.length ? after + pageSize : undefined;
    this.json(res, 200, {
      entities: page.map(({ e }) => toOperationalEvent(e.body)),
      ...(next === undefined
        ? {}
        : { nextUri: `/api/v2/usage/events/query?pageSize=${pageSize}&after=${next}` }),
      selfUri: '/api/v2/usage/events/query',
    });
  }

  private control(url: URL, body: string, res: ServerResponse): void {
    const p = url.pathname.slice('/__fake/'.length);
    const json = (): Record<string, unknown> => {
      try {
        return JSON.parse(body || '{}') as Record<string, unknown>;
      } catch {
        return {};
      }
    };
    switch (p) {
      case 'state':
        return this.json(res, 200, this.state());
      case 'publish': {
        const b = json();
        const n = Number(b['n'] ?? Date.now() % 1_000_000);
        const bodyToSend =
          (b['body'] as Record<string, unknown> | undefined) ??
          audioHookBody(n, { timestamp: Date.now() });
        const id =
          (bodyToSend['eventEntity'] as { id?: string } | undefined)?.id ?? 'AUDIOHOOK-0001';
        const delivered = this.publish(
          String(b['topic'] ?? `v2.operations.events.${id}`),
          bodyToSend,
        );
        return this.json(res, 200, { delivered });
      }
      case 'publish-many': {
        // For the benchmark: publish `count` events as fast as the sockets take them, optionally
        // dropping every connection (1006) after `dropAfter` of them.
        const b = json();
        const count = Number(b['count'] ?? 1000);
        const start = Number(b['start'] ?? 0);
        const dropAfter = b['dropAfter'] === undefined ? undefined : Number(b['dropAfter']);
        const topic = String(b['topic'] ?? 'v2.operations.events.AUDIOHOOK-0001');
        const t0 = Date.now();
        const bodies = function* (): Generator<Record<string, unknown>> {
          for (let i = start; i < start + count; i += 1) yield audioHookBody(i);
        };
        void this.publishMany(topic, bodies(), {
          onProgress: (sent) => {
            if (dropAfter !== undefined && sent === dropAfter) this.dropConnections();
          },
        }).then((published) => this.json(res, 200, { published, ms: Date.now() - t0 }));
        return;
      }
      case 'socket-closing':
        this.socketClosing(Number(json()['graceMs'] ?? this.o.closingGraceMs));
        return this.json(res, 200, { ok: true });
      case 'drop':
        this.dropConnections();
        return this.json(res, 200, { ok: true });
      case 'expire':
        this.expireChannels();
        return this.json(res, 200, { ok: true });
      case 'revoke':
        this.revokeTokens();
        return this.json(res, 200, { ok: true });
      default:
        return this.json(res, 404, { message: 'unknown control' });
    }
  }

  // ---- WebSocket ------------------------------------------------------------------------------

  private upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const m = /^\/channels\/([^/?]+)/.exec(req.url ?? '');
    const ch = m ? this.live(decodeURIComponent(m[1] ?? '')) : undefined;
    if (!ch && this.o.unknownChannelMode === 'http404') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (!ch) {
        ws.send(JSON.stringify({ result: '404', status: 'channel not found' }));
        ws.close(1000);
        return;
      }
      // One connection per channel: a new connection replaces the old one.
      ch.socket?.close(1000, 'replaced by a new connection');
      ch.socket = ws;
      ch.lastUsed = Date.now();
      ch.stalled = false;
      if (ch.heartbeat) clearInterval(ch.heartbeat);
      ch.heartbeat = setInterval(() => {
        if (!ch.stalled)
          this.send(
            ch,
            JSON.stringify({
              topicName: 'channel.metadata',
              eventBody: { message: 'WebSocket Heartbeat' },
            }),
          );
      }, this.o.heartbeatIntervalMs);
      ws.on('message', (data) => {
        const text = data.toString();
        this.clientFrames.push(text);
        if (text.includes('"ping"') && this.respondToPing && !ch.stalled) {
          this.send(
            ch,
            JSON.stringify({ topicName: 'channel.metadata', eventBody: { message: 'pong' } }),
          );
        }
      });
      ws.on('close', () => {
        if (ch.socket === ws) {
          ch.socket = undefined;
          if (ch.heartbeat) clearInterval(ch.heartbeat);
          ch.heartbeat = undefined;
        }
      });
      ws.on('error', () => undefined);
    });
  }

  private send(ch: FakeChannel, frame: string): void {
    const ws = ch.socket;
    if (!ws || ws.readyState !== ws.OPEN) return;
    ws.send(frame);
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        const busy = [...this.channels.values()].some(
          (c) => c.socket && c.socket.bufferedAmount > 1 << 20,
        );
        if (busy) setTimeout(check, 2);
        else resolve();
      };
      check();
    });
  }

  private live(id: string): FakeChannel | undefined {
    const ch = this.channels.get(id);
    if (!ch) return undefined;
    if (Date.now() >= ch.expiresAt) {
      this.forget(ch, 1000);
      return undefined;
    }
    return ch;
  }

  private armExpiry(ch: FakeChannel): void {
    if (ch.expiryTimer) clearTimeout(ch.expiryTimer);
    ch.expiryTimer = setTimeout(
      () => this.forget(ch, 1000),
      Math.max(0, ch.expiresAt - Date.now()),
    );
  }

  private forget(ch: FakeChannel, code: number): void {
    if (ch.expiryTimer) clearTimeout(ch.expiryTimer);
    if (ch.heartbeat) clearInterval(ch.heartbeat);
    ch.expiryTimer = undefined;
    ch.heartbeat = undefined;
    this.channels.delete(ch.id);
    const ws = ch.socket;
    ch.socket = undefined;
    ws?.close(code, 'channel expired');
  }

  private inject(point: FailPoint, res: ServerResponse): boolean {
    const next = this.failures.get(point)?.shift();
    if (!next) return false;
    for (const [k, v] of Object.entries(next.headers ?? {})) res.setHeader(k, v);
    this.json(
      res,
      next.status,
      next.body ?? { message: `injected ${next.status}`, status: next.status },
    );
    return true;
  }

  private channelJson(c: FakeChannel): Record<string, unknown> {
    const port = new URL(this.baseUrl).port;
    return {
      id: c.id,
      connectUri: `ws://127.0.0.1:${port}/channels/${c.id}`,
      expires: new Date(c.expiresAt).toISOString(),
    };
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  }
}

/** The history-query shape of a stored notification body. */
function toOperationalEvent(body: Record<string, unknown>): Record<string, unknown> {
  const ent = body['eventEntity'] as { id?: string; name?: string } | undefined;
  const out: Record<string, unknown> = {
    eventDefinition: {
      id: ent?.id,
      name: ent?.name,
      selfUri: `/api/v2/usage/events/definitions/${ent?.id}`,
    },
    dateCreated: new Date(Number(body['timestamp'])).toISOString(),
  };
  const copy = (from: string, to = from): void => {
    if (body[from] !== undefined) out[to] = body[from];
  };
  copy('entityId');
  copy('entityName');
  copy('entityToken');
  copy('previousValue');
  copy('currentValue');
  copy('errorCode');
  copy('parentEntity', 'parentEntityId');
  copy('version', 'entityVersion');
  if (typeof body['conversationId'] === 'string')
    out['conversation'] = { id: body['conversationId'] };
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

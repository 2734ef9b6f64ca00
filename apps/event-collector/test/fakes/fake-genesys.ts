import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { fakeControl } from './genesys-controls';
import { audioHookBody, EventHistory, type StoredEvent } from './genesys-events';
import { type LoggedRequest, readBody, sendJson } from './genesys-http';
import { FakeLogin, type Token } from './genesys-login';
import { availableTopics, judgeTopics, type TopicRejections } from './genesys-topics';

export { audioHookBody, type LoggedRequest, type StoredEvent };

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
  rejectedTopics?: TopicRejections;
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

type Injected = { status: number; headers?: Record<string, string>; body?: unknown };
type FailPoint = 'login' | 'createChannel' | 'subscribe' | 'head' | 'query';

const CHANNEL_LIMIT = 20;

/**
 * The fake itself. Start with {@link FakeGenesys.start}; point the collector's login and API base
 * URLs at {@link FakeGenesys.baseUrl}.
 */
export class FakeGenesys {
  readonly o: Required<Omit<FakeGenesysOptions, 'definitions' | 'rejectedTopics'>> & {
    definitions: { id: string; name?: string; description?: string }[];
    rejectedTopics: TopicRejections;
  };
  readonly channels = new Map<string, FakeChannel>();
  readonly requests: LoggedRequest[] = [];
  readonly history = new EventHistory();
  /** Every published event, for the history query. */
  readonly store: StoredEvent[] = this.history.store;
  /** Every channel id ever created, in order. */
  readonly created: string[] = [];
  /** Frames sent to clients (events only), per channel id. */
  readonly delivered = new Map<string, number>();
  /** Client frames received (pings etc.). */
  readonly clientFrames: string[] = [];
  readonly auth: FakeLogin;
  /** Every access token issued. */
  get tokens(): ReadonlyMap<string, Token> {
    return this.auth.tokens;
  }
  get tokensIssued(): number {
    return this.auth.tokensIssued;
  }
  respondToPing = true;
  /** When set, the `expires` every channel reports instead of its own (a broken server). */
  reportedExpires: string | undefined;
  private server: Server | undefined;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<Socket>();
  private readonly failures = new Map<FailPoint, Injected[]>();
  private readonly closingTimers = new Set<NodeJS.Timeout>();
  private lastEvent: { topic: string; body: Record<string, unknown> } | undefined;

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
    this.auth = new FakeLogin(this.o);
  }

  /** `http://127.0.0.1:<port>`: use it as both the login and the API base URL. */
  baseUrl = '';

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      void this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { message: String(err) });
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
    this.auth.revokeAll();
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

    if (url.pathname.startsWith('/__fake/'))
      return fakeControl(this, url.pathname.slice('/__fake/'.length), body, res);
    if (url.pathname === '/oauth/token' && req.method === 'POST') return this.login(req, body, res);
    if (!url.pathname.startsWith('/api/v2/')) return sendJson(res, 404, { message: 'not found' });

    const token = this.auth.authorize(req, res);
    if (!token) return;
    if (this.auth.rateLimited(token, res)) return;

    const p = url.pathname;
    const m = req.method;
    let match: RegExpExecArray | null;
    if (p === '/api/v2/notifications/channels' && m === 'POST')
      return this.createChannel(token, res);
    if (p === '/api/v2/notifications/channels' && m === 'GET') {
      return sendJson(res, 200, {
        entities: [...this.channels.values()].map((c) => this.channelJson(c)),
      });
    }
    if (
      (match = /^\/api\/v2\/notifications\/channels\/([^/]+)$/.exec(p)) &&
      (m === 'HEAD' || m === 'GET')
    ) {
      if (this.inject('head', res)) return;
      const ch = this.live(decodeURIComponent(match[1] ?? ''));
      if (!ch) return sendJson(res, 404, { message: 'channel not found' });
      return sendJson(res, 200, this.channelJson(ch));
    }
    if ((match = /^\/api\/v2\/notifications\/channels\/([^/]+)\/subscriptions$/.exec(p))) {
      return this.subscriptions(decodeURIComponent(match[1] ?? ''), m ?? '', url, body, res);
    }
    if (p === '/api/v2/notifications/availabletopics' && m === 'GET') {
      return sendJson(res, 200, availableTopics(this.o.operationsTransports));
    }
    if (p === '/api/v2/usage/events/definitions' && m === 'GET') {
      if (this.o.definitionsForbidden)
        return sendJson(res, 403, { message: 'missing usage:events:view' });
      return sendJson(res, 200, { entities: this.o.definitions });
    }
    if (p === '/api/v2/usage/events/query' && m === 'POST') return this.query(url, body, res);
    return sendJson(res, 404, { message: `no route ${m} ${p}` });
  }

  private login(req: IncomingMessage, body: string, res: ServerResponse): void {
    if (this.inject('login', res)) return;
    this.auth.login(req, body, res);
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
    sendJson(res, 200, this.channelJson(ch));
  }

  private subscriptions(
    id: string,
    method: string,
    url: URL,
    body: string,
    res: ServerResponse,
  ): void {
    const ch = this.live(id);
    if (!ch) return sendJson(res, 404, { message: 'channel not found' });
    if (method === 'GET')
      return sendJson(res, 200, {
        entities: [...ch.topics].map((t) => ({ id: t, state: 'Permitted' })),
      });
    if (method === 'DELETE') {
      ch.topics.clear();
      res.writeHead(204).end();
      return;
    }
    if (method !== 'PUT' && method !== 'POST')
      return sendJson(res, 405, { message: 'method not allowed' });
    if (this.inject('subscribe', res)) return;
    const judged = judgeTopics(
      body,
      url.searchParams.get('ignoreErrors') === 'true',
      this.o.rejectedTopics,
    );
    if (!('results' in judged)) return sendJson(res, judged.status, judged.body);
    const results = judged.results;
    const permitted = results.filter((r) => r.state === 'Permitted').map((r) => r.id);
    if (method === 'PUT') ch.topics = new Set(permitted);
    else for (const t of permitted) ch.topics.add(t);
    ch.expiresAt = Date.now() + this.o.channelTtlMs;
    ch.lastUsed = Date.now();
    this.armExpiry(ch);
    sendJson(res, 200, {
      entities: results.map((r) => ({
        ...r,
        selfUri: `/api/v2/notifications/channels/${ch.id}/subscriptions`,
      })),
    });
  }

  private query(url: URL, body: string, res: ServerResponse): void {
    if (this.inject('query', res)) return;
    if (this.o.queryForbidden) return sendJson(res, 403, { message: 'missing usage:events:view' });
    const answer = this.history.query(url, body);
    sendJson(res, answer.status, answer.body);
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
    sendJson(
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
      expires: this.reportedExpires ?? new Date(c.expiresAt).toISOString(),
    };
  }
}

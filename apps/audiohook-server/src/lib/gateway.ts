// The network edge: one node:http server with the health/metrics routes and the WebSocket
// upgrade routes, request validation before the upgrade, the two authentication strategies,
// session admission limits and the graceful drain.

import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { UUID_PATTERN, type ServerSession } from '@org/audiohook-protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AuthOutcome, RequestAuthenticator } from './auth';
import type { AgentAssistOptions } from './endpoints/agent-assist';
import { setupAudioHook } from './endpoints/audiohook';
import {
  setupVoiceTranscription,
  type VoiceTranscriptionOptions,
} from './endpoints/voice-transcription';
import { ServerError, ServerErrorCode } from './errors';
import { createHttpRoutes } from './http-routes';
import type { AppLogger } from './logging';
import {
  wireSession,
  type EndpointName,
  type SessionEnvironment,
  type SessionHeaders,
} from './session-wiring';

/** Paths of the WebSocket endpoints. */
export const ENDPOINT_PATHS: Readonly<Record<EndpointName, string>> = {
  audiohook: '/api/v1/audiohook/ws',
  voicetranscription: '/api/v1/voicetranscription/ws',
  loadtest: '/api/v1/loadtest/ws',
};

export interface GatewayOptions {
  readonly host: string;
  readonly port: number;
  readonly maxPayloadBytes: number;
  readonly maxSessions: number;
  readonly authStrategy: 'session' | 'request';
  /** Minimum time before any authentication failure is reported. */
  readonly authFailureDelayMs: number;
  readonly endpoints: {
    readonly loadTest: boolean;
    readonly voiceTranscription: boolean;
    readonly languages: readonly string[];
  };
  readonly drain: { readonly timeoutMs: number; readonly sendReconnect: boolean };
  /** How long sessions get to answer a shutdown `disconnect` before their sockets are closed. */
  readonly disconnectGraceMs?: number;
  readonly authenticator: RequestAuthenticator;
  readonly env: SessionEnvironment;
  readonly logger: AppLogger;
  readonly agentAssist?: AgentAssistOptions;
  /** The speech engine and transcriber settings (voice transcription, agent assist). */
  readonly speech: Omit<VoiceTranscriptionOptions, 'languages'>;
  /** Agent-assist utterances: the demo's fixed ones or the call's transcripts. @default 'demo' */
  readonly agentAssistUtterances?: 'demo' | 'transcripts';
  /**
   * Why new sessions are refused right now (e.g. the recording heartbeat is failing), or
   * `undefined` to take them. Asked at every upgrade, so it must be a field read: refused upgrades
   * get 503 with this text, and `/health` answers 503 meanwhile (`/health/check` stays 200).
   */
  readonly admission?: () => string | undefined;
}

interface Route {
  readonly endpoint: EndpointName;
  readonly authenticate: boolean;
  readonly requireCorrelationId: boolean;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return (Array.isArray(value) ? value[0] : value)?.trim();
}

function reject(socket: Duplex, status: number, body: string): void {
  if (socket.destroyed) return;
  const text = `${body}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
  // Do not wait for a client that never reads.
  setTimeout(() => socket.destroy(), 1000).unref();
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The background authentication of a `session`-strategy upgrade, and when it began. */
interface PendingAuth {
  readonly outcome: Promise<AuthOutcome>;
  /** `Date.now()` when the upgrade arrived: the uniform failure delay counts from it. */
  readonly startedAt: number;
}

/**
 * @example
 * ```ts
 * const gateway = new Gateway(options);
 * const address = await gateway.start();
 * process.once('SIGTERM', () => void gateway.stop());
 * ```
 */
export class Gateway {
  readonly #options: GatewayOptions;
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #routes = new Map<string, Route>();
  readonly #sessions = new Set<ServerSession>();
  #pendingUpgrades = 0;
  #draining = false;
  #started = false;
  #idleWaiters: (() => void)[] = [];
  #stopping: Promise<void> | undefined;

  constructor(options: GatewayOptions) {
    this.#options = options;
    this.#routes.set(ENDPOINT_PATHS.audiohook, {
      endpoint: 'audiohook',
      authenticate: true,
      requireCorrelationId: false,
    });
    if (options.endpoints.voiceTranscription) {
      this.#routes.set(ENDPOINT_PATHS.voicetranscription, {
        endpoint: 'voicetranscription',
        authenticate: true,
        requireCorrelationId: true,
      });
    }
    if (options.endpoints.loadTest) {
      this.#routes.set(ENDPOINT_PATHS.loadtest, {
        endpoint: 'loadtest',
        authenticate: false,
        requireCorrelationId: true,
      });
    }
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayloadBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    const routes = createHttpRoutes({
      draining: () => this.#draining,
      ...(options.admission === undefined ? {} : { refusing: options.admission }),
      details: () => this.details(),
      registry: options.env.metrics.registry,
      websocketPaths: new Set(this.#routes.keys()),
      logger: options.logger,
    });
    this.#server = createServer((req, res) => {
      routes(req, res).catch((error: unknown) => {
        options.logger.error({ err: String(error) }, 'HTTP request failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    this.#server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#onUpgrade(req, socket, head),
    );
    this.#server.on('clientError', (_error, socket: Duplex) => reject(socket, 400, 'bad request'));
  }

  /** Sessions currently connected. */
  get activeSessions(): number {
    return this.#sessions.size;
  }

  /** True once `stop()` was called. */
  get draining(): boolean {
    return this.#draining;
  }

  /** What `GET /health` reports beside the status. */
  details(): Record<string, unknown> {
    return {
      sessions: this.#sessions.size,
      maxSessions: this.#options.maxSessions,
      uptimeSeconds: Math.round(process.uptime()),
      endpoints: [...this.#routes.keys()],
    };
  }

  /** Starts listening. */
  async start(): Promise<AddressInfo> {
    if (this.#started)
      throw new ServerError(ServerErrorCode.State, 'the gateway is already started');
    this.#started = true;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return this.#server.address() as AddressInfo;
  }

  /**
   * Graceful stop: refuse new sessions with 503 (and health turns 503), let open sessions finish for up to
   * `drain.timeoutMs`, then send them `disconnect` (reason `completed`), give them
   * `disconnectGraceMs` to close, and close what is left.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const { logger, drain } = this.#options;
    // Keep listening while draining: load balancers must see the 503 of /health/check, and new
    // upgrades get an explicit 503 instead of a refused connection.
    this.#draining = true;
    logger.info({ sessions: this.#sessions.size, timeoutMs: drain.timeoutMs }, 'draining');
    if (drain.sendReconnect) {
      for (const session of this.#sessions) session.reconnect('server shutting down');
    }
    await this.#waitIdle(drain.timeoutMs);
    if (this.#sessions.size > 0) {
      logger.warn(
        { sessions: this.#sessions.size },
        'drain deadline reached; disconnecting sessions',
      );
      for (const session of this.#sessions) {
        if (!session.disconnect('completed', 'Server shutting down'))
          session.abort(1001, 'server shutting down');
      }
      await this.#waitIdle(this.#options.disconnectGraceMs ?? 5000);
      for (const session of this.#sessions) session.abort(1001, 'server shutting down');
      await this.#waitIdle(2000);
    }
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#wss.close();
    this.#server.closeAllConnections();
    await closed;
  }

  #waitIdle(timeoutMs: number): Promise<void> {
    if (this.#sessions.size === 0 && this.#pendingUpgrades === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#idleWaiters.push(done);
    });
  }

  #checkIdle(): void {
    if (this.#sessions.size > 0 || this.#pendingUpgrades > 0) return;
    for (const waiter of this.#idleWaiters.splice(0)) waiter();
  }

  #onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A reset before the handshake completes must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    const { logger } = this.#options;
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
    const route = this.#routes.get(path);
    if (route === undefined) return reject(socket, 404, 'not found');
    if (this.#draining) return reject(socket, 503, 'server is shutting down');
    const refusal = this.#options.admission?.();
    if (refusal !== undefined) return reject(socket, 503, refusal);
    if (this.#sessions.size + this.#pendingUpgrades >= this.#options.maxSessions) {
      logger.warn({ max: this.#options.maxSessions }, 'session limit reached; refusing upgrade');
      return reject(socket, 503, 'too many sessions');
    }
    const sessionId = header(request, 'audiohook-session-id');
    const organizationId = header(request, 'audiohook-organization-id');
    const correlationId = header(request, 'audiohook-correlation-id');
    const problems: string[] = [];
    if (sessionId === undefined || !UUID_PATTERN.test(sessionId)) {
      problems.push('Audiohook-Session-Id must be a UUID');
    }
    if (organizationId === undefined || !UUID_PATTERN.test(organizationId)) {
      problems.push('Audiohook-Organization-Id must be a UUID');
    }
    if (
      (route.requireCorrelationId || correlationId !== undefined) &&
      (correlationId === undefined || !UUID_PATTERN.test(correlationId))
    ) {
      problems.push('Audiohook-Correlation-Id must be a UUID');
    }
    if (problems.length > 0) {
      logger.info({ path, problems }, 'upgrade refused: bad headers');
      return reject(socket, 400, problems.join('; '));
    }
    const headers: SessionHeaders = {
      sessionId: (sessionId as string).toLowerCase(),
      organizationId: (organizationId as string).toLowerCase(),
      correlationId: correlationId?.toLowerCase(),
    };
    this.#pendingUpgrades++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#pendingUpgrades--;
      this.#checkIdle();
    };
    if (!route.authenticate) {
      this.#accept(request, socket, head, route, headers, undefined, release);
      return;
    }
    const startedAt = Date.now();
    const auth = this.#options.authenticator
      .authenticate(request)
      .catch((error: unknown): AuthOutcome => {
        logger.error(
          {
            sessionId: headers.sessionId,
            err: error instanceof Error ? error.message : String(error),
          },
          'authentication failed with an internal error',
        );
        return { ok: false, code: 'FAILED', info: 'FAILED: Authentication unavailable' };
      });
    if (this.#options.authStrategy === 'session') {
      this.#accept(request, socket, head, route, headers, { outcome: auth, startedAt }, release);
      return;
    }
    void auth.then(async (outcome) => {
      if (outcome.ok) {
        this.#accept(request, socket, head, route, headers, undefined, release);
        return;
      }
      logger.info(
        { sessionId: headers.sessionId, code: outcome.code },
        'upgrade refused: unauthorized',
      );
      await this.#failureDelay(startedAt);
      reject(socket, 401, 'Signature verification failed');
      release();
    });
  }

  #accept(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    route: Route,
    headers: SessionHeaders,
    auth: PendingAuth | undefined,
    release: () => void,
  ): void {
    if (socket.destroyed) {
      release();
      return;
    }
    // When ws refuses the handshake (bad Sec-WebSocket-Version or -Key) it answers and closes the
    // socket without calling back: the close gives the admission slot back.
    socket.once('close', release);
    this.#wss.handleUpgrade(request, socket as Socket, head, (ws: WebSocket) => {
      try {
        this.#startSession(ws, request, route, headers, auth);
      } catch (error) {
        this.#options.logger.error(
          {
            sessionId: headers.sessionId,
            err: error instanceof Error ? error.message : String(error),
          },
          'session set-up failed',
        );
        ws.terminate();
      } finally {
        release();
      }
    });
  }

  #startSession(
    ws: WebSocket,
    request: IncomingMessage,
    route: Route,
    headers: SessionHeaders,
    auth: PendingAuth | undefined,
  ): void {
    const { env, endpoints } = this.#options;
    const options =
      route.endpoint === 'voicetranscription'
        ? { record: true, supportedLanguages: endpoints.languages }
        : route.endpoint === 'loadtest'
          ? { record: false, logLevel: 'warn', events: { enabled: false } }
          : { record: true };
    const { session, logger } = wireSession(ws, request, headers, route.endpoint, env, options);
    if (auth !== undefined) {
      session.addAuthenticator(async () => {
        const outcome = await auth.outcome;
        if (outcome.ok) return true;
        logger.info({ code: outcome.code }, 'session unauthorized');
        return outcome.info;
      });
      this.#endUnauthorized(session, logger, auth);
    }
    if (route.endpoint === 'audiohook') {
      setupAudioHook(session, logger, {
        ...(this.#options.agentAssist === undefined
          ? {}
          : { agentAssist: this.#options.agentAssist }),
        utterances: this.#options.agentAssistUtterances ?? 'demo',
        speech: this.#options.speech,
      });
    }
    if (route.endpoint === 'voicetranscription') {
      setupVoiceTranscription(session, logger, {
        ...this.#options.speech,
        languages: endpoints.languages,
      });
    }
    this.#sessions.add(session);
    session.on('end', () => {
      this.#sessions.delete(session);
      this.#checkIdle();
    });
    logger.info({ path: request.url, remote: request.socket.remoteAddress }, 'session connected');
  }

  /** Waits until `authFailureDelayMs` after `startedAt`: every failure is answered that late. */
  async #failureDelay(startedAt: number): Promise<void> {
    const wait = startedAt + this.#options.authFailureDelayMs - Date.now();
    if (wait > 0) await sleep(wait);
  }

  /**
   * A failed authentication ends the session without waiting for `open`: no earlier than
   * `authFailureDelayMs` after the upgrade began (the same uniform delay as every failure), a
   * session still waiting for `open` gets `disconnect` unauthorized (spec §4.4), so a client that
   * never opens cannot hold a session slot. An `open` that came first is answered by the
   * authenticator in its open pipeline instead, as before.
   */
  #endUnauthorized(session: ServerSession, logger: AppLogger, auth: PendingAuth): void {
    void auth.outcome.then(async (outcome) => {
      if (outcome.ok) return;
      await this.#failureDelay(auth.startedAt);
      if (session.state !== 'PREPARING') return;
      logger.info({ code: outcome.code }, 'session unauthorized before open');
      session.disconnect('unauthorized', outcome.info);
    });
  }
}

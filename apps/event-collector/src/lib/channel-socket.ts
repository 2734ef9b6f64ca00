import type { Logger } from 'pino';
import WebSocket from 'ws';
import { CollectorError, describeError } from './errors';

/** Why a channel socket ended. */
export interface SocketClosed {
  code: number;
  reason: string;
  /** True when the collector closed it on purpose (stop, rollover): no reconnect wanted. */
  intentional: boolean;
  /** Set when the collector killed a socket it judged dead. */
  cause: 'stale' | 'pong-timeout' | 'gone' | 'error' | undefined;
}

export interface ChannelSocketOptions {
  /** The channel's `connectUri`, used verbatim. Secret (it embeds the channel id). */
  connectUri: string;
  /** Reconnect when nothing at all arrived for this long. @default 65000 */
  heartbeatTimeoutMs: number;
  /** Send `{"message":"ping"}` this often; 0 disables. @default 30000 */
  pingIntervalMs: number;
  /** Give up on a ping that got no pong (and no other frame) for this long. @default 10000 */
  pongTimeoutMs: number;
  /** Upgrade timeout. @default 10000 */
  handshakeTimeoutMs: number;
  logger: Logger;
  /**
   * Called with each text frame (`null` for a binary frame). Returning false asks the socket to
   * pause reading until {@link ChannelSocket.resume}: TCP back-pressure instead of dropping.
   */
  onFrame: (text: string | null) => boolean;
  onClose: (closed: SocketClosed) => void;
}

/**
 * One WebSocket connection to one notification channel, with the liveness rules Genesys needs:
 * a watchdog over any incoming frame (heartbeats arrive about every 30 s), and an application
 * ping whose missing pong ends the socket. Reports exactly one {@link SocketClosed}.
 */
export class ChannelSocket {
  readonly #o: ChannelSocketOptions;
  #ws: WebSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #lastFrameAt = 0;
  #lastPingAt = 0;
  #awaitingPongSince: number | undefined;
  #intentional = false;
  #cause: SocketClosed['cause'];
  #closedReported = false;
  #paused = false;

  constructor(options: ChannelSocketOptions) {
    this.#o = options;
  }

  /** When the last frame arrived (epoch ms). */
  get lastFrameAt(): number {
    return this.#lastFrameAt;
  }

  get isOpen(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  /**
   * Connects. Rejects with `COLLECTOR_ERR_CHANNEL_GONE` when the server refuses the upgrade with
   * 404 (unknown or expired channel), `COLLECTOR_ERR_SOCKET` for anything else.
   */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.#o.connectUri, {
        handshakeTimeout: this.#o.handshakeTimeoutMs,
        perMessageDeflate: false,
      });
      this.#ws = ws;
      let opened = false;
      ws.on('open', () => {
        opened = true;
        this.#lastFrameAt = Date.now();
        this.#lastPingAt = Date.now();
        const tick = Math.max(20, Math.min(1000, Math.floor(this.#o.heartbeatTimeoutMs / 5)));
        this.#timer = setInterval(() => this.#check(), tick);
        resolve();
      });
      ws.on('message', (data, isBinary) => {
        this.#lastFrameAt = Date.now();
        this.#awaitingPongSince = undefined;
        const keepReading = this.#o.onFrame(isBinary ? null : rawToString(data));
        if (!keepReading && !this.#paused) {
          this.#paused = true;
          ws.pause();
        }
      });
      ws.on('error', (err) => {
        if (!opened) {
          const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1];
          reject(
            new CollectorError(
              status === '404' ? 'COLLECTOR_ERR_CHANNEL_GONE' : 'COLLECTOR_ERR_SOCKET',
              status
                ? `socket upgrade refused with HTTP ${status}`
                : `socket error: ${err.message}`,
            ),
          );
          return;
        }
        this.#cause ??= 'error';
        this.#o.logger.warn({ err: describeError(err) }, 'socket error');
      });
      ws.on('close', (code, reason) => {
        if (this.#timer) clearInterval(this.#timer);
        this.#timer = undefined;
        if (!opened) {
          reject(
            new CollectorError('COLLECTOR_ERR_SOCKET', `socket closed before opening (${code})`),
          );
          return;
        }
        if (this.#closedReported) return;
        this.#closedReported = true;
        this.#o.onClose({
          code,
          reason: reason.toString('utf8'),
          intentional: this.#intentional,
          cause: this.#cause,
        });
      });
    });
  }

  /** Pauses reading (the producer is congested). */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#ws?.pause();
  }

  /** Resumes reading after {@link pause} or after `onFrame` returned false. */
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    // Time spent paused by us is not the server's silence.
    this.#lastFrameAt = Date.now();
    this.#ws?.resume();
  }

  /** Closes on purpose (no reconnect is wanted for this socket). */
  close(code = 1000, reason = 'collector closing'): Promise<void> {
    this.#intentional = true;
    const ws = this.#ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const force = setTimeout(() => ws.terminate(), 2000);
      ws.once('close', () => {
        clearTimeout(force);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(code, reason);
    });
  }

  /** Drops the connection as dead (the manager will reconnect). */
  kill(cause: 'stale' | 'pong-timeout' | 'gone'): void {
    this.#cause = cause;
    this.#ws?.terminate();
  }

  #check(): void {
    if (this.#paused) return;
    const now = Date.now();
    if (now - this.#lastFrameAt > this.#o.heartbeatTimeoutMs) {
      this.#o.logger.warn(
        { silentMs: now - this.#lastFrameAt },
        'no heartbeat or message within HEARTBEAT_TIMEOUT_MS; reconnecting',
      );
      this.kill('stale');
      return;
    }
    // A pong stuck behind a burst of events is fine: only silence after the ping counts.
    if (
      this.#awaitingPongSince !== undefined &&
      now - this.#awaitingPongSince > this.#o.pongTimeoutMs &&
      now - this.#lastFrameAt > this.#o.pongTimeoutMs
    ) {
      this.#o.logger.warn('ping got no pong within PONG_TIMEOUT_MS; reconnecting');
      this.kill('pong-timeout');
      return;
    }
    if (this.#o.pingIntervalMs > 0 && now - this.#lastPingAt >= this.#o.pingIntervalMs) {
      this.#lastPingAt = now;
      this.#awaitingPongSince ??= now;
      this.#ws?.send('{"message":"ping"}');
    }
  }
}

function rawToString(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

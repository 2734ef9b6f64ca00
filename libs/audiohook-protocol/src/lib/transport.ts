// The abstract transport sessions run over, and an adapter for WebSocket objects shaped like
// `ws` (without importing it: this library does no I/O itself). The in-memory pair for tests is
// in `testing/in-memory-transport.ts`.

import { systemClock, type Clock, type TimerHandle } from './clock';
import { AudioHookError, AudioHookErrorCode, invalidArgument } from './errors';

/**
 * What a transport calls when something arrives. Set once by the session that owns it.
 *
 * @example
 * ```ts
 * const handlers: TransportHandlers = {
 *   onText: (text) => logger.info(text),
 *   onBinary: (data) => logger.info(data.length),
 *   onClose: (code, reason) => logger.info(code, reason),
 * };
 * transport.attach(handlers);
 * ```
 */
export interface TransportHandlers {
  /** A text frame arrived. */
  onText(text: string): void;
  /** A binary frame arrived. */
  onBinary(data: Uint8Array): void;
  /** The connection closed (`code` 1005 when the peer gave none). */
  onClose(code: number, reason: string): void;
  /** The connection reported an error; `onClose` follows. */
  onError?(error: Error): void;
}

/**
 * A message-oriented, ordered, bidirectional connection: a WebSocket in production, an
 * in-memory pair in tests. Sessions call `attach` once, then `sendText` / `sendBinary` / `close`.
 *
 * @example
 * ```ts
 * const transport: AudioHookTransport = fromWebSocket(socket);
 * const session = new ServerSession({ transport });
 * ```
 */
export interface AudioHookTransport {
  /** Registers the owner's handlers. Frames that arrived earlier are delivered now. */
  attach(handlers: TransportHandlers): void;
  /** Sends one text frame. Ignored once the transport is closed. */
  sendText(text: string): void;
  /** Sends one binary frame. Ignored once the transport is closed. */
  sendBinary(data: Uint8Array): void;
  /** Closes the connection (WebSocket close code and reason are optional). */
  close(code?: number, reason?: string): void;
  /**
   * Back-pressure: stops reading from the peer. No handler is called until {@link resume}
   * (frames, and the close, that arrive meanwhile are held in order). Idempotent.
   */
  pause(): void;
  /** Delivers what was held while paused, in order, then reads again. Idempotent. */
  resume(): void;
}

/**
 * The part of a `ws` WebSocket (or any look-alike) that {@link fromWebSocket} uses.
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * const socket: WebSocketLike = new WebSocket(url, { headers });
 * const transport = fromWebSocket(socket);
 * ```
 */
export interface WebSocketLike {
  /** Sends a text (string) or binary (bytes) frame; `callback` reports a failed send. */
  send(data: string | Uint8Array, callback?: (error?: Error) => void): void;
  /** Starts the closing handshake with a close code and reason. */
  close(code?: number, reason?: string): void;
  /** A frame arrived: text frames have `isBinary` false. */
  on(event: 'message', listener: (data: unknown, isBinary: boolean) => void): unknown;
  /** The connection closed (`reason` as bytes or text). */
  on(event: 'close', listener: (code: number, reason: unknown) => void): unknown;
  /** The connection failed. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Stops reading the underlying socket (`ws` has it); without it frames are only held. */
  pause?(): void;
  /** Reads the underlying socket again. */
  resume?(): void;
  /** Destroys the connection at once, without a closing handshake (`ws` has it). */
  terminate?(): void;
}

/**
 * Options of {@link fromWebSocket}.
 *
 * @example
 * ```ts
 * const transport = fromWebSocket(socket, { closeHandshakeTimeoutMs: 2000 });
 * ```
 */
export interface WebSocketTransportOptions {
  /**
   * After `close()`, how long the peer gets to answer the closing handshake before the
   * connection is destroyed with the socket's `terminate()` (when it has one). `ws` itself waits
   * 30 s, during which a peer that never answers keeps its session (and a server's session slot)
   * alive. Default {@link DEFAULT_CLOSE_HANDSHAKE_TIMEOUT_MS}; `0` leaves it to the socket.
   */
  readonly closeHandshakeTimeoutMs?: number;
  /**
   * Most bytes held before `attach` or while paused; past it the connection is destroyed and
   * `onError` gets `AUDIOHOOK_ERR_MESSAGE_TOO_LARGE`. Default {@link DEFAULT_MAX_BACKLOG_BYTES}.
   */
  readonly maxBacklogBytes?: number;
  /** Where the wait is timed; default {@link systemClock}. */
  readonly clock?: Clock;
}

/**
 * Default of {@link WebSocketTransportOptions.maxBacklogBytes}: 16 MiB.
 *
 * @example
 * ```ts
 * fromWebSocket(socket, { maxBacklogBytes: DEFAULT_MAX_BACKLOG_BYTES / 4 });
 * ```
 */
export const DEFAULT_MAX_BACKLOG_BYTES = 16 * 1024 * 1024;

/**
 * Default of {@link WebSocketTransportOptions.closeHandshakeTimeoutMs}: 5 s.
 *
 * @example
 * ```ts
 * // Twice the default for peers on slow links.
 * fromWebSocket(socket, { closeHandshakeTimeoutMs: 2 * DEFAULT_CLOSE_HANDSHAKE_TIMEOUT_MS });
 * ```
 */
export const DEFAULT_CLOSE_HANDSHAKE_TIMEOUT_MS = 5000;

const decoder = new TextDecoder();

function toBytes(data: unknown): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data)) {
    const parts = data.map(toBytes);
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
  if (typeof data === 'string') return new TextEncoder().encode(data);
  return new Uint8Array(0);
}

/** What the socket reported, as data: held in the backlog until the session can take it. */
type SocketEvent =
  | readonly ['text', string]
  | readonly ['binary', Uint8Array]
  | readonly ['close', number, string]
  | readonly ['error', Error];

function deliver(handlers: TransportHandlers, event: SocketEvent): void {
  switch (event[0]) {
    case 'text':
      return handlers.onText(event[1]);
    case 'binary':
      return handlers.onBinary(event[1]);
    case 'close':
      return handlers.onClose(event[1], event[2]);
    case 'error':
      return handlers.onError?.(event[1]);
  }
}

/** Socket events held in order, with the bytes they carry; O(1) at both ends. */
class Backlog {
  #events: SocketEvent[] = [];
  #head = 0;
  #bytes = 0;

  get empty(): boolean {
    return this.#head === this.#events.length;
  }

  /** Holds one more event; returns the bytes now held. */
  push(event: SocketEvent): number {
    this.#events.push(event);
    this.#bytes += sizeOf(event);
    return this.#bytes;
  }

  /** The oldest event (the backlog must not be empty). */
  shift(): SocketEvent {
    const event = this.#events[this.#head] as SocketEvent;
    this.#head += 1;
    this.#bytes -= sizeOf(event);
    if (this.empty) this.clear();
    return event;
  }

  clear(): void {
    this.#events = [];
    this.#head = 0;
    this.#bytes = 0;
  }
}

function sizeOf(event: SocketEvent): number {
  if (event[0] === 'text') return event[1].length;
  return event[0] === 'binary' ? event[1].byteLength : 0;
}

/**
 * Wraps a `ws`-style WebSocket (`on('message', (data, isBinary) => …)`, `send`, `close`) as an
 * {@link AudioHookTransport}. Messages that arrive before a session attaches are buffered.
 * Send failures are reported through `onError` instead of being thrown. A peer that does not
 * answer the closing handshake within `closeHandshakeTimeoutMs` is cut off (see
 * {@link WebSocketTransportOptions}).
 *
 * @example
 * ```ts
 * wss.on('connection', (socket, request) => {
 *   const session = new ServerSession({ transport: fromWebSocket(socket), id: sessionId });
 * });
 * ```
 */
export function fromWebSocket(
  socket: WebSocketLike,
  options: WebSocketTransportOptions = {},
): AudioHookTransport {
  const clock = options.clock ?? systemClock;
  const handshakeMs = options.closeHandshakeTimeoutMs ?? DEFAULT_CLOSE_HANDSHAKE_TIMEOUT_MS;
  const maxHeld = options.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES;
  if (!Number.isSafeInteger(maxHeld) || maxHeld < 1) {
    invalidArgument(`maxBacklogBytes must be a whole number ≥ 1, got ${String(maxHeld)}`);
  }
  let handlers: TransportHandlers | undefined;
  const backlog = new Backlog();
  let closed = false;
  let paused = false;
  let overflowed = false;
  let cutOff: TimerHandle | undefined;
  const overflow = (): void => {
    overflowed = true;
    backlog.clear();
    backlog.push([
      'error',
      new AudioHookError(
        AudioHookErrorCode.MessageTooLarge,
        `more than ${maxHeld} bytes arrived while the session could not take them; connection destroyed`,
      ),
    ]);
    if (socket.terminate !== undefined) socket.terminate();
    else socket.close(1008, 'backlog overflow');
  };
  // `ws` may still emit frames it had already read when paused: they wait in the backlog.
  const dispatch = (event: SocketEvent): void => {
    if (handlers !== undefined && !paused && backlog.empty) deliver(handlers, event);
    else if (backlog.push(event) > maxHeld && !overflowed) overflow();
  };
  const flush = (): void => {
    while (handlers !== undefined && !paused && !backlog.empty) deliver(handlers, backlog.shift());
  };
  const onSendError = (error?: Error): void => {
    if (error !== undefined && error !== null) dispatch(['error', error]);
  };
  socket.on('message', (data, isBinary) => {
    if (overflowed) return;
    const bytes = toBytes(data);
    if (isBinary) dispatch(['binary', bytes]);
    else dispatch(['text', typeof data === 'string' ? data : decoder.decode(bytes)]);
  });
  socket.on('close', (code, reason) => {
    closed = true;
    if (cutOff !== undefined) clock.clearTimeout(cutOff);
    const text = typeof reason === 'string' ? reason : decoder.decode(toBytes(reason));
    dispatch(['close', code, text]);
  });
  socket.on('error', (error) => dispatch(['error', error]));
  return {
    attach(next) {
      if (handlers !== undefined) {
        throw new AudioHookError(AudioHookErrorCode.InvalidState, 'transport is already attached');
      }
      handlers = next;
      flush();
    },
    pause() {
      if (paused) return;
      paused = true;
      if (!closed) socket.pause?.();
    },
    resume() {
      if (!paused) return;
      paused = false;
      if (!closed) socket.resume?.();
      flush();
    },
    sendText(text) {
      if (!closed) socket.send(text, onSendError);
    },
    sendBinary(data) {
      if (!closed) socket.send(data, onSendError);
    },
    close(code, reason) {
      if (closed) return;
      try {
        socket.close(code, reason);
      } catch (error) {
        onSendError(error instanceof Error ? error : new Error(String(error)));
      }
      if (cutOff === undefined && handshakeMs > 0 && socket.terminate !== undefined) {
        cutOff = clock.setTimeout(() => {
          if (!closed) socket.terminate?.();
        }, handshakeMs);
      }
    },
  };
}

// Two connected in-memory transports, so a server session and a client session can talk without
// sockets (tests, examples).

import { AudioHookError, AudioHookErrorCode } from '../errors';
import type { AudioHookTransport, TransportHandlers } from '../transport';

type Frame = { kind: 'text'; text: string } | { kind: 'binary'; data: Uint8Array };

/**
 * One end of an in-memory transport pair. Frames are delivered asynchronously (in order, on
 * the microtask queue) like a socket would, and every sent frame is also recorded in `sent`.
 *
 * @example
 * ```ts
 * const [a, b] = createTransportPair();
 * a.sendText('{}');
 * await flushMicrotasks();
 * a.sent; // ['{}']
 * ```
 */
export class InMemoryTransport implements AudioHookTransport {
  /** Every frame sent from this end, in order (text as strings, binary as bytes). */
  readonly sent: (string | Uint8Array)[] = [];
  #handlers: TransportHandlers | undefined;
  #backlog: (() => void)[] = [];
  #peer: InMemoryTransport | undefined;
  #closed = false;
  #paused = false;
  #closeInfo: { code: number; reason: string } | undefined;

  /** @internal Links two ends; use {@link createTransportPair}. */
  link(peer: InMemoryTransport): void {
    this.#peer = peer;
  }

  /** True once either end closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The code and reason this end was closed with, once closed. */
  get closeInfo(): { code: number; reason: string } | undefined {
    return this.#closeInfo;
  }

  /** Text frames sent from this end that are JSON, parsed (for assertions). */
  sentMessages<T = Record<string, unknown>>(): T[] {
    const messages: T[] = [];
    for (const frame of this.sent) {
      if (typeof frame !== 'string') continue;
      try {
        messages.push(JSON.parse(frame) as T);
      } catch {
        // Not JSON (a test may send garbage on purpose): not a message.
      }
    }
    return messages;
  }

  attach(handlers: TransportHandlers): void {
    if (this.#handlers !== undefined) {
      throw new AudioHookError(AudioHookErrorCode.InvalidState, 'transport is already attached');
    }
    this.#handlers = handlers;
    this.#flush();
  }

  /** True between {@link pause} and {@link resume}. */
  get isPaused(): boolean {
    return this.#paused;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#flush();
  }

  sendText(text: string): void {
    this.#send({ kind: 'text', text });
  }

  sendBinary(data: Uint8Array): void {
    // Copy: the sender may reuse its buffer after `send` returns, as with a real socket.
    this.#send({ kind: 'binary', data: new Uint8Array(data) });
  }

  close(code?: number, reason = ''): void {
    if (this.#closed) return;
    const info = { code: code ?? 1005, reason };
    this.#markClosed(info);
    const peer = this.#peer;
    if (peer !== undefined) peer.#markClosed(info);
  }

  /** Simulates the connection dropping (both ends see code 1006). */
  drop(): void {
    this.close(1006, 'connection dropped');
  }

  #markClosed(info: { code: number; reason: string }): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeInfo = info;
    this.#deliver(() => this.#handlers?.onClose(info.code, info.reason));
  }

  #send(frame: Frame): void {
    if (this.#closed) return;
    this.sent.push(frame.kind === 'text' ? frame.text : frame.data);
    const peer = this.#peer;
    if (peer === undefined) return;
    peer.#deliver(() => {
      if (frame.kind === 'text') peer.#handlers?.onText(frame.text);
      else peer.#handlers?.onBinary(frame.data);
    });
  }

  #deliver(action: () => void): void {
    queueMicrotask(() => {
      if (this.#handlers === undefined || this.#paused || this.#backlog.length > 0) {
        this.#backlog.push(action);
      } else action();
    });
  }

  #flush(): void {
    // A handler may pause again: stop there and keep the rest in order.
    while (this.#handlers !== undefined && !this.#paused && this.#backlog.length > 0) {
      (this.#backlog.shift() as () => void)();
    }
  }
}

/**
 * Two connected in-memory transports: what one sends, the other receives. For running a
 * server session against a client session without sockets.
 *
 * @example
 * ```ts
 * const [serverSide, clientSide] = createTransportPair();
 * const server = new ServerSession({ transport: serverSide });
 * const client = new ClientSession({ transport: clientSide, ...options });
 * ```
 */
export function createTransportPair(): [InMemoryTransport, InMemoryTransport] {
  const a = new InMemoryTransport();
  const b = new InMemoryTransport();
  a.link(b);
  b.link(a);
  return [a, b];
}

// A deliberately low-level AudioHook client for server tests: it sends exactly the frames a test
// asks for (including broken ones) over a real `ws` socket and records what comes back.

import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';

export interface RawClientOptions {
  readonly url: string;
  readonly apiKey?: string;
  readonly sessionId?: string;
  readonly organizationId?: string;
  readonly correlationId?: string;
  /** Extra or replacement headers (e.g. signature headers). */
  readonly headers?: Record<string, string>;
}

export interface Received {
  readonly type: string;
  readonly seq: number;
  readonly clientseq: number;
  readonly parameters: Record<string, unknown>;
}

export const STEREO_PCMU = {
  type: 'audio',
  format: 'PCMU',
  channels: ['external', 'internal'],
  rate: 8000,
} as const;
export const MONO_PCMU = {
  type: 'audio',
  format: 'PCMU',
  channels: ['external'],
  rate: 8000,
} as const;

export class RawClient {
  readonly sessionId: string;
  readonly organizationId: string;
  readonly received: Received[] = [];
  readonly socket: WebSocket;
  seq = 0;
  closeCode: number | undefined;
  readonly #waiters: (() => void)[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  upgradeStatus: number | undefined;

  constructor(options: RawClientOptions) {
    this.sessionId = options.sessionId ?? randomUUID();
    this.organizationId = options.organizationId ?? randomUUID();
    this.socket = new WebSocket(options.url, {
      headers: {
        'Audiohook-Organization-Id': this.organizationId,
        'Audiohook-Session-Id': this.sessionId,
        'Audiohook-Correlation-Id': options.correlationId ?? randomUUID(),
        ...(options.apiKey === undefined ? {} : { 'X-API-KEY': options.apiKey }),
        ...options.headers,
      },
      maxPayload: 1024 * 1024,
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('unexpected-response', (_req, res) => {
        this.upgradeStatus = res.statusCode;
        reject(new Error(`upgrade refused with HTTP ${res.statusCode}`));
        res.resume();
      });
      this.socket.once('error', reject);
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code) => {
        this.closeCode = code;
        this.#notify();
        resolve(code);
      });
    });
    this.socket.on('error', () => undefined);
    this.socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      this.received.push(JSON.parse(String(data)) as Received);
      this.#notify();
    });
  }

  get lastServerSeq(): number {
    return this.received.at(-1)?.seq ?? 0;
  }

  /** Sends a well-formed client message with the next seq. */
  send(type: string, parameters: Record<string, unknown> = {}, position = 'PT0S'): number {
    this.seq++;
    this.sendRaw(
      JSON.stringify({
        version: '2',
        id: this.sessionId,
        type,
        seq: this.seq,
        serverseq: this.lastServerSeq,
        position,
        parameters,
      }),
    );
    return this.seq;
  }

  sendRaw(data: string | Uint8Array): void {
    this.socket.send(data);
  }

  open(parameters: Record<string, unknown> = {}): number {
    return this.send('open', {
      organizationId: this.organizationId,
      conversationId: randomUUID(),
      participant: { id: randomUUID(), ani: '+15555551234', aniName: 'Jane', dnis: '+18005556789' },
      media: [STEREO_PCMU, MONO_PCMU],
      ...parameters,
    });
  }

  /** Waits for a message of `type` (the first one not yet taken by an earlier wait). */
  async waitFor(type: string, timeoutMs = 5000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find((m) => m.type === type);
      if (found !== undefined) return found;
      if (this.closeCode !== undefined)
        throw new Error(`socket closed (${this.closeCode}) before ${type}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${type}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Answers a `disconnect` with `close`, waits for `closed` and closes the socket. */
  async finish(reason = 'end'): Promise<void> {
    this.send('close', { reason });
    await this.waitFor('closed');
    this.socket.close();
    await this.closed;
  }

  #notify(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }
}

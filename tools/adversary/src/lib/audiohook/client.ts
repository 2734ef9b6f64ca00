// A hostile AudioHook client: it speaks the protocol well enough to open sessions and stream
// audio, and lets an attack break any rule on purpose (headers, signatures, frames, timing).

import { randomUUID } from 'node:crypto';
import { createAudioHookHeaders, formatDuration } from '@org/audiohook-protocol';
import WebSocket from 'ws';
import { sleep } from '../proc';

/** The local default key of the server (`--local-defaults`): the AudioHook documentation's sample. */
export const API_KEY = 'SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh';
export const CLIENT_SECRET = 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=';
export const WS_PATH = '/api/v1/audiohook/ws';
/** 20 ms of stereo PCMU at 8 kHz. */
export const FRAME_BYTES = 320;

/** One stereo PCMU frame of a 1 kHz tone (the 8-byte pattern repeats exactly). */
export function toneFrame(bytes = FRAME_BYTES): Buffer {
  const pattern = [0xff, 0x0d, 0x06, 0x0d, 0xff, 0x8d, 0x86, 0x8d];
  const frame = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 1) frame[i] = pattern[Math.floor(i / 2) % 8] as number;
  return frame;
}

export interface SignedHeaderOptions {
  readonly port: number;
  readonly sessionId?: string;
  readonly organizationId?: string;
  readonly apiKey?: string;
  /** `null`: no signature at all. */
  readonly secret?: string | null;
}

/** Headers of a correctly signed upgrade (the starting point of most attacks). */
export function signedHeaders(o: SignedHeaderOptions): Record<string, string> {
  return createAudioHookHeaders({
    organizationId: o.organizationId ?? randomUUID(),
    sessionId: o.sessionId ?? randomUUID(),
    correlationId: randomUUID(),
    apiKey: o.apiKey ?? API_KEY,
    clientSecret: o.secret === undefined ? CLIENT_SECRET : o.secret,
    requestTarget: WS_PATH,
    authority: `127.0.0.1:${o.port}`,
  });
}

export interface ServerMessage {
  readonly type: string;
  readonly seq: number;
  readonly parameters: Record<string, unknown>;
}

/** How a session attempt ended up. */
export type Outcome = 'opened' | 'disconnect' | 'refused' | 'closed' | 'timeout';

/**
 * One AudioHook session seen from the client. It answers nothing by itself except `disconnect`
 * (with `close`, as Genesys does) and `closed` (by closing the socket).
 */
export class HookSession {
  readonly id: string;
  readonly organizationId: string;
  readonly socket: WebSocket;
  readonly received: ServerMessage[] = [];
  seq = 0;
  serverSeq = 0;
  samples = 0;
  /** Audio bytes handed to the socket. */
  audioBytes = 0;
  httpStatus: number | undefined;
  closeCode: number | undefined;
  disconnect: Record<string, unknown> | undefined;
  /** How long after a `disconnect` arrives the client acts on it (keeps streaming until then). */
  readsLateMs = 0;
  readonly #waiters = new Set<() => void>();
  readonly ended: Promise<void>;

  constructor(port: number, headers: Record<string, string>, path = WS_PATH) {
    this.id = headers['Audiohook-Session-Id'] ?? randomUUID();
    this.organizationId = headers['Audiohook-Organization-Id'] ?? randomUUID();
    this.socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, {
      headers,
      perMessageDeflate: false,
      maxPayload: 16 << 20,
    });
    this.socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      let message: ServerMessage;
      try {
        message = JSON.parse(String(data)) as ServerMessage;
      } catch {
        return;
      }
      this.received.push(message);
      if (typeof message.seq === 'number') this.serverSeq = message.seq;
      if (message.type === 'disconnect') {
        // A busy client reads the disconnect late and keeps streaming until it does.
        const read = (): void => {
          this.disconnect = message.parameters;
          this.send('close', { reason: 'disconnect' });
          this.#notify();
        };
        if (this.readsLateMs > 0) setTimeout(read, this.readsLateMs);
        else read();
      }
      if (message.type === 'closed') this.socket.close();
      this.#notify();
    });
    this.socket.on('unexpected-response', (_req, res) => {
      this.httpStatus = res.statusCode;
      res.resume();
      this.socket.terminate();
    });
    this.socket.on('error', () => undefined);
    this.ended = new Promise((resolve) => {
      this.socket.once('close', (code) => {
        this.closeCode = code;
        this.#notify();
        resolve();
      });
    });
  }

  #notify(): void {
    for (const waiter of this.#waiters) waiter();
  }

  /** Resolves once `test` holds (checked on every message and at close), or after `timeoutMs`. */
  until(test: () => boolean, timeoutMs: number): Promise<boolean> {
    if (test()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (value: boolean): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(value);
      };
      const check = (): void => {
        if (test()) done(true);
        else if (this.socket.readyState === WebSocket.CLOSED) done(test());
      };
      const timer = setTimeout(() => done(test()), timeoutMs);
      this.#waiters.add(check);
    });
  }

  has(type: string): boolean {
    return this.received.some((m) => m.type === type);
  }

  /** Waits for the WebSocket to open (or be refused). */
  async connected(timeoutMs = 10_000): Promise<boolean> {
    if (this.socket.readyState === WebSocket.OPEN) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once('open', () => {
        clearTimeout(timer);
        resolve(true);
      });
      void this.ended.then(() => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  }

  /** Sends a protocol message (any type and parameters: the attack decides). */
  send(type: string, parameters: Record<string, unknown>, overrides: object = {}): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.seq += 1;
    this.sendUncounted(type, parameters, { seq: this.seq, ...overrides });
  }

  /**
   * Sends a message without advancing `seq` (one the server will refuse, so the next message's
   * `seq` is still the one it expects: it accepts only last + 1).
   */
  sendUncounted(type: string, parameters: Record<string, unknown>, overrides: object = {}): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const message = {
      version: '2',
      id: this.id,
      type,
      seq: this.seq + 1,
      serverseq: this.serverSeq,
      position: formatDuration(this.samples * 125_000),
      parameters,
      ...overrides,
    };
    this.socket.send(JSON.stringify(message));
  }

  sendRaw(data: string | Buffer): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(data);
  }

  /** Sends `open` with stereo PCMU and waits for `opened` (or the reason it did not come). */
  async open(timeoutMs = 10_000): Promise<Outcome> {
    if (!(await this.connected(timeoutMs)))
      return this.httpStatus === undefined ? 'closed' : 'refused';
    this.send('open', {
      organizationId: this.organizationId,
      conversationId: randomUUID(),
      participant: {
        id: randomUUID(),
        ani: '+15555550100',
        aniName: 'Adversary',
        dnis: '+18005550199',
      },
      media: [{ type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 }],
    });
    await this.until(() => this.has('opened') || this.disconnect !== undefined, timeoutMs);
    if (this.has('opened')) return 'opened';
    if (this.disconnect !== undefined) return 'disconnect';
    return this.socket.readyState === WebSocket.CLOSED ? 'closed' : 'timeout';
  }

  /** Sends one binary audio frame (counted only while the socket is open). */
  audio(frame: Buffer): void {
    if (this.socket.readyState !== WebSocket.OPEN || this.disconnect !== undefined) return;
    this.socket.send(frame);
    this.audioBytes += frame.length;
    this.samples += frame.length / 2;
  }

  /** Waits until everything sent has left this process (so a kill loses nothing in our buffers). */
  async flushed(timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const raw = (this.socket as unknown as { _socket?: { writableLength?: number } })._socket;
    while (
      (this.socket.bufferedAmount > 0 || (raw?.writableLength ?? 0) > 0) &&
      performance.now() < deadline
    ) {
      await sleep(5);
    }
  }

  /** `close`, then wait for `closed` and the socket's end. */
  async close(timeoutMs = 10_000): Promise<boolean> {
    if (this.socket.readyState === WebSocket.OPEN && this.disconnect === undefined) {
      this.send('close', { reason: 'end' });
    }
    const clean = await this.until(() => this.has('closed'), timeoutMs);
    this.kill();
    await this.ended;
    return clean;
  }

  /** Destroys the TCP connection without any close handshake. */
  kill(): void {
    this.socket.terminate();
  }
}

/** Runs `task` over `items` with at most `limit` at a time. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Streams `frames` frames on each session, paced so the server is not flooded. */
export async function stream(sessions: readonly HookSession[], frames: number): Promise<void> {
  const frame = toneFrame();
  for (let i = 0; i < frames; i += 1) {
    for (const session of sessions) session.audio(frame);
    if (i % 10 === 9) await sleep(5);
  }
  await Promise.all(sessions.map((s) => s.flushed()));
}

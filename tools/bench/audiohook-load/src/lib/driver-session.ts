// One session of the load driver: a signed WebSocket upgrade, `open` with stereo PCMU, frames and
// pings when the scheduler says so, `close` → `closed`. Everything it observes goes into the
// driver's shared tallies; it never allocates per frame (one precomputed frame for all sessions).

import { randomUUID } from 'node:crypto';
import {
  createAudioHookHeaders,
  formatDuration,
  serializeMessage,
  type ClientMessage,
} from '@org/audiohook-protocol';
import WebSocket from 'ws';

/** What every session of a driver shares: settings, the frame, the tallies, the callbacks. */
export interface DriverContext {
  readonly url: URL;
  readonly apiKey: string;
  readonly clientSecret: string | null;
  /** The one frame every session sends. */
  readonly frame: Uint8Array;
  readonly samplesPerFrame: number;
  readonly pingIntervalMs: number;
  /**
   * Churn: a session closes itself this long after `opened` (0: at once, no audio). Undefined:
   * sessions stream until the driver is told to stop.
   */
  readonly sessionMs: number | undefined;
  readonly tally: DriverTally;
  /** A session opened, or failed before it could. */
  readonly onSettled: () => void;
  /** A session's socket closed. */
  readonly onDone: () => void;
}

/** Counters and samples of a whole run. */
export interface DriverTally {
  protocolErrors: number;
  readonly errorSamples: string[];
  readonly openLatencyMs: number[];
  readonly closeLatencyMs: number[];
  readonly rttMs: number[];
  framesSent: number;
  opened: number;
  closedCleanly: number;
}

/** A new, empty tally. */
export function newTally(): DriverTally {
  return {
    protocolErrors: 0,
    errorSamples: [],
    openLatencyMs: [],
    closeLatencyMs: [],
    rttMs: [],
    framesSent: 0,
    opened: 0,
    closedCleanly: 0,
  };
}

export type DriverSessionState = 'idle' | 'connecting' | 'opening' | 'active' | 'closing' | 'done';

interface ServerMessage {
  readonly type: string;
  readonly seq: number;
  readonly parameters: Record<string, unknown>;
}

/**
 * @example
 * ```ts
 * const session = new DriverSession(context, slot);
 * session.start();
 * session.tick(performance.now()); // from the scheduler, every frame period
 * ```
 */
export class DriverSession {
  readonly id = randomUUID();
  readonly orgId = randomUUID();
  /** Which scheduler slot sends this session's frames. */
  readonly slot: number;
  state: DriverSessionState = 'idle';
  readonly #ctx: DriverContext;
  #socket: WebSocket | undefined;
  #seq = 0;
  #serverSeq = 0;
  #samples = 0;
  #openSentAt = 0;
  #closeSentAt = 0;
  #closeAt = Infinity;
  #pingSentAt: number | undefined;
  #lastPingAt = 0;
  #clean = false;

  constructor(context: DriverContext, slot: number) {
    this.#ctx = context;
    this.slot = slot;
  }

  #error(what: string): void {
    const tally = this.#ctx.tally;
    tally.protocolErrors++;
    if (tally.errorSamples.length < 20) tally.errorSamples.push(`${this.id}: ${what}`);
  }

  #send(type: string, parameters: Record<string, unknown>): void {
    this.#seq++;
    const message = {
      version: '2',
      id: this.id,
      type,
      seq: this.#seq,
      serverseq: this.#serverSeq,
      position: formatDuration(this.#samples * 125_000),
      parameters,
    } as unknown as ClientMessage;
    this.#socket?.send(serializeMessage(message));
  }

  /** Opens the WebSocket (signed upgrade) and sends `open` once it is up. */
  start(): void {
    const { url, apiKey, clientSecret } = this.#ctx;
    const headers = createAudioHookHeaders({
      organizationId: this.orgId,
      sessionId: this.id,
      correlationId: randomUUID(),
      apiKey,
      clientSecret,
      requestTarget: `${url.pathname}${url.search}`,
      authority: url.host,
    });
    this.state = 'connecting';
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    this.#socket = socket;
    socket.on('open', () => this.#sendOpen());
    socket.on('message', (data, isBinary) => {
      if (isBinary) return this.#error('binary from server');
      this.#onMessage(JSON.parse(String(data)) as ServerMessage);
    });
    socket.on('unexpected-response', (_req, res) => {
      this.#error(`upgrade refused: HTTP ${res.statusCode ?? '?'}`);
      res.resume();
      socket.terminate();
    });
    socket.on('error', (e) => {
      if (this.state === 'connecting') this.#error(`connect: ${e.message}`);
    });
    socket.on('close', (code) => this.#onClose(code));
  }

  #sendOpen(): void {
    this.state = 'opening';
    this.#openSentAt = performance.now();
    this.#send('open', {
      organizationId: this.orgId,
      conversationId: randomUUID(),
      participant: { id: randomUUID(), ani: '+15555551234', aniName: 'Load', dnis: '+18005556789' },
      media: [
        { type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 },
        { type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 },
      ],
    });
  }

  #onMessage(message: ServerMessage): void {
    const tally = this.#ctx.tally;
    this.#serverSeq = message.seq;
    switch (message.type) {
      case 'opened': {
        const now = performance.now();
        this.state = 'active';
        this.#lastPingAt = now;
        tally.openLatencyMs.push(now - this.#openSentAt);
        tally.opened++;
        this.#ctx.onSettled();
        const sessionMs = this.#ctx.sessionMs;
        if (sessionMs === 0) this.close('end');
        else if (sessionMs !== undefined) this.#closeAt = now + sessionMs;
        break;
      }
      case 'pong':
        if (this.#pingSentAt !== undefined) tally.rttMs.push(performance.now() - this.#pingSentAt);
        this.#pingSentAt = undefined;
        break;
      case 'closed':
        this.#clean = true;
        tally.closedCleanly++;
        tally.closeLatencyMs.push(performance.now() - this.#closeSentAt);
        this.#socket?.close();
        break;
      case 'disconnect':
        this.#error(`disconnect ${JSON.stringify(message.parameters)}`);
        if (this.state === 'opening') this.#ctx.onSettled();
        this.close('disconnect');
        break;
      case 'event':
        break;
      default:
        this.#error(`unexpected ${message.type}`);
    }
  }

  #onClose(code: number): void {
    const wasOpening = this.state === 'connecting' || this.state === 'opening';
    if (!this.#clean && this.state !== 'done') this.#error(`socket closed (${code})`);
    this.state = 'done';
    if (wasOpening) this.#ctx.onSettled();
    this.#ctx.onDone();
  }

  /**
   * The scheduler's call, once per frame period: one frame, a ping every `pingIntervalMs`, and
   * in churn mode the `close` when the session's time is up.
   */
  tick(now: number): void {
    if (this.state !== 'active') return;
    if (now >= this.#closeAt) {
      this.close('end');
      return;
    }
    const ctx = this.#ctx;
    this.#socket?.send(ctx.frame);
    this.#samples += ctx.samplesPerFrame;
    ctx.tally.framesSent++;
    if (now - this.#lastPingAt >= ctx.pingIntervalMs && this.#pingSentAt === undefined) {
      this.#lastPingAt = now;
      this.#pingSentAt = performance.now();
      this.#send('ping', ctx.tally.rttMs.length === 0 ? {} : { rtt: 'PT0.001S' });
    }
  }

  /** Sends `close` (an active or disconnected session); the server answers `closed`. */
  close(reason: string): void {
    if (this.state !== 'active' && this.state !== 'opening') return;
    this.state = 'closing';
    this.#closeSentAt = performance.now();
    this.#send('close', { reason });
  }

  /** Drops the connection without the protocol's goodbye (the driver is giving up). */
  terminate(): void {
    this.#socket?.terminate();
  }

  /** Counts a session that never finished as an error and drops it. */
  abandon(what: string): void {
    if (this.state === 'done' || this.state === 'idle') return;
    this.#error(what);
    this.terminate();
  }
}

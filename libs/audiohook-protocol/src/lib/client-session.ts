// The client side of one AudioHook session (what Genesys Cloud does, spec §9.3): open/close
// transactions with timeouts, the ping schedule with RTT, strict checks of server replies with
// the documented error codes, pause/resume/discard/update, media streaming and the probe.

import { randomUUID } from 'node:crypto';
import { type Clock, NamedTimers, systemClock } from './clock';
import {
  isKnownMessageType,
  parseJsonFrame,
  serializeMessage,
  validateEnvelope,
  validateParameters,
} from './codec';
import { formatDuration, millisToNanos, parseDuration, samplesToNanos } from './duration';
import { TypedEmitter } from './emitter';
import { validateEntity, type TranscriptData } from './entities';
import { AudioHookError, AudioHookErrorCode, invalidArgument, toError } from './errors';
import { type AudioHookLogger, silentLogger } from './logger';
import { frameBytes, mediaEquals } from './media';
import { type MediaSource } from './media-source';
import {
  NIL_UUID,
  PROTOCOL_VERSION,
  UUID_PATTERN,
  type ClientMessage,
  type ClientMessageType,
  type ClientParameters,
  type CloseReason,
  type ClosedParameters,
  type ContinuedSession,
  type DisconnectParameters,
  type EventEntity,
  type MediaParameter,
  type OpenedMessage,
  type OpenedParameters,
  type Participant,
  type ReconnectParameters,
  type ServerMessage,
} from './schemas';
import { type AudioHookTransport } from './transport';

/** States of a client session (spec §9.3; the socket is already connected when it starts). */
export type ClientSessionState =
  'PREPARING' | 'OPENING' | 'OPEN' | 'CLOSING' | 'CLOSED' | 'DISCONNECTED';

/** Options of {@link ClientSession}. */
export interface ClientSessionOptions {
  /** The connection (already open). */
  readonly transport: AudioHookTransport;
  /** `open.organizationId` (and the `Audiohook-Organization-Id` header). */
  readonly organizationId: string;
  /** Session id. @default a random UUID */
  readonly sessionId?: string;
  /** `open.conversationId`. @default a random UUID (nil for a probe) */
  readonly conversationId?: string;
  /** `open.participant`. @default a sample caller (nil id and empty strings for a probe) */
  readonly participant?: Participant;
  /** The audio to offer and send. Without one, `open.media` is `[]`. */
  readonly media?: MediaSource;
  /** `open.language`. */
  readonly language?: string;
  /** Ask the server for its languages (`open.supportedLanguages`). */
  readonly supportedLanguages?: boolean;
  /** `open.customConfig`. */
  readonly customConfig?: Record<string, unknown>;
  /** `open.inputVariables` (Audio Connector). */
  readonly inputVariables?: Record<string, string>;
  /** `open.continuedSessions`. */
  readonly continuedSessions?: readonly ContinuedSession[];
  /**
   * Run a connection probe: nil conversation and participant ids, then `close` right after
   * `opened` (or after `durationMs` of audio).
   * @default false
   */
  readonly probe?: boolean | { readonly durationMs?: number };
  /** Stop the audio and close (`end`) after this much stream time. */
  readonly maxStreamDurationMs?: number;
  /** Close (`end`) when the media source ends. @default true */
  readonly closeOnMediaEnd?: boolean;
  /** `opened` deadline. @default 5000 */
  readonly openTimeoutMs?: number;
  /** `closed` deadline. @default 10000 */
  readonly closeTimeoutMs?: number;
  /** Delay of the first `ping` after `opened`. @default 1000 */
  readonly initialPingDelayMs?: number;
  /** Interval between pings, which is also the pong deadline; `0` = no pings. @default 5000 */
  readonly pingIntervalMs?: number;
  /**
   * What to do when the server sends `reconnect`: `ignore` (log it, like the reference client) or
   * `close` (close with reason `reconnect`; {@link ClientSession.continuation} then gives the
   * `continuedSessions` entry for the new connection's `open`).
   * @default 'ignore'
   */
  readonly onReconnect?: 'ignore' | 'close';
  /** Accept binary audio from the server (Audio Connector); otherwise it is `error` 415. @default false */
  readonly acceptServerAudio?: boolean;
  /** Reference-strict validation of server messages. @default false */
  readonly strict?: boolean;
  readonly logger?: AudioHookLogger;
  readonly clock?: Clock;
}

/** How a client session ended. */
export interface ClientSessionResult {
  /** The `opened` message, when one arrived. */
  readonly opened: OpenedMessage | undefined;
  /** The `closed` parameters, when the close transaction completed. */
  readonly closed: ClosedParameters | undefined;
  /** The reason of the `close` this client sent. */
  readonly closeReason: CloseReason | undefined;
  /** The `disconnect` the server sent, if any. */
  readonly disconnect: DisconnectParameters | undefined;
  /** The `error` this client sent, if any. */
  readonly error: { readonly code: number; readonly message: string } | undefined;
  /** Round-trip times measured with ping/pong, in ns. */
  readonly rtts: readonly number[];
  /** Audio bytes sent. */
  readonly audioBytes: number;
  /** Final stream position in ns. */
  readonly position: number;
  /** False when the connection dropped before the close transaction completed. */
  readonly clean: boolean;
}

/** Events of {@link ClientSession}. */
export type ClientSessionEvents = {
  state: [state: ClientSessionState, previous: ClientSessionState];
  serverMessage: [message: ServerMessage];
  clientMessage: [message: ClientMessage];
  opened: [parameters: OpenedParameters];
  closed: [parameters: ClosedParameters];
  /** An `event` arrived. */
  event: [entities: readonly EventEntity[]];
  /** A `transcript` entity arrived (validated). */
  transcript: [data: TranscriptData];
  /** A pong arrived; RTT in ns. */
  pong: [rtt: number];
  /** Audio stopped (`by` the server's `pause` or this client's `pause()`). */
  paused: [by: 'server' | 'client'];
  /** Audio flows again. */
  resumed: [];
  disconnect: [parameters: DisconnectParameters];
  reconnect: [parameters: ReconnectParameters];
  updated: [];
  /** Binary audio from the server (only with `acceptServerAudio`). */
  serverAudio: [data: Uint8Array];
  /** This client reported an error to the server and is closing. */
  protocolError: [error: AudioHookError, code: number];
  /** The media source ended or failed. */
  mediaEnd: [error: Error | undefined];
  end: [result: ClientSessionResult];
};

/**
 * One AudioHook session on the client side: it opens, streams the media source, pings, reacts
 * to `pause`/`resume`/`disconnect`, and closes. Every server message is checked the way the
 * reference client checks it; violations are answered with `error` (400/408/409/413/415/500)
 * and `close{reason:"error"}`.
 *
 * @example
 * ```ts
 * const client = new ClientSession({ transport, organizationId, media: toneMediaSource({ durationMs: 3000 }) });
 * const opened = await client.start();
 * const result = await client.finished;
 * ```
 */
export class ClientSession extends TypedEmitter<ClientSessionEvents> {
  readonly id: string;
  readonly #options: ClientSessionOptions;
  readonly #transport: AudioHookTransport;
  readonly #clock: Clock;
  readonly #logger: AudioHookLogger;
  #state: ClientSessionState = 'PREPARING';
  #seq = 0;
  #serverSeq = 0;
  #offered: readonly MediaParameter[];
  #selected: MediaParameter | undefined;
  #openSeq = 0;
  #closeSeq = 0;
  readonly #timers: NamedTimers;
  #pingSeq: number | undefined;
  #pingSentAt = 0;
  #pongs = 0;
  #rtts: number[] = [];
  #sentSamples = 0;
  #discardedNs = 0;
  #audioBytes = 0;
  #pausedBy: 'server' | 'client' | undefined;
  #pauseStart = 0;
  #pauseDiscarded = 0;
  #resumeWaiters: (() => void)[] = [];
  #discardToNs: number | undefined;
  #discardStart = 0;
  #discardSkipped = 0;
  #streaming = false;
  #opened: OpenedMessage | undefined;
  #closed: ClosedParameters | undefined;
  #closeReason: CloseReason | undefined;
  #disconnect: DisconnectParameters | undefined;
  #error: { code: number; message: string } | undefined;
  #openWaiters: ((message: OpenedMessage | undefined) => void)[] = [];
  #finished: Promise<ClientSessionResult>;
  #resolveFinished!: (result: ClientSessionResult) => void;

  constructor(options: ClientSessionOptions) {
    super();
    validateClientOptions(options);
    this.#options = options;
    this.#transport = options.transport;
    this.#clock = options.clock ?? systemClock;
    this.#timers = new NamedTimers(this.#clock);
    this.#logger = options.logger ?? silentLogger;
    this.id = (options.sessionId ?? randomUUID()).toLowerCase();
    this.#offered = options.media?.offeredMedia ?? [];
    this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve));
    this.#transport.attach({
      onText: (text) => this.#onText(text),
      onBinary: (data) => this.#onBinary(data),
      onClose: (code, reason) => this.#onTransportClose(code, reason),
      onError: (error) => this.#log('warn', 'transport error', { err: error.message }),
    });
  }

  /** The current state. */
  get state(): ClientSessionState {
    return this.#state;
  }

  /** The stream position in ns (audio sent plus discarded gaps). */
  get position(): number {
    return samplesToNanos(this.#sentSamples, 8000) + this.#discardedNs;
  }

  /** The media the server selected. */
  get selectedMedia(): MediaParameter | undefined {
    return this.#selected;
  }

  /** True while audio is paused. */
  get paused(): boolean {
    return this.#pausedBy !== undefined;
  }

  /**
   * The `continuedSessions` entry that names this session in the `open` of a new connection
   * (spec §15): its id and the last sequence numbers exchanged.
   */
  continuation(): ContinuedSession {
    return { id: this.id, serverseq: this.#serverSeq, clientseq: this.#seq };
  }

  /** Resolves when the session is over (never rejects). */
  get finished(): Promise<ClientSessionResult> {
    return this.#finished;
  }

  #isProbe(): boolean {
    return this.#options.probe !== undefined && this.#options.probe !== false;
  }

  /**
   * Sends `open` and starts the open timer. Resolves with `opened`, or `undefined` when the
   * session ended without one (it never rejects).
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_STATE` when called twice,
   *   `AUDIOHOOK_ERR_MESSAGE_TOO_LARGE` when the `open` (e.g. its `customConfig`) would not fit in
   *   one text frame. The scripting methods throw the same for oversized parameters.
   */
  start(): Promise<OpenedMessage | undefined> {
    if (this.#state !== 'PREPARING') {
      throw new AudioHookError(AudioHookErrorCode.InvalidState, 'start() was already called');
    }
    const o = this.#options;
    const probe = this.#isProbe();
    const participant: Participant = probe
      ? { id: NIL_UUID, ani: '', aniName: '', dnis: '' }
      : (o.participant ?? {
          id: randomUUID(),
          ani: '+1-555-555-1234',
          aniName: 'John Doe',
          dnis: '+1-800-555-6789',
        });
    const promise = new Promise<OpenedMessage | undefined>((resolve) =>
      this.#openWaiters.push(resolve),
    );
    this.#openSeq = this.#send('open', {
      organizationId: o.organizationId,
      conversationId: probe ? NIL_UUID : (o.conversationId ?? randomUUID()),
      participant,
      media: this.#offered.map((m) => ({ ...m, channels: [...m.channels] })),
      ...(o.language === undefined ? {} : { language: o.language }),
      ...(o.supportedLanguages === undefined ? {} : { supportedLanguages: o.supportedLanguages }),
      ...(o.customConfig === undefined ? {} : { customConfig: o.customConfig }),
      ...(o.inputVariables === undefined ? {} : { inputVariables: o.inputVariables }),
      ...(o.continuedSessions === undefined ? {} : { continuedSessions: [...o.continuedSessions] }),
    });
    this.#setState('OPENING');
    this.#timers.set('open', o.openTimeoutMs ?? 5000, () =>
      this.#fail(408, 'Open transaction timeout'),
    );
    return promise;
  }

  /**
   * Starts the close transaction (`close` → `closed`). Returns false when the session is not
   * open or opening.
   */
  close(reason: CloseReason = 'end'): boolean {
    if (this.#state !== 'OPENING' && this.#state !== 'OPEN') return false;
    this.#stopMedia();
    this.#timers.clear('open');
    this.#timers.clear('ping');
    this.#timers.clear('maxDuration');
    this.#closeReason = reason;
    this.#closeSeq = this.#send('close', { reason });
    this.#setState('CLOSING');
    this.#timers.set('close', this.#options.closeTimeoutMs ?? 10_000, () => {
      this.#sendError(408, 'Close transaction timeout');
      this.#transport.close();
    });
    this.#resolveOpen(undefined);
    return true;
  }

  /** Client-initiated pause (hold, secure pause): stops the audio and sends `paused`. */
  pause(): boolean {
    if (this.#state !== 'OPEN') return false;
    this.#beginPause('client');
    return true;
  }

  /** Ends a client-initiated pause: sends `resumed{start, discarded}`. */
  resume(): boolean {
    if (this.#state !== 'OPEN' || this.#pausedBy !== 'client') return false;
    this.#endPause();
    return true;
  }

  /** Reports (and skips) `nanos` of audio as discarded at the current position. */
  discard(nanos: number): boolean {
    if (this.#state !== 'OPEN') return false;
    const start = this.position;
    this.#discardedNs += nanos;
    this.#send('discarded', { start: formatDuration(start), discarded: formatDuration(nanos) });
    return true;
  }

  /** Sends `update{language}`. */
  update(language: string): boolean {
    if (this.#state !== 'OPEN') return false;
    this.#send('update', { language });
    return true;
  }

  /** Sends an `error` message without closing (e.g. a 429 with `retryAfter`). */
  sendError(code: number, message: string, retryAfterMs?: number): boolean {
    if (this.#state !== 'OPEN' && this.#state !== 'OPENING' && this.#state !== 'CLOSING')
      return false;
    this.#sendError(code, message, retryAfterMs);
    return true;
  }

  /** Audio Connector: sends `dtmf{digit}`. */
  sendDtmf(digit: string): boolean {
    if (this.#state !== 'OPEN') return false;
    this.#send('dtmf', { digit });
    return true;
  }

  /** Audio Connector: sends `playback_started` or `playback_completed`. */
  sendPlayback(what: 'started' | 'completed'): boolean {
    if (this.#state !== 'OPEN') return false;
    this.#send(what === 'started' ? 'playback_started' : 'playback_completed', {});
    return true;
  }

  // ---- incoming ----

  #onText(text: string): void {
    if (this.#state === 'CLOSED' || this.#state === 'DISCONNECTED') return;
    let message: ServerMessage;
    try {
      message = this.#decode(text);
    } catch (error) {
      const err =
        error instanceof AudioHookError
          ? error
          : new AudioHookError(AudioHookErrorCode.ProtocolViolation, toError(error).message);
      const code = statusFor(err);
      this.#fail(code, err.message, err);
      return;
    }
    this.#emitSafe('serverMessage', message);
    this.#dispatch(message);
  }

  #decode(text: string): ServerMessage {
    const strict = { strict: this.#options.strict ?? false };
    const envelope = validateEnvelope(parseJsonFrame(text), 'server', strict);
    if (envelope.id.toLowerCase() !== this.id) {
      throw withStatus(400, 'Session identifier mismatch');
    }
    if (envelope.seq !== this.#serverSeq + 1) {
      throw withStatus(500, `Invalid seq value ${envelope.seq} (expected ${this.#serverSeq + 1})`);
    }
    if (envelope.clientseq > this.#seq) {
      throw withStatus(400, `Invalid clientseq value ${envelope.clientseq}`);
    }
    this.#serverSeq = envelope.seq;
    if (!isKnownMessageType(envelope.type, 'server')) {
      throw withStatus(500, `Unsupported server message type '${envelope.type}'`);
    }
    const parameters = validateParameters(envelope.type, envelope.parameters, 'server', strict);
    return { ...envelope, parameters } as ServerMessage;
  }

  #dispatch(message: ServerMessage): void {
    switch (message.type) {
      case 'opened':
        return this.#onOpened(message);
      case 'closed':
        if (this.#state !== 'CLOSING')
          return this.#fail(409, `Unexpected 'closed' in state ${this.#state}`);
        if (message.clientseq !== this.#closeSeq) {
          this.#log('warn', 'closed.clientseq does not match the close seq', {
            clientseq: message.clientseq,
          });
        }
        this.#timers.clear('close');
        this.#closed = message.parameters;
        this.#setState('CLOSED');
        this.#emitSafe('closed', message.parameters);
        this.#transport.close();
        return;
      case 'pong':
        return this.#onPong(message.clientseq);
      case 'pause':
        if (this.#state === 'CLOSING') return;
        if (this.#state !== 'OPEN')
          return this.#fail(409, `Unexpected 'pause' in state ${this.#state}`);
        if (this.#pausedBy !== undefined) {
          this.#send('paused', {});
          return;
        }
        this.#beginPause('server');
        return;
      case 'resume':
        if (this.#state === 'CLOSING') return;
        if (this.#state !== 'OPEN')
          return this.#fail(409, `Unexpected 'resume' in state ${this.#state}`);
        if (this.#pausedBy === 'client') this.#send('paused', {});
        else if (this.#pausedBy === 'server') this.#endPause();
        else this.#send('resumed', { start: formatDuration(this.position), discarded: 'PT0S' });
        return;
      case 'event': {
        if (this.#state !== 'OPEN' && this.#state !== 'CLOSING') {
          return this.#fail(409, `Unexpected 'event' in state ${this.#state}`);
        }
        const entities = message.parameters.entities;
        this.#emitSafe('event', entities);
        for (const entity of entities) {
          if (entity.type !== 'transcript') continue;
          try {
            const known = validateEntity(entity) as { data: TranscriptData };
            this.#emitSafe('transcript', known.data);
          } catch (error) {
            return this.#fail(400, toError(error).message);
          }
        }
        return;
      }
      case 'disconnect':
        this.#disconnect = message.parameters;
        this.#emitSafe('disconnect', message.parameters);
        this.#log('info', 'server disconnected the session', {
          reason: message.parameters.reason,
          info: message.parameters.info,
        });
        if (this.#state === 'OPENING' || this.#state === 'OPEN') this.close('disconnect');
        return;
      case 'reconnect':
        this.#log('info', 'server asked to reconnect', { info: message.parameters.info });
        this.#emitSafe('reconnect', message.parameters);
        if (this.#options.onReconnect === 'close' && this.#state === 'OPEN')
          this.close('reconnect');
        return;
      case 'updated':
        this.#emitSafe('updated');
        return;
    }
  }

  #onOpened(message: OpenedMessage): void {
    if (this.#state !== 'OPENING')
      return this.#fail(409, `Unexpected 'opened' in state ${this.#state}`);
    const params = message.parameters;
    if (params.media.length > 1) return this.#fail(400, 'More than one media selected');
    const selected = params.media[0];
    if (selected !== undefined && !this.#offered.some((m) => mediaEquals(m, selected))) {
      return this.#fail(400, 'Selected media not one of the offered');
    }
    if (message.clientseq !== this.#openSeq) {
      this.#log('warn', 'opened.clientseq does not match the open seq', {
        clientseq: message.clientseq,
      });
    }
    this.#timers.clear('open');
    this.#opened = message;
    this.#selected = selected;
    this.#setState('OPEN');
    this.#emitSafe('opened', params);
    this.#resolveOpen(message);
    // A listener of 'opened' may already have closed the session.
    if ((this.#state as ClientSessionState) !== 'OPEN') return;
    const interval = this.#options.pingIntervalMs ?? 5000;
    if (interval > 0) this.#schedulePing(this.#options.initialPingDelayMs ?? 1000);

    const probe = this.#options.probe;
    const probeDuration = typeof probe === 'object' ? probe.durationMs : undefined;
    const maxMs = this.#isProbe() ? probeDuration : this.#options.maxStreamDurationMs;
    if (this.#isProbe() && (probeDuration === undefined || selected === undefined)) {
      this.close('end');
      return;
    }
    if (maxMs !== undefined) {
      this.#timers.set('maxDuration', maxMs, () => this.close('end'));
    }
    if (params.discardTo !== undefined) {
      this.#discardToNs = parseDuration(params.discardTo);
      this.#discardStart = this.position;
    }
    if (params.startPaused === true) this.#beginPause('server');
    if (selected !== undefined && this.#options.media !== undefined) {
      void this.#pump(this.#options.media, selected);
    }
  }

  #onPong(clientseq: number): void {
    if (this.#pingSeq === undefined)
      return this.#fail(409, 'Unexpected pong (no ping outstanding)');
    if (clientseq !== this.#pingSeq) {
      return this.#fail(
        400,
        `pong clientseq ${clientseq} does not match ping seq ${this.#pingSeq}`,
      );
    }
    const rtt = millisToNanos(Math.max(0, this.#clock.now() - this.#pingSentAt));
    this.#pingSeq = undefined;
    this.#rtts.push(rtt);
    this.#pongs++;
    this.#emitSafe('pong', rtt);
    // The reference client follows its first pong with a second ping right away.
    if (this.#pongs === 1 && this.#state === 'OPEN') this.#sendPing();
  }

  #onBinary(data: Uint8Array): void {
    if (this.#options.acceptServerAudio === true && this.#state === 'OPEN') {
      this.#emitSafe('serverAudio', data);
      return;
    }
    if (this.#state === 'CLOSED' || this.#state === 'DISCONNECTED') return;
    this.#fail(415, 'Unexpected binary message');
  }

  #onTransportClose(code: number, reason: string): void {
    if (this.#state === 'DISCONNECTED') return;
    const clean = this.#state === 'CLOSED';
    if (!clean)
      this.#log('warn', 'connection closed before the session was closed', {
        code,
        reason,
        state: this.#state,
      });
    this.#timers.clearAll();
    this.#stopMedia();
    this.#setState('DISCONNECTED');
    this.#resolveOpen(undefined);
    const result: ClientSessionResult = {
      opened: this.#opened,
      closed: this.#closed,
      closeReason: this.#closeReason,
      disconnect: this.#disconnect,
      error: this.#error,
      rtts: [...this.#rtts],
      audioBytes: this.#audioBytes,
      position: this.position,
      clean,
    };
    this.#emitSafe('end', result);
    this.#resolveFinished(result);
  }

  // ---- media ----

  async #pump(source: MediaSource, selected: MediaParameter): Promise<void> {
    this.#streaming = true;
    const unit = frameBytes(selected);
    let iterator: AsyncIterator<Uint8Array> | undefined;
    let failure: Error | undefined;
    try {
      iterator = source.frames(selected)[Symbol.asyncIterator]();
      while (this.#streaming) {
        if (this.#pausedBy !== undefined && !source.live) {
          await new Promise<void>((resolve) => this.#resumeWaiters.push(resolve));
          continue;
        }
        const next = await iterator.next();
        if (next.done === true || !this.#streaming || this.#state !== 'OPEN') break;
        const frame = next.value;
        if (frame.length % unit !== 0) {
          throw new AudioHookError(
            AudioHookErrorCode.MediaSource,
            'the media source produced a partial sample frame',
          );
        }
        const samples = frame.length / unit;
        const duration = samplesToNanos(samples, selected.rate);
        if (this.#pausedBy !== undefined) {
          // A live source keeps running while paused: the audio is lost, the timeline moves on.
          this.#discardedNs += duration;
          this.#pauseDiscarded += duration;
          continue;
        }
        if (this.#discardToNs !== undefined) {
          if (this.position + duration <= this.#discardToNs) {
            this.#discardedNs += duration;
            this.#discardSkipped += duration;
            continue;
          }
          this.#finishDiscardTo();
        }
        this.#transport.sendBinary(frame);
        this.#sentSamples += samples;
        this.#audioBytes += frame.length;
      }
    } catch (error) {
      failure = toError(error);
      this.#log('error', 'media source failed', { err: failure.message });
    } finally {
      this.#streaming = false;
      // A source's own cleanup failing must not become an unhandled rejection.
      void Promise.resolve(iterator?.return?.()).catch(() => undefined);
    }
    if (this.#state !== 'OPEN') return;
    this.#emitSafe('mediaEnd', failure);
    if (failure !== undefined) this.#fail(500, `Media source failed: ${failure.message}`);
    else if (this.#options.closeOnMediaEnd ?? true) this.close('end');
  }

  #finishDiscardTo(): void {
    if (this.#discardToNs === undefined) return;
    this.#discardToNs = undefined;
    if (this.#discardSkipped > 0) {
      this.#send('discarded', {
        start: formatDuration(this.#discardStart),
        discarded: formatDuration(this.#discardSkipped),
      });
    }
  }

  #beginPause(by: 'server' | 'client'): void {
    this.#pausedBy = by;
    this.#pauseStart = this.position;
    this.#pauseDiscarded = 0;
    this.#send('paused', {});
    this.#emitSafe('paused', by);
  }

  #endPause(): void {
    this.#pausedBy = undefined;
    this.#send('resumed', {
      start: formatDuration(this.#pauseStart),
      discarded: formatDuration(this.#pauseDiscarded),
    });
    for (const resolve of this.#resumeWaiters.splice(0)) resolve();
    this.#emitSafe('resumed');
  }

  #stopMedia(): void {
    this.#streaming = false;
    for (const resolve of this.#resumeWaiters.splice(0)) resolve();
  }

  // ---- ping ----

  #schedulePing(delay: number): void {
    this.#timers.set('ping', delay, () => {
      if (this.#state !== 'OPEN') return;
      if (this.#pingSeq !== undefined) {
        this.#fail(408, 'Timeout waiting for pong');
        return;
      }
      this.#sendPing();
      this.#schedulePing(this.#options.pingIntervalMs ?? 5000);
    });
  }

  #sendPing(): void {
    const last = this.#rtts[this.#rtts.length - 1];
    this.#pingSentAt = this.#clock.now();
    this.#pingSeq = this.#send('ping', last === undefined ? {} : { rtt: formatDuration(last) });
  }

  // ---- helpers ----

  #send<T extends ClientMessageType>(type: T, parameters: ClientParameters<T>): number {
    const message = {
      version: PROTOCOL_VERSION,
      id: this.id,
      type,
      seq: ++this.#seq,
      serverseq: this.#serverSeq,
      position: formatDuration(this.position),
      parameters,
    } as ClientMessage;
    const text = serializeMessage(message);
    try {
      this.#transport.sendText(text);
    } catch (error) {
      this.#log('error', 'transport failed to send', { type, err: toError(error).message });
    }
    this.#emitSafe('clientMessage', message);
    return message.seq;
  }

  #sendError(code: number, message: string, retryAfterMs?: number): void {
    this.#send('error', {
      code,
      message,
      ...(retryAfterMs === undefined
        ? {}
        : { retryAfter: formatDuration(millisToNanos(retryAfterMs)) }),
    });
  }

  /** Reports a fatal problem: `error{code}` then `close{reason:"error"}` (once). */
  #fail(code: number, message: string, cause?: AudioHookError): void {
    const error =
      cause ??
      new AudioHookError(
        code === 408 ? AudioHookErrorCode.Timeout : AudioHookErrorCode.ProtocolViolation,
        message,
      );
    this.#log('warn', 'server protocol error', { code, message });
    this.#emitSafe('protocolError', error, code);
    if (this.#state !== 'OPENING' && this.#state !== 'OPEN') return;
    // The text may quote server-controlled values: keep the reply well inside the frame limit.
    const text = message.length > 512 ? `${message.slice(0, 509)}...` : message;
    this.#error = { code, message: text };
    this.#sendError(code, text);
    this.close('error');
  }

  #resolveOpen(message: OpenedMessage | undefined): void {
    for (const resolve of this.#openWaiters.splice(0)) resolve(message);
  }

  #setState(next: ClientSessionState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.#emitSafe('state', next, previous);
  }

  #emitSafe<K extends keyof ClientSessionEvents>(event: K, ...args: ClientSessionEvents[K]): void {
    for (const error of this.emit(event, ...args)) {
      this.#log('error', 'event listener threw', { event, err: error.message });
    }
  }

  #log(level: keyof AudioHookLogger, message: string, fields: Record<string, unknown>): void {
    this.#logger[level]({ sessionId: this.id, ...fields }, message);
  }
}

function validateClientOptions(options: ClientSessionOptions): void {
  const transport = options.transport as Partial<AudioHookTransport> | undefined;
  if (
    typeof transport?.attach !== 'function' ||
    typeof transport.sendText !== 'function' ||
    typeof transport.sendBinary !== 'function' ||
    typeof transport.close !== 'function'
  ) {
    invalidArgument('transport must implement attach, sendText, sendBinary and close');
  }
  for (const [name, value] of Object.entries({
    organizationId: options.organizationId,
    sessionId: options.sessionId,
    conversationId: options.conversationId,
  })) {
    if ((name === 'organizationId' || value !== undefined) && !UUID_PATTERN.test(String(value))) {
      invalidArgument(`${name} must be a UUID, got ${JSON.stringify(value)}`);
    }
  }
  for (const [name, value] of Object.entries({
    openTimeoutMs: options.openTimeoutMs,
    closeTimeoutMs: options.closeTimeoutMs,
    initialPingDelayMs: options.initialPingDelayMs,
    pingIntervalMs: options.pingIntervalMs,
    maxStreamDurationMs: options.maxStreamDurationMs,
  })) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      invalidArgument(`${name} must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  if (options.onReconnect !== undefined && !['ignore', 'close'].includes(options.onReconnect)) {
    invalidArgument(`onReconnect must be ignore or close, got ${String(options.onReconnect)}`);
  }
}

/** A server-message problem with the `error` code the client answers it with. */
class StatusError extends AudioHookError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(AudioHookErrorCode.ProtocolViolation, message);
  }
}

function withStatus(status: number, message: string): AudioHookError {
  return new StatusError(status, message);
}

function statusFor(error: AudioHookError): number {
  if (error instanceof StatusError) return error.status;
  return error.code === AudioHookErrorCode.MessageTooLarge ? 413 : 400;
}

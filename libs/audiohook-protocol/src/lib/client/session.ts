// The client side of one AudioHook session (what Genesys Cloud does, spec §9.3): open/close
// transactions with timeouts, strict checks of server replies with the documented error codes,
// pause/resume/discard/update and the probe. Incoming frames are decoded by `decoder.ts`, the
// audio is streamed by `media-pump.ts`, pings are scheduled by `pinger.ts`.

import { randomUuid } from '../uuid';
import { type Clock, NamedTimers, systemClock } from '../clock';
import { serializeMessage } from '../codec';
import { formatDuration, millisToNanos, parseDuration } from '../duration';
import { TypedEmitter } from '../emitter';
import { validateEntity, type TranscriptData } from '../entities';
import { AudioHookError, AudioHookErrorCode, toError } from '../errors';
import { type AudioHookLogger, silentLogger } from '../logger';
import { mediaEquals } from '../media';
import {
  NIL_UUID,
  PROTOCOL_VERSION,
  type ClientMessage,
  type ClientMessageType,
  type ClientParameters,
  type CloseReason,
  type ClosedParameters,
  type ContinuedSession,
  type DisconnectParameters,
  type MediaParameter,
  type OpenedMessage,
  type Participant,
  type ServerMessage,
} from '../schemas';
import { type AudioHookTransport } from '../transport';
import { ServerFrameDecoder, statusFor } from './decoder';
import { MediaPump } from './media-pump';
import { validateClientOptions } from './options';
import { Pinger } from './pinger';
import type {
  ClientSessionEvents,
  ClientSessionOptions,
  ClientSessionResult,
  ClientSessionState,
} from './types';

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
  readonly #decoder: ServerFrameDecoder;
  #offered: readonly MediaParameter[];
  #selected: MediaParameter | undefined;
  #openSeq = 0;
  #closeSeq = 0;
  readonly #timers: NamedTimers;
  readonly #pinger: Pinger;
  readonly #media: MediaPump;
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
    this.id = (options.sessionId ?? randomUuid()).toLowerCase();
    this.#offered = options.media?.offeredMedia ?? [];
    this.#decoder = new ServerFrameDecoder(this.id, options.strict ?? false);
    this.#pinger = new Pinger({
      clock: this.#clock,
      timers: this.#timers,
      intervalMs: options.pingIntervalMs ?? 5000,
      isOpen: () => this.#state === 'OPEN',
      sendPing: (parameters) => this.#send('ping', parameters),
      fail: (code, message) => this.#fail(code, message),
      pong: (rtt) => this.#emitSafe('pong', rtt),
    });
    this.#media = new MediaPump({
      transport: this.#transport,
      isOpen: () => this.#state === 'OPEN',
      send: (type, parameters) => void this.#send(type, parameters),
      paused: (by) => this.#emitSafe('paused', by),
      resumed: () => this.#emitSafe('resumed'),
      ended: (failure) => {
        this.#emitSafe('mediaEnd', failure);
        if (failure !== undefined) this.#fail(500, `Media source failed: ${failure.message}`);
        else if (this.#options.closeOnMediaEnd ?? true) this.close('end');
      },
      log: (level, message, fields) => this.#log(level, message, fields),
    });
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
    return this.#media.position;
  }

  /** The media the server selected. */
  get selectedMedia(): MediaParameter | undefined {
    return this.#selected;
  }

  /** True while audio is paused. */
  get paused(): boolean {
    return this.#media.pausedBy !== undefined;
  }

  /**
   * The `continuedSessions` entry that names this session in the `open` of a new connection
   * (spec §15): its id and the last sequence numbers exchanged.
   */
  continuation(): ContinuedSession {
    return { id: this.id, serverseq: this.#decoder.serverSeq, clientseq: this.#seq };
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
          id: randomUuid(),
          ani: '+1-555-555-1234',
          aniName: 'John Doe',
          dnis: '+1-800-555-6789',
        });
    const promise = new Promise<OpenedMessage | undefined>((resolve) =>
      this.#openWaiters.push(resolve),
    );
    this.#openSeq = this.#send('open', {
      organizationId: o.organizationId,
      conversationId: probe ? NIL_UUID : (o.conversationId ?? randomUuid()),
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
    this.#media.stop();
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
    this.#media.beginPause('client');
    return true;
  }

  /** Ends a client-initiated pause: sends `resumed{start, discarded}`. */
  resume(): boolean {
    if (this.#state !== 'OPEN' || this.#media.pausedBy !== 'client') return false;
    this.#media.endPause();
    return true;
  }

  /** Reports (and skips) `nanos` of audio as discarded at the current position. */
  discard(nanos: number): boolean {
    if (this.#state !== 'OPEN') return false;
    const start = this.#media.discard(nanos);
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
      message = this.#decoder.decode(text, this.#seq);
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
        return this.#pinger.onPong(message.clientseq);
      case 'pause':
        if (this.#state === 'CLOSING') return;
        if (this.#state !== 'OPEN')
          return this.#fail(409, `Unexpected 'pause' in state ${this.#state}`);
        if (this.#media.pausedBy !== undefined) {
          this.#send('paused', {});
          return;
        }
        this.#media.beginPause('server');
        return;
      case 'resume':
        if (this.#state === 'CLOSING') return;
        if (this.#state !== 'OPEN')
          return this.#fail(409, `Unexpected 'resume' in state ${this.#state}`);
        if (this.#media.pausedBy === 'client') this.#send('paused', {});
        else if (this.#media.pausedBy === 'server') this.#media.endPause();
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
    if (interval > 0) this.#pinger.schedule(this.#options.initialPingDelayMs ?? 1000);

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
    if (params.discardTo !== undefined) this.#media.discardTo(parseDuration(params.discardTo));
    if (params.startPaused === true) this.#media.beginPause('server');
    if (selected !== undefined && this.#options.media !== undefined) {
      void this.#media.run(this.#options.media, selected);
    }
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
    this.#media.stop();
    this.#setState('DISCONNECTED');
    this.#resolveOpen(undefined);
    const result: ClientSessionResult = {
      opened: this.#opened,
      closed: this.#closed,
      closeReason: this.#closeReason,
      disconnect: this.#disconnect,
      error: this.#error,
      rtts: [...this.#pinger.rtts],
      audioBytes: this.#media.audioBytes,
      position: this.position,
      clean,
    };
    this.#emitSafe('end', result);
    this.#resolveFinished(result);
  }

  // ---- helpers ----

  #send<T extends ClientMessageType>(type: T, parameters: ClientParameters<T>): number {
    const message = {
      version: PROTOCOL_VERSION,
      id: this.id,
      type,
      seq: ++this.#seq,
      serverseq: this.#decoder.serverSeq,
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

// The client side of one AudioHook session (what Genesys Cloud does, spec §9.3): open/close
// transactions with timeouts, strict checks of server replies with the documented error codes,
// pause/resume/discard/update and the probe. Incoming frames are decoded by `decoder.ts`, the
// audio is streamed by `media-pump.ts` (pauses: `pause.ts`), pings are scheduled by `pinger.ts`,
// the caller's arguments are checked by `arguments.ts`. Nothing thrown in a timer or transport
// callback escapes: it fails the session instead.

import { randomUuid } from '../uuid';
import { type Clock, NamedTimers, systemClock } from '../clock';
import { formatDuration, parseDuration } from '../duration';
import { TypedEmitter } from '../emitter';
import { AudioHookError, AudioHookErrorCode, toError } from '../errors';
import { type AudioHookLogger, silentLogger } from '../logger';
import { mediaEquals } from '../media';
import {
  type ClientMessageType,
  type ClientParameters,
  type CloseReason,
  type ClosedParameters,
  type ContinuedSession,
  type DisconnectParameters,
  type MediaParameter,
  type OpenedMessage,
  type ServerMessage,
} from '../schemas';
import { type AudioHookTransport } from '../transport';
import {
  checkCloseReason,
  checkDigit,
  checkDiscard,
  checkLanguage,
  checkPlayback,
  errorParameters,
} from './arguments';
import { ServerFrameDecoder, statusFor, validTranscript } from './decoder';
import { MediaPump } from './media-pump';
import { isProbe, openParameters } from './open';
import { validateClientOptions } from './options';
import { Pinger } from './pinger';
import { MessageWriter } from './writer';
import { ProblemReporter, clip } from './problems';
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
  readonly #problems: ProblemReporter;
  readonly #writer: MessageWriter;
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
    this.#writer = new MessageWriter({
      id: this.id,
      transport: this.#transport,
      serverSeq: () => this.#decoder.serverSeq,
      position: () => this.position,
      sent: (message) => this.#emitSafe('clientMessage', message),
      log: (level, message, fields) => this.#log(level, message, fields),
    });
    this.#problems = new ProblemReporter({
      log: (level, message, fields) => this.#log(level, message, fields),
      protocolError: (error, code) => this.#emitSafe('protocolError', error, code),
    });
    this.#pinger = new Pinger({
      clock: this.#clock,
      setTimer: (ms, action) => this.#setTimer('ping', ms, action),
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
      ended: (failure) =>
        this.#guard('media end', () => {
          this.#emitSafe('mediaEnd', failure);
          if (failure !== undefined) this.#fail(500, `Media source failed: ${failure.message}`);
          else if (this.#options.closeOnMediaEnd ?? true) this.close('end');
        }),
      log: (level, message, fields) => this.#log(level, message, fields),
    });
    this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve));
    // A throw must never reach the transport (it would crash the host process).
    this.#transport.attach({
      onText: (text) => this.#guard('text frame', () => this.#onText(text)),
      onBinary: (data) => this.#guard('binary frame', () => this.#onBinary(data)),
      onClose: (code, reason) =>
        this.#guard('transport close', () => this.#onTransportClose(code, reason)),
      onError: (error) =>
        this.#guard('transport error', () =>
          this.#log('warn', 'transport error', { err: toError(error).message }),
        ),
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

  /** True while audio is paused: by the server's `pause`, by `pause()`, or by both. */
  get paused(): boolean {
    return this.#media.paused;
  }

  /**
   * The `continuedSessions` entry that names this session in the `open` of a new connection
   * (spec §15): its id and the last sequence numbers exchanged.
   */
  continuation(): ContinuedSession {
    return { id: this.id, serverseq: this.#decoder.serverSeq, clientseq: this.#writer.seq };
  }

  /** Resolves when the session is over (never rejects). */
  get finished(): Promise<ClientSessionResult> {
    return this.#finished;
  }

  /**
   * Sends `open` and starts the open timer. Resolves with `opened`, or `undefined` when the
   * session ended without one (it never rejects).
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_STATE` when called twice,
   *   `AUDIOHOOK_ERR_MESSAGE_TOO_LARGE` when the `open` (e.g. its `customConfig`) would not fit in
   *   one text frame, `AUDIOHOOK_ERR_INVALID_ARGUMENT` when its parameters are invalid (e.g. a
   *   `customConfig` nested too deep). The scripting methods throw the same for oversized or
   *   invalid parameters, before anything is sent or changed (no `seq` is used up).
   */
  start(): Promise<OpenedMessage | undefined> {
    if (this.#state !== 'PREPARING') {
      throw new AudioHookError(AudioHookErrorCode.InvalidState, 'start() was already called');
    }
    this.#openSeq = this.#send('open', openParameters(this.#options, this.#offered));
    const promise = new Promise<OpenedMessage | undefined>((resolve) =>
      this.#openWaiters.push(resolve),
    );
    this.#setState('OPENING');
    this.#setTimer('open', this.#options.openTimeoutMs ?? 5000, () =>
      this.#fail(408, 'Open transaction timeout'),
    );
    return promise;
  }

  /**
   * Starts the close transaction (`close` → `closed`). Audio skipped for `opened.discardTo` and
   * not yet reported goes out first as `discarded`. Returns false when the session is not open
   * or opening.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ARGUMENT` for an unknown reason.
   */
  close(reason: CloseReason = 'end'): boolean {
    checkCloseReason(reason);
    if (this.#state !== 'OPENING' && this.#state !== 'OPEN') return false;
    this.#media.stop();
    this.#timers.clear('open');
    this.#timers.clear('ping');
    this.#timers.clear('maxDuration');
    this.#media.flushDiscardTo();
    this.#closeReason = reason;
    this.#closeSeq = this.#send('close', { reason });
    this.#setState('CLOSING');
    this.#setTimer('close', this.#options.closeTimeoutMs ?? 10_000, () => this.#closeTimedOut());
    this.#resolveOpen(undefined);
    return true;
  }

  /**
   * Client-initiated pause (hold, secure pause): stops the audio and sends `paused` (also while
   * the server's pause is on: both are then held). Returns false when not open or already held.
   */
  pause(): boolean {
    if (this.#state !== 'OPEN') return false;
    return this.#media.clientPause();
  }

  /**
   * Ends the client-initiated pause. When the server's pause is not on, the audio flows again
   * and `resumed{start, discarded}` is sent, covering the whole pause; otherwise nothing is sent
   * until the server's `resume`. Returns false when this client holds no pause.
   */
  resume(): boolean {
    if (this.#state !== 'OPEN') return false;
    return this.#media.clientResume();
  }

  /**
   * Reports (and skips) `nanos` of audio as discarded at the current position.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ARGUMENT` unless `nanos` is a safe integer ≥ 0
   *   that keeps the position within `MAX_STREAM_POSITION_NANOS` (nothing changes then).
   */
  discard(nanos: number): boolean {
    checkDiscard(nanos, this.position);
    if (this.#state !== 'OPEN') return false;
    const parameters = { start: formatDuration(this.position), discarded: formatDuration(nanos) };
    this.#media.discard(nanos);
    this.#send('discarded', parameters);
    return true;
  }

  /**
   * Sends `update{language}`.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ARGUMENT` unless `language` is a language tag
   *   (letters, digits and hyphens, e.g. `en-US`).
   */
  update(language: string): boolean {
    checkLanguage(language, 'update() language');
    if (this.#state !== 'OPEN') return false;
    this.#send('update', { language });
    return true;
  }

  /**
   * Sends an `error` message without closing (e.g. a 429 with `retryAfter`).
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ARGUMENT` unless `code` is an integer from
   *   400 to 9999 and `retryAfterMs` (when given) a duration ≥ 0.
   */
  sendError(code: number, message: string, retryAfterMs?: number): boolean {
    const parameters = errorParameters(code, message, retryAfterMs);
    if (this.#state !== 'OPEN' && this.#state !== 'OPENING' && this.#state !== 'CLOSING')
      return false;
    this.#send('error', parameters);
    return true;
  }

  /**
   * Audio Connector: sends `dtmf{digit}`.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ARGUMENT` for an empty or non-string digit.
   */
  sendDtmf(digit: string): boolean {
    checkDigit(digit);
    if (this.#state !== 'OPEN') return false;
    this.#send('dtmf', { digit });
    return true;
  }

  /**
   * Audio Connector: sends `playback_started` or `playback_completed`.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ARGUMENT` for anything else.
   */
  sendPlayback(what: 'started' | 'completed'): boolean {
    checkPlayback(what);
    if (this.#state !== 'OPEN') return false;
    this.#send(what === 'started' ? 'playback_started' : 'playback_completed', {});
    return true;
  }

  // ---- incoming ----

  #onText(text: string): void {
    if (this.#state === 'CLOSED' || this.#state === 'DISCONNECTED') return;
    let message: ServerMessage;
    try {
      message = this.#decoder.decode(text, this.#writer.seq);
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
        return this.#media.serverPause();
      case 'resume':
        if (this.#state === 'CLOSING') return;
        if (this.#state !== 'OPEN')
          return this.#fail(409, `Unexpected 'resume' in state ${this.#state}`);
        return this.#media.serverResume();
      case 'event': {
        if (this.#state !== 'OPEN' && this.#state !== 'CLOSING') {
          return this.#fail(409, `Unexpected 'event' in state ${this.#state}`);
        }
        this.#emitSafe('event', message.parameters.entities);
        for (const entity of message.parameters.entities) {
          if (entity.type !== 'transcript') continue;
          const data = validTranscript(entity);
          if (typeof data === 'string') return this.#fail(400, data);
          this.#emitSafe('transcript', data);
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
    const maxMs = isProbe(this.#options) ? probeDuration : this.#options.maxStreamDurationMs;
    if (isProbe(this.#options) && (probeDuration === undefined || selected === undefined)) {
      this.close('end');
      return;
    }
    if (maxMs !== undefined) {
      this.#setTimer('maxDuration', maxMs, () => this.close('end'));
    }
    if (params.discardTo !== undefined) this.#media.discardTo(parseDuration(params.discardTo));
    if (params.startPaused === true) this.#media.serverPause();
    if (selected !== undefined && this.#options.media !== undefined) {
      this.#media.run(this.#options.media, selected).catch((error: unknown) =>
        this.#guard('media', () => {
          throw error;
        }),
      );
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
    this.#problems.summarize();
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

  /** Sends one message (see `writer.ts`: `seq` is used up only when it goes out). */
  #send<T extends ClientMessageType>(type: T, parameters: ClientParameters<T>): number {
    return this.#writer.send(type, parameters);
  }

  #sendError(code: number, message: string): void {
    this.#send('error', errorParameters(code, message, undefined));
  }

  /** Reports a fatal problem: `error{code}` then `close{reason:"error"}` (once). */
  #fail(code: number, message: string, cause?: AudioHookError): void {
    // No longer answered (a close is under way, or start() was not called): counted.
    if (this.#state !== 'OPENING' && this.#state !== 'OPEN') {
      return this.#problems.late(code, message, cause);
    }
    this.#problems.report(code, message, cause);
    const text = clip(message);
    this.#error ??= { code, message: text };
    this.#sendError(code, text);
    this.close('error');
  }

  /** No `closed` within the close timeout: `error` 408, then the connection is dropped. */
  #closeTimedOut(): void {
    const message = 'Close transaction timeout';
    this.#problems.report(408, message);
    this.#error ??= { code: 408, message };
    this.#sendError(408, message);
    this.#transport.close();
  }

  /** Sets a named timer whose action cannot throw out of the timer callback. */
  #setTimer(name: string, ms: number, action: () => void): void {
    this.#timers.set(name, ms, () => this.#guard(`${name} timer`, action));
  }

  /** Runs a timer, transport or media callback: what it throws fails the session instead. */
  #guard(where: string, action: () => void): void {
    try {
      action();
    } catch (error) {
      try {
        this.#internalFailure(where, error);
      } catch {
        // Not even the connection could be dropped: nothing more to do, but never throw here.
      }
    }
  }

  /**
   * Something threw where nobody can catch it: `error` 500 and `close(error)` while open (a
   * `protocolError` carries the typed error); otherwise, or when even that fails, the connection
   * is dropped so that the session still ends.
   */
  #internalFailure(where: string, thrown: unknown): void {
    const error =
      thrown instanceof AudioHookError
        ? thrown
        : new AudioHookError(AudioHookErrorCode.Internal, toError(thrown).message, {
            cause: thrown,
          });
    const message = `Internal client error (${where}): ${error.message}`;
    this.#log('error', 'internal client error', { where, code: error.code, err: error.message });
    try {
      if (this.#state === 'OPENING' || this.#state === 'OPEN')
        return this.#fail(500, message, error);
    } catch {
      // Even the report failed: drop the connection below.
    }
    if (this.#state === 'DISCONNECTED') return;
    this.#error ??= { code: 500, message: clip(message) };
    this.#timers.clearAll();
    this.#media.stop();
    this.#transport.close();
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
    try {
      this.#logger[level]({ sessionId: this.id, ...fields }, message);
    } catch {
      // A failing logger must not break the session.
    }
  }
}

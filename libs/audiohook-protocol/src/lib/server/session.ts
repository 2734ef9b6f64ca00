// The server side of one AudioHook session: the state machine of spec §9.2 over an abstract
// transport. Incoming frames are decoded by `decoder.ts`, the open and close transactions run
// in `open-pipeline.ts` and `close-pipeline.ts`, outgoing events are paced by `event-pacer.ts`;
// this file holds the state, the dispatch of client messages, the audio path and the actions.

import { type Clock, NamedTimers, systemClock } from '../clock';
import { parseDuration, StreamTimeline } from '../duration';
import { TypedEmitter } from '../emitter';
import { AudioHookError, AudioHookErrorCode, toError } from '../errors';
import { type AudioHookLogger, silentLogger } from '../logger';
import {
  type ClientMessage,
  type DisconnectReason,
  type ErrorParameters,
  type EventEntity,
  type MediaParameter,
  type OpenMessage,
  type ServerMessageType,
  type ServerParameters,
} from '../schemas';
import { type AudioHookTransport } from '../transport';
import { ClosePipeline } from './close-pipeline';
import { ClientFrameDecoder, disconnectInfo } from './decoder';
import { EventPacer } from './event-pacer';
import { IdleTimer } from './idle-timer';
import { AudioPath } from './audio-path';
import { ServerMessageSender } from './sender';
import { OpenTransaction } from './open-pipeline';
import { UpdatePipeline } from './update-pipeline';
import { validateServerOptions } from './options';
import type {
  Authenticator,
  CloseHandler,
  FiniHandler,
  MediaSelector,
  OpenHandler,
  ServerSessionEvents,
  ServerSessionOptions,
  ServerSessionState,
  ServerSessionStats,
  UpdateHandler,
} from './types';

type SessionLog = (
  level: keyof AudioHookLogger,
  message: string,
  fields: Record<string, unknown>,
) => void;

const CLIENT_ERROR_PREFIX = 'Client Error: ';

/** States in which the session still takes input (and may still send `disconnect`). */
const LIVE_STATES: ReadonlySet<ServerSessionState> = new Set([
  'PREPARING',
  'OPENING',
  'ACTIVE',
  'PAUSED',
]);

/** States in which `event` messages may go out. */
const EVENT_STATES: ReadonlySet<ServerSessionState> = new Set(['ACTIVE', 'PAUSED', 'CLOSING']);

/**
 * One AudioHook session on the server side (spec §9.2). Create it when a WebSocket is
 * accepted; it validates every frame, enforces the state table, answers `ping` and `close`,
 * selects media, runs your handlers and paces your events.
 *
 * @example
 * ```ts
 * const session = new ServerSession({ transport: fromWebSocket(socket), id: sessionId });
 * session.addOpenHandler(({ selectedMedia, isProbe }) => {
 *   if (isProbe) return;
 *   const recorder = startRecorder(selectedMedia);
 *   session.on('audio', (frame) => recorder.write(frame.data));
 *   return () => recorder.close();
 * });
 * ```
 */
export class ServerSession extends TypedEmitter<ServerSessionEvents> {
  readonly #transport: AudioHookTransport;
  readonly #clock: Clock;
  readonly #idle: IdleTimer;
  readonly #logger: AudioHookLogger;
  readonly #options: ServerSessionOptions;
  readonly #createdAt: number;
  readonly #decoder: ClientFrameDecoder;
  #state: ServerSessionState = 'PREPARING';
  readonly #sender: ServerMessageSender;
  readonly #audio: AudioPath;
  #timeline: StreamTimeline;
  readonly #update: UpdatePipeline;
  readonly #open: OpenTransaction;
  readonly #close: ClosePipeline;
  readonly #timers: NamedTimers;
  readonly #events: EventPacer;
  #finished: Promise<void>;
  #resolveFinished!: () => void;
  readonly #logTo: SessionLog = (level, message, fields) => this.#log(level, message, fields);
  readonly stats: ServerSessionStats = {
    textReceived: 0,
    binaryReceived: 0,
    audioBytes: 0,
    textSent: 0,
    eventsSent: 0,
    eventsDropped: 0,
    rtt: undefined,
  };

  constructor(options: ServerSessionOptions) {
    super();
    validateServerOptions(options);
    this.#options = options;
    this.#transport = options.transport;
    this.#clock = options.clock ?? systemClock;
    this.#timers = new NamedTimers(this.#clock);
    this.#logger = options.logger ?? silentLogger;
    this.#decoder = new ClientFrameDecoder(
      options.id,
      options.strict ?? false,
      (options.unknownMessageTypes ?? 'disconnect') === 'ignore'
        ? (type) => this.#log('warn', 'unknown client message type ignored', { type })
        : undefined,
    );
    this.#sender = new ServerMessageSender(this.#transport, () => this.#decoder.id, this.#logTo);
    this.#audio = new AudioPath(options, {
      transport: this.#transport,
      state: () => this.#state,
      media: () => this.#open.selectedMedia,
      protocolError: (info, error) => this.#protocolError(info, error),
      audio: (frame) => {
        this.stats.audioBytes += frame.data.length;
        this.#timeline.addSamples(frame.samples);
        this.#emitSafe('audio', frame);
      },
      log: this.#logTo,
    });
    this.#createdAt = this.#clock.now();
    this.#timeline = new StreamTimeline(8000, options.positionMode ?? 'timeline');
    this.#idle = new IdleTimer(
      this.#clock,
      this.#timers,
      options.idleTimeoutMs ?? 0,
      () => this.#isOver(),
      (idle) => {
        this.#log('warn', 'idle timeout', { idleTimeoutMs: idle });
        if (!this.disconnect('error', `Server error: no message from the client for ${idle} ms`)) {
          this.#transport.close(1000, 'idle timeout');
        }
      },
    );
    this.#events = this.#createEventPacer();
    this.#open = this.#createOpenTransaction();
    this.#update = new UpdatePipeline({
      session: this,
      sendUpdated: options.sendUpdated === true,
      state: () => this.#state,
      updated: (parameters) => this.#emitSafe('update', parameters),
      sendUpdatedMessage: () => void this.#send('updated', {}),
      serverError: (error) => this.#serverError(error),
      log: this.#logTo,
    });
    this.#close = this.#createClosePipeline();
    this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve));
    this.#transport.attach({
      onText: (text) => this.#onText(text),
      onBinary: (data) => this.#onBinary(data),
      onClose: (code, reason) => {
        if (!this.#isOver()) void this.#close.onTransportClose(code, reason);
      },
      onError: (error) => this.#log('warn', 'transport error', { err: error.message }),
    });
    this.#idle.touch();
  }

  // ---- public state ----

  /** The session id (from the option or the first message), lower-case. */
  get id(): string | undefined {
    return this.#decoder.id;
  }

  /** The current state. */
  get state(): ServerSessionState {
    return this.#state;
  }

  /** The `open` message, once received. */
  get openMessage(): OpenMessage | undefined {
    return this.#open.message;
  }

  /** The media selected in `opened` (`undefined` before, or when `[]` was sent). */
  get selectedMedia(): MediaParameter | undefined {
    return this.#open.selectedMedia;
  }

  /** True when this session is a connection probe (nil conversation id). */
  get isProbe(): boolean {
    return this.#open.isProbe;
  }

  /** The stream position in ns, by this session's count (samples + discarded gaps). */
  get position(): number {
    return this.#timeline.position;
  }

  /** The last `position` the client reported, in ns. */
  get clientPosition(): number {
    return this.#decoder.clientPosition;
  }

  /** The stream timeline (samples and discarded durations). */
  get timeline(): StreamTimeline {
    return this.#timeline;
  }

  /** `seq` of the last client message processed. */
  get clientSeq(): number {
    return this.#decoder.clientSeq;
  }

  /** `seq` of the last message sent. */
  get serverSeq(): number {
    return this.#sender.seq;
  }

  /** False once events were switched off (Monitor endpoint, or rejected by the client). */
  get eventsEnabled(): boolean {
    return this.#events.enabled;
  }

  /** Events waiting for a rate-limit token. */
  get queuedEvents(): number {
    return this.#events.queued;
  }

  /** Resolves when the session reaches DISCONNECTED. */
  get finished(): Promise<void> {
    return this.#finished;
  }

  // ---- handler registration ----

  /** Adds an authenticator (only in PREPARING). They run in order before media selection. */
  addAuthenticator(authenticator: Authenticator): this {
    this.#requireState('addAuthenticator', ['PREPARING']);
    this.#open.authenticators.push(authenticator);
    return this;
  }

  /** Adds a media selector (only in PREPARING). */
  addMediaSelector(selector: MediaSelector): this {
    this.#requireState('addMediaSelector', ['PREPARING']);
    this.#open.selectors.push(selector);
    return this;
  }

  /** Adds an open handler (only in PREPARING). */
  addOpenHandler(handler: OpenHandler): this {
    this.#requireState('addOpenHandler', ['PREPARING']);
    this.#open.handlers.push(handler);
    return this;
  }

  /** Adds an update handler. */
  addUpdateHandler(handler: UpdateHandler): this {
    this.#update.handlers.push(handler);
    return this;
  }

  /** Adds a close handler (runs on `close`, or on transport close if no `close` came). */
  addCloseHandler(handler: CloseHandler): this {
    this.#close.closeHandlers.push(handler);
    return this;
  }

  /** Adds a fini handler (runs once the transport closed). */
  addFiniHandler(handler: FiniHandler): this {
    this.#close.finiHandlers.push(handler);
    return this;
  }

  // ---- actions ----

  /**
   * Asks the client to pause the audio. Before `opened` it sets `startPaused` instead.
   * Returns false (and sends nothing) in states where `pause` is not allowed.
   */
  pause(): boolean {
    if (this.#state === 'PREPARING' || this.#state === 'OPENING') {
      this.#open.startPaused = true;
      return true;
    }
    if (this.#state !== 'ACTIVE' && this.#state !== 'PAUSED') return this.#refuse('pause');
    this.#send('pause', {});
    return true;
  }

  /** Asks the client to resume the audio. Before `opened` it clears `startPaused`. */
  resume(): boolean {
    if (this.#state === 'PREPARING' || this.#state === 'OPENING') {
      this.#open.startPaused = false;
      return true;
    }
    if (this.#state !== 'ACTIVE' && this.#state !== 'PAUSED') return this.#refuse('resume');
    this.#send('resume', {});
    return true;
  }

  /**
   * Queues an `event` (ACTIVE, PAUSED or CLOSING) behind the rate limiter. Events still queued
   * when `close` arrives are sent before `closed`. Returns false when the event is dropped.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ARGUMENT` for an empty entity list,
   *   `AUDIOHOOK_ERR_MESSAGE_TOO_LARGE` when the event would not fit in one text frame.
   */
  sendEvent(entities: readonly EventEntity[]): boolean {
    return this.#events.offer(entities) === undefined;
  }

  /**
   * Sends server audio (Audio Connector) as one binary frame of the selected media. Use
   * {@link splitAudio} to send long audio in packets.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_STATE` when no media was selected or the session
   *   is not ACTIVE/PAUSED; `AUDIOHOOK_ERR_INVALID_AUDIO_FRAME` for a partial sample frame.
   */
  sendAudio(data: Uint8Array): void {
    this.#audio.send(data);
  }

  /**
   * Sends `disconnect` (allowed before CLOSING and not after an earlier disconnect). The client
   * answers with `close`; the session then answers `closed`.
   */
  disconnect(
    reason: DisconnectReason | (string & {}) = 'completed',
    info?: string,
    outputVariables?: Record<string, string>,
  ): boolean {
    if (!LIVE_STATES.has(this.#state)) return this.#refuse('disconnect');
    const wasActive = this.#state === 'ACTIVE';
    return this.#close.disconnect(
      {
        reason,
        ...(info === undefined ? {} : { info }),
        ...(outputVariables === undefined ? {} : { outputVariables }),
      },
      () => this.#audio.disconnectSent(wasActive),
    );
  }

  /** Asks the client to move the session to a new connection (spec §15). */
  reconnect(info?: string): boolean {
    if (['CLOSED', 'FINALIZING', 'DISCONNECTED'].includes(this.#state)) {
      return this.#refuse('reconnect');
    }
    return this.#send('reconnect', info === undefined ? {} : { info });
  }

  /** Closes the transport now (for shutdown); close and fini handlers still run. */
  abort(code = 1001, reason = 'server going away'): void {
    this.#transport.close(code, reason);
  }

  // ---- incoming frames ----

  #onText(text: string): void {
    this.stats.textReceived++;
    this.#idle.touch();
    if (this.#isOver()) {
      this.#log('debug', 'text frame after the session ended ignored', {});
      return;
    }
    let message: ClientMessage | undefined;
    try {
      message = this.#decoder.decode(text, this.#sender.seq);
    } catch (error) {
      const err =
        error instanceof AudioHookError
          ? error
          : new AudioHookError(AudioHookErrorCode.ProtocolViolation, toError(error).message);
      this.#protocolError(disconnectInfo(err), err);
      return;
    }
    if (message === undefined) return;
    this.#emitSafe('clientMessage', message);
    this.#dispatch(message);
  }

  #dispatch(message: ClientMessage): void {
    switch (message.type) {
      case 'open':
        return this.#open.onOpen(message);
      case 'close':
        return this.#close.onClose(message);
      case 'ping': {
        if (this.#state === 'CLOSED') return;
        const rtt =
          message.parameters.rtt === undefined ? undefined : parseDuration(message.parameters.rtt);
        if (rtt !== undefined) this.stats.rtt = rtt;
        this.#send('pong', {}, message.seq);
        this.#emitSafe('ping', rtt);
        return;
      }
      case 'paused':
        if (this.#state === 'ACTIVE') {
          this.#setState('PAUSED');
          this.#emitSafe('paused');
        } else this.#log('debug', 'paused ignored', { state: this.#state });
        return;
      case 'resumed':
        this.#timeline.addDiscarded(parseDuration(message.parameters.discarded));
        if (this.#state === 'PAUSED') {
          this.#setState('ACTIVE');
          this.#emitSafe('resumed', message.parameters);
        } else this.#log('debug', 'resumed ignored', { state: this.#state });
        return;
      case 'discarded':
        this.#timeline.addDiscarded(parseDuration(message.parameters.discarded));
        this.#emitSafe('discarded', message.parameters);
        return;
      case 'update':
        return this.#update.onUpdate(message.parameters);
      case 'error':
        return this.#onClientError(message.parameters);
      case 'dtmf':
        this.#emitSafe('dtmf', message.parameters);
        return;
      case 'playback_started':
        this.#emitSafe('playbackStarted');
        return;
      case 'playback_completed':
        this.#emitSafe('playbackCompleted');
        return;
      case 'reconnecting':
      case 'reconnected':
        this.#log('info', 'older-draft message ignored', { type: message.type });
        return;
    }
  }

  #onBinary(data: Uint8Array): void {
    this.stats.binaryReceived++;
    this.#idle.touch();
    this.#audio.accept(data);
  }

  // ---- client errors ----

  #onClientError(parameters: ErrorParameters): void {
    this.#log('warn', 'client reported an error', {
      code: parameters.code,
      message: parameters.message,
    });
    this.#emitSafe('clientError', parameters);
    this.#events.onClientError(parameters);
  }

  // ---- collaborators (they see the session through these hosts) ----

  #createEventPacer(): EventPacer {
    return new EventPacer(this.#options.events, {
      clock: this.#clock,
      timers: this.#timers,
      sessionId: () => this.#decoder.id,
      state: () => this.#state,
      allowsEvents: () => EVENT_STATES.has(this.#state),
      send: (entities) => {
        const sent = this.#send('event', { entities });
        if (sent) this.stats.eventsSent++;
        return sent;
      },
      dropped: (entities, reason) => {
        this.stats.eventsDropped++;
        this.#log('warn', 'event dropped', { reason, types: entities.map((e) => e.type) });
        this.#emitSafe('eventDropped', entities, reason);
      },
      disconnect: (info) => void this.disconnect('error', info),
      log: this.#logTo,
    });
  }

  #createClosePipeline(): ClosePipeline {
    return new ClosePipeline({
      session: this,
      options: this.#options,
      transport: this.#transport,
      timers: this.#timers,
      pacer: this.#events,
      state: () => this.#state,
      setState: (state) => this.#setState(state),
      openDone: () => this.#open.done,
      sendClosed: (closeSeq) => void this.#send('closed', {}, closeSeq),
      sendDisconnect: (parameters) => this.#send('disconnect', parameters),
      end: () => {
        this.#setState('DISCONNECTED');
        this.#emitSafe('end', this.stats);
        this.#resolveFinished();
      },
      log: this.#logTo,
    });
  }

  #createOpenTransaction(): OpenTransaction {
    return new OpenTransaction({
      session: this,
      options: this.#options,
      clock: this.#clock,
      timers: this.#timers,
      createdAt: this.#createdAt,
      state: () => this.#state,
      setState: (state) => this.#setState(state),
      position: () => this.position,
      sendOpened: (parameters, openSeq) => this.#send('opened', parameters, openSeq),
      opened: (media) => this.#emitSafe('opened', media),
      addCloseHandler: (handler) => void this.#close.closeHandlers.push(handler),
      sleep: (ms) => this.#sleep(ms),
      disconnectUnauthorized: (info) => void this.disconnect('unauthorized', info),
      serverError: (error) => this.#serverError(error),
      log: this.#logTo,
    });
  }

  // ---- helpers ----

  #send<T extends ServerMessageType>(
    type: T,
    parameters: ServerParameters<T>,
    clientseq: number = this.#decoder.clientSeq,
  ): boolean {
    const message = this.#sender.send(type, parameters, clientseq);
    if (message === undefined) return false;
    this.stats.textSent++;
    this.#emitSafe('serverMessage', message);
    return true;
  }

  #protocolError(info: string, error: AudioHookError): void {
    this.#emitSafe('protocolError', error);
    if (!LIVE_STATES.has(this.#state)) {
      this.#log('warn', 'client error after the session stopped accepting input', {
        info,
        state: this.#state,
      });
      return;
    }
    this.#log('warn', 'client protocol error; disconnecting', { info, path: error.path });
    if (!this.disconnect('error', `${CLIENT_ERROR_PREFIX}${info}`.slice(0, 1024))) {
      this.#transport.close(1011, 'protocol error');
    }
  }

  #serverError(error: Error): void {
    this.#log('error', 'server error', { err: error.message });
    if (LIVE_STATES.has(this.#state)) {
      this.disconnect('error', `Server error: ${error.message}`);
    }
  }

  #refuse(action: string): false {
    this.#log('debug', `${action} refused`, { state: this.#state });
    return false;
  }

  #requireState(action: string, states: ServerSessionState[]): void {
    if (!states.includes(this.#state)) {
      throw new AudioHookError(
        AudioHookErrorCode.InvalidState,
        `${action} is only allowed in ${states.join('/')}, the session is ${this.#state}`,
      );
    }
  }

  #isOver(): boolean {
    return this.#state === 'FINALIZING' || this.#state === 'DISCONNECTED';
  }

  #setState(next: ServerSessionState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.#log('debug', 'state changed', { from: previous, to: next });
    this.#emitSafe('state', next, previous);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#timers.set('sleep', ms, resolve));
  }

  #emitSafe<K extends keyof ServerSessionEvents>(event: K, ...args: ServerSessionEvents[K]): void {
    for (const error of this.emit(event, ...args)) {
      this.#log('error', 'event listener threw', { event, err: error.message });
    }
  }

  #log(level: keyof AudioHookLogger, message: string, fields: Record<string, unknown>): void {
    this.#logger[level]({ sessionId: this.#decoder.id, ...fields }, message);
  }
}

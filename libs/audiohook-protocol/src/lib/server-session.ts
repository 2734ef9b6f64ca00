// The server side of one AudioHook session: the state machine of spec §9.2 over an abstract
// transport, with the timers, media selection, pacing and handler pipeline a production
// server needs.

import { type Clock, NamedTimers, systemClock } from './clock';
import {
  isKnownMessageType,
  parseJsonFrame,
  serializeMessage,
  validateEnvelope,
  validateParameters,
} from './codec';
import { formatDuration, parseDuration, StreamTimeline, type PositionMode } from './duration';
import { TypedEmitter } from './emitter';
import { AudioHookError, AudioHookErrorCode, invalidArgument, toError } from './errors';
import { type AudioHookLogger, silentLogger } from './logger';
import { AudioFrame, copyMedia, frameBytes, mediaEquals } from './media';
import { TokenBucket } from './rate-limit';
import {
  NIL_UUID,
  PROTOCOL_VERSION,
  UUID_PATTERN,
  type ClientMessage,
  type ClientMessageOf,
  type CloseParameters,
  type DiscardedParameters,
  type DisconnectReason,
  type DtmfParameters,
  type ErrorParameters,
  type EventEntity,
  type MediaParameter,
  type OpenParameters,
  type OpenMessage,
  type ResumedParameters,
  type ServerMessage,
  type ServerMessageType,
  type ServerParameters,
  type UpdateParameters,
} from './schemas';
import { type AudioHookTransport } from './transport';

/**
 * States of a server session (spec §9.2), plus `DISCONNECTING` after a `disconnect` with reason
 * `completed` (the reference has no name for it).
 */
export type ServerSessionState =
  | 'PREPARING'
  | 'OPENING'
  | 'ACTIVE'
  | 'PAUSED'
  | 'CLOSING'
  | 'CLOSED'
  | 'FINALIZING'
  | 'DISCONNECTED'
  | 'DISCONNECTING'
  | 'SIGNALED-ERROR'
  | 'UNAUTHORIZED';

/**
 * What an authenticator returns: `undefined`, `true` or `''` to accept; `false` or a non-empty
 * string (the `info` of the `disconnect`) to reject.
 */
export type AuthenticatorResult = void | boolean | string;

/** Checks an `open` before it is accepted. May be async (e.g. awaiting a signature check). */
export type Authenticator = (
  session: ServerSession,
  open: OpenParameters,
) => AuthenticatorResult | Promise<AuthenticatorResult>;

/** Filters the offered media; the first entry that survives every selector is chosen. */
export type MediaSelector = (
  offered: readonly MediaParameter[],
  open: OpenParameters,
  session: ServerSession,
) => readonly MediaParameter[];

/** Runs when the session finally ends (after the transport closed). */
export type FiniHandler = (session: ServerSession) => void | Promise<void>;

/** What a close handler sees: `parameters` is `null` when the transport closed without `close`. */
export interface CloseContext {
  readonly session: ServerSession;
  readonly parameters: CloseParameters | null;
}

/** Runs on `close` (before `closed` is sent) or when the transport closes; may return a fini handler. */
export type CloseHandler = (
  context: CloseContext,
) => void | FiniHandler | Promise<void | FiniHandler>;

/** What an open handler sees and may change before `opened` is sent. */
export interface OpenContext {
  readonly session: ServerSession;
  readonly message: OpenMessage;
  readonly parameters: OpenParameters;
  /** The media that will be sent in `opened` (`undefined` = `[]`, no audio). */
  readonly selectedMedia: MediaParameter | undefined;
  /** True for a connection probe (nil conversation id); do not record or transcribe it. */
  readonly isProbe: boolean;
  /** Asks the client to start paused (`opened.startPaused`). */
  setStartPaused(startPaused: boolean): void;
  /** Asks the client to skip audio up to this position (ns); the lowest value wins. */
  setDiscardTo(nanos: number): void;
}

/** Runs on `open` in parallel with the other open handlers; may return a close handler. */
export type OpenHandler = (
  context: OpenContext,
) => void | CloseHandler | Promise<void | CloseHandler>;

/** Runs on `update` (ACTIVE or PAUSED). */
export type UpdateHandler = (
  parameters: UpdateParameters,
  session: ServerSession,
) => void | Promise<void>;

/** Options of outgoing `event` pacing (spec §16 and open question 1). */
export interface ServerEventOptions {
  /**
   * Whether this endpoint may send `event` messages at all. Set `false` for AudioHook Monitor
   * endpoints (Genesys rejects events there).
   * @default true
   */
  readonly enabled?: boolean;
  /** Token-bucket rate of `event` messages per second. @default 5 */
  readonly ratePerSecond?: number;
  /** Token-bucket burst. @default 25 */
  readonly burst?: number;
  /** Largest number of events waiting for a token; more are dropped. @default 1000 */
  readonly maxQueued?: number;
  /** Back-off after an `error` 429 without `retryAfter`, in ms. @default 3000 */
  readonly defaultRetryAfterMs?: number;
  /** Consecutive 429 errors after which the session is disconnected (`0` = never). @default 3 */
  readonly max429?: number;
  /** Stop sending events after an `error` 400 that rejects event messages. @default true */
  readonly stopOnRejection?: boolean;
}

/** Options of {@link ServerSession}. */
export interface ServerSessionOptions {
  /** The connection. The session attaches to it at once. */
  readonly transport: AudioHookTransport;
  /**
   * The session id from the `Audiohook-Session-Id` header; every message's `id` must equal it.
   * When omitted, the id of the first message is adopted.
   */
  readonly id?: string;
  /**
   * The `Audiohook-Organization-Id` header. When given, `open.organizationId` must equal it
   * (else `disconnect` unauthorized, like the reference).
   */
  readonly organizationId?: string;
  /** Where the session logs; every line carries `sessionId`. @default silentLogger */
  readonly logger?: AudioHookLogger;
  /** Time and timers. @default systemClock */
  readonly clock?: Clock;
  /** Reference-strict validation (see {@link ValidationOptions}). @default false */
  readonly strict?: boolean;
  /**
   * What to do with a client message type this library does not know: `disconnect` (the
   * reference's behaviour) or `ignore` (log and carry on).
   * @default 'disconnect'
   */
  readonly unknownMessageTypes?: 'disconnect' | 'ignore';
  /** Languages to report in `opened.supportedLanguages` when `open.supportedLanguages` is true. */
  readonly supportedLanguages?: readonly string[];
  /**
   * Milliseconds after `open` within which `opened` is sent even if open handlers are still
   * running (Genesys gives up after 5 s). `0` disables the deadline.
   * @default 3000
   */
  readonly openDeadlineMs?: number;
  /**
   * Milliseconds after `close` within which `closed` is sent even if close handlers or queued
   * events are still pending (the reference client waits 10 s). `0` disables it.
   * @default 5000
   */
  readonly closeDeadlineMs?: number;
  /**
   * Disconnect (reason `error`) when nothing arrives from the client for this long. `0` = off.
   * @default 0
   */
  readonly idleTimeoutMs?: number;
  /**
   * After sending `disconnect`, close the transport if the client has not closed the session
   * within this many ms. `0` = wait forever (the reference's behaviour).
   * @default 10000
   */
  readonly disconnectTimeoutMs?: number;
  /**
   * After sending `closed`, close the transport if the client has not done so within this many
   * ms. `0` = wait forever.
   * @default 5000
   */
  readonly closedLingerMs?: number;
  /**
   * Minimum time from session creation before a `disconnect` unauthorized is sent (hides how
   * long verification took).
   * @default 500
   */
  readonly unauthorizedDelayMs?: number;
  /** Send `updated` after `update` handlers finished (spec open question 5). @default false */
  readonly sendUpdated?: boolean;
  /** How `position` is counted (spec open question 11). @default 'timeline' */
  readonly positionMode?: PositionMode;
  /** Byte order of L16 audio (spec open question 3). @default 'le' */
  readonly l16ByteOrder?: 'le' | 'be';
  /** Connection probe handling (spec §12, open question 6). */
  readonly probe?: {
    /** Also require a nil `participant.id` to treat an open as a probe. @default false */
    readonly requireNilParticipant?: boolean;
    /** `select`: choose media as usual; `none`: answer probes with `media: []`. @default 'select' */
    readonly media?: 'select' | 'none';
  };
  /**
   * Audio received in PREPARING, OPENING or PAUSED: `disconnect` (the reference) or `ignore`.
   * Audio after `close` is always ignored.
   * @default 'disconnect'
   */
  readonly audioOutsideActive?: 'disconnect' | 'ignore';
  /** Outgoing `event` pacing and Monitor-mode switch. */
  readonly events?: ServerEventOptions;
}

/** Counters of one session. */
export interface ServerSessionStats {
  textReceived: number;
  binaryReceived: number;
  audioBytes: number;
  textSent: number;
  eventsSent: number;
  eventsDropped: number;
  /** Last `ping.rtt` reported by the client, in ns. */
  rtt: number | undefined;
}

/** Events of {@link ServerSession}. */
export type ServerSessionEvents = {
  /** A validated client message (before it is acted on). */
  clientMessage: [message: ClientMessage];
  /** A message the session sent. */
  serverMessage: [message: ServerMessage];
  /** The state changed. */
  state: [state: ServerSessionState, previous: ServerSessionState];
  /** `opened` was sent. */
  opened: [media: MediaParameter | undefined];
  /** A binary frame of audio (ACTIVE, or after a `disconnect` sent while ACTIVE, until `close`). */
  audio: [frame: AudioFrame];
  /** The client paused the audio. */
  paused: [];
  /** The client resumed the audio. */
  resumed: [parameters: ResumedParameters];
  /** The client discarded audio. */
  discarded: [parameters: DiscardedParameters];
  /** The client changed the language (after update handlers ran). */
  update: [parameters: UpdateParameters];
  /** The client reported an error (`error` message). */
  clientError: [parameters: ErrorParameters];
  /** A `ping` was answered; `rtt` in ns when the client reported one. */
  ping: [rtt: number | undefined];
  /** Audio Connector: the caller pressed a key. */
  dtmf: [parameters: DtmfParameters];
  /** Audio Connector: playback of server audio began. */
  playbackStarted: [];
  /** Audio Connector: playback of server audio finished. */
  playbackCompleted: [];
  /** The client broke the protocol; a `disconnect` error was (or had already been) sent. */
  protocolError: [error: AudioHookError];
  /** An event could not be sent (queue full, wrong state, events rejected). */
  eventDropped: [entities: readonly EventEntity[], reason: string];
  /** The session is over (DISCONNECTED). */
  end: [stats: ServerSessionStats];
};

const CLIENT_ERROR_PREFIX = 'Client Error: ';

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
  /** Clock time of the last frame from the client (see #armIdleTimer). */
  #lastActivity = 0;
  #idleTimerArmed = false;
  readonly #logger: AudioHookLogger;
  readonly #options: ServerSessionOptions;
  readonly #createdAt: number;
  #id: string | undefined;
  #state: ServerSessionState = 'PREPARING';
  #clientSeq = 0;
  #serverSeq = 0;
  #clientPosition = 0;
  #openMessage: OpenMessage | undefined;
  #selectedMedia: MediaParameter | undefined;
  /**
   * True when the server sent `disconnect` while audio was flowing (ACTIVE): frames the client
   * had already sent keep arriving until it reads the `disconnect`, and are still audio.
   */
  #audioInFlight = false;
  #isProbe = false;
  #startPaused = false;
  #discardTo: number | undefined;
  #timeline: StreamTimeline;
  #authenticators: Authenticator[] = [];
  #selectors: MediaSelector[] = [];
  #openHandlers: OpenHandler[] = [];
  #updateHandlers: UpdateHandler[] = [];
  #closeHandlers: CloseHandler[] = [];
  #finiHandlers: FiniHandler[] = [];
  #openDone: Promise<void> = Promise.resolve();
  #openedSent = false;
  #closeHandlersDone: Promise<void> | undefined;
  readonly #timers: NamedTimers;
  #bucket: TokenBucket;
  #eventQueue: EventEntity[][] = [];
  #queueWaiters: (() => void)[] = [];
  #eventsEnabled: boolean;
  #backoffUntil = 0;
  #consecutive429 = 0;
  #last429At = -Infinity;
  #finished: Promise<void>;
  #resolveFinished!: () => void;
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
    this.#id = options.id?.toLowerCase();
    this.#createdAt = this.#clock.now();
    this.#timeline = new StreamTimeline(8000, options.positionMode ?? 'timeline');
    this.#eventsEnabled = options.events?.enabled ?? true;
    this.#bucket = new TokenBucket({
      ratePerSecond: options.events?.ratePerSecond ?? 5,
      burst: options.events?.burst ?? 25,
      clock: this.#clock,
    });
    this.#finished = new Promise((resolve) => (this.#resolveFinished = resolve));
    this.#transport.attach({
      onText: (text) => this.#onText(text),
      onBinary: (data) => this.#onBinary(data),
      onClose: (code, reason) => void this.#onTransportClose(code, reason),
      onError: (error) => this.#log('warn', 'transport error', { err: error.message }),
    });
    this.#armIdleTimer();
  }

  // ---- public state ----

  /** The session id (from the option or the first message), lower-case. */
  get id(): string | undefined {
    return this.#id;
  }

  /** The current state. */
  get state(): ServerSessionState {
    return this.#state;
  }

  /** The `open` message, once received. */
  get openMessage(): OpenMessage | undefined {
    return this.#openMessage;
  }

  /** The media selected in `opened` (`undefined` before, or when `[]` was sent). */
  get selectedMedia(): MediaParameter | undefined {
    return this.#selectedMedia;
  }

  /** True when this session is a connection probe (nil conversation id). */
  get isProbe(): boolean {
    return this.#isProbe;
  }

  /** The stream position in ns, by this session's count (samples + discarded gaps). */
  get position(): number {
    return this.#timeline.position;
  }

  /** The last `position` the client reported, in ns. */
  get clientPosition(): number {
    return this.#clientPosition;
  }

  /** The stream timeline (samples and discarded durations). */
  get timeline(): StreamTimeline {
    return this.#timeline;
  }

  /** `seq` of the last client message processed. */
  get clientSeq(): number {
    return this.#clientSeq;
  }

  /** `seq` of the last message sent. */
  get serverSeq(): number {
    return this.#serverSeq;
  }

  /** False once events were switched off (Monitor endpoint, or rejected by the client). */
  get eventsEnabled(): boolean {
    return this.#eventsEnabled;
  }

  /** Events waiting for a rate-limit token. */
  get queuedEvents(): number {
    return this.#eventQueue.length;
  }

  /** Resolves when the session reaches DISCONNECTED. */
  get finished(): Promise<void> {
    return this.#finished;
  }

  // ---- handler registration ----

  /** Adds an authenticator (only in PREPARING). They run in order before media selection. */
  addAuthenticator(authenticator: Authenticator): this {
    this.#requireState('addAuthenticator', ['PREPARING']);
    this.#authenticators.push(authenticator);
    return this;
  }

  /** Adds a media selector (only in PREPARING). */
  addMediaSelector(selector: MediaSelector): this {
    this.#requireState('addMediaSelector', ['PREPARING']);
    this.#selectors.push(selector);
    return this;
  }

  /** Adds an open handler (only in PREPARING). */
  addOpenHandler(handler: OpenHandler): this {
    this.#requireState('addOpenHandler', ['PREPARING']);
    this.#openHandlers.push(handler);
    return this;
  }

  /** Adds an update handler. */
  addUpdateHandler(handler: UpdateHandler): this {
    this.#updateHandlers.push(handler);
    return this;
  }

  /** Adds a close handler (runs on `close`, or on transport close if no `close` came). */
  addCloseHandler(handler: CloseHandler): this {
    this.#closeHandlers.push(handler);
    return this;
  }

  /** Adds a fini handler (runs once the transport closed). */
  addFiniHandler(handler: FiniHandler): this {
    this.#finiHandlers.push(handler);
    return this;
  }

  // ---- actions ----

  /**
   * Asks the client to pause the audio. Before `opened` it sets `startPaused` instead.
   * Returns false (and sends nothing) in states where `pause` is not allowed.
   */
  pause(): boolean {
    if (this.#state === 'PREPARING' || this.#state === 'OPENING') {
      this.#startPaused = true;
      return true;
    }
    if (this.#state !== 'ACTIVE' && this.#state !== 'PAUSED') return this.#refuse('pause');
    this.#send('pause', {});
    return true;
  }

  /** Asks the client to resume the audio. Before `opened` it clears `startPaused`. */
  resume(): boolean {
    if (this.#state === 'PREPARING' || this.#state === 'OPENING') {
      this.#startPaused = false;
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
    if (entities.length === 0 || entities.some((e) => typeof e.type !== 'string' || !e.type)) {
      throw new AudioHookError(
        AudioHookErrorCode.InvalidArgument,
        'an event needs at least one entity, each with a non-empty type',
      );
    }
    // Too large for one frame is a caller error: report it now, not when the queue drains.
    serializeMessage({
      version: PROTOCOL_VERSION,
      id: this.#id ?? NIL_UUID,
      type: 'event',
      seq: Number.MAX_SAFE_INTEGER,
      clientseq: Number.MAX_SAFE_INTEGER,
      parameters: { entities: [...entities] },
    });
    let reason: string | undefined;
    if (!this.#eventsEnabled) reason = 'events are disabled for this session';
    else if (!['ACTIVE', 'PAUSED', 'CLOSING'].includes(this.#state))
      reason = `events are not allowed in state ${this.#state}`;
    else if (this.#eventQueue.length >= (this.#options.events?.maxQueued ?? 1000))
      reason = 'event queue is full';
    if (reason !== undefined) {
      this.#dropEvent(entities, reason);
      return false;
    }
    this.#eventQueue.push([...entities]);
    this.#drainEvents();
    return true;
  }

  /**
   * Sends server audio (Audio Connector) as one binary frame of the selected media. Use
   * {@link splitAudio} to send long audio in packets.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_STATE` when no media was selected or the session
   *   is not ACTIVE/PAUSED; `AUDIOHOOK_ERR_INVALID_AUDIO_FRAME` for a partial sample frame.
   */
  sendAudio(data: Uint8Array): void {
    const media = this.#selectedMedia;
    if (media === undefined || (this.#state !== 'ACTIVE' && this.#state !== 'PAUSED')) {
      throw new AudioHookError(
        AudioHookErrorCode.InvalidState,
        `cannot send audio in state ${this.#state}${media === undefined ? ' without media' : ''}`,
      );
    }
    if (data.length % frameBytes(media) !== 0) {
      throw new AudioHookError(
        AudioHookErrorCode.InvalidAudioFrame,
        `${data.length} bytes are not whole sample frames of the selected media`,
      );
    }
    this.#transport.sendBinary(data);
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
    if (!['PREPARING', 'OPENING', 'ACTIVE', 'PAUSED'].includes(this.#state)) {
      return this.#refuse('disconnect');
    }
    const sent = this.#send('disconnect', {
      reason,
      ...(info === undefined ? {} : { info }),
      ...(outputVariables === undefined ? {} : { outputVariables }),
    });
    if (!sent) return false;
    this.#audioInFlight = this.#state === 'ACTIVE';
    this.#setState(
      reason === 'error'
        ? 'SIGNALED-ERROR'
        : reason === 'unauthorized'
          ? 'UNAUTHORIZED'
          : 'DISCONNECTING',
    );
    this.#timers.clear('open');
    const wait = this.#options.disconnectTimeoutMs ?? 10_000;
    if (wait > 0) {
      this.#timers.set('disconnect', wait, () => {
        this.#log('warn', 'client did not close after disconnect; closing the transport', {});
        this.#transport.close(1000, 'disconnect timeout');
      });
    }
    return true;
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
    this.#armIdleTimer();
    if (this.#isOver()) {
      this.#log('debug', 'text frame after the session ended ignored', {});
      return;
    }
    let message: ClientMessage;
    try {
      message = this.#decode(text);
    } catch (error) {
      if (error instanceof IgnoredMessage) return;
      const err =
        error instanceof AudioHookError
          ? error
          : new AudioHookError(AudioHookErrorCode.ProtocolViolation, toError(error).message);
      this.#protocolError(this.#disconnectInfo(err), err);
      return;
    }
    this.#emitSafe('clientMessage', message);
    this.#dispatch(message);
  }

  #decode(text: string): ClientMessage {
    const strict = { strict: this.#options.strict ?? false };
    const value = parseJsonFrame(text);
    const envelope = validateEnvelope(value, 'client', strict);
    if (envelope.seq !== this.#clientSeq + 1) {
      throw new AudioHookError(
        AudioHookErrorCode.ProtocolViolation,
        'Invalid seq value (not monotonically increasing)',
        { path: ['seq'], messageType: envelope.type },
      );
    }
    if (envelope.serverseq > this.#serverSeq) {
      throw new AudioHookError(AudioHookErrorCode.ProtocolViolation, 'Invalid serverseq value', {
        path: ['serverseq'],
        messageType: envelope.type,
      });
    }
    const id = envelope.id.toLowerCase();
    if (this.#id === undefined) this.#id = id;
    else if (id !== this.#id) {
      throw new AudioHookError(
        AudioHookErrorCode.ProtocolViolation,
        'Session identifier mismatch',
        {
          path: ['id'],
          messageType: envelope.type,
        },
      );
    }
    this.#clientSeq = envelope.seq;
    this.#clientPosition = parseDuration(envelope.position);
    if (
      !isKnownMessageType(envelope.type, 'client') &&
      (this.#options.unknownMessageTypes ?? 'disconnect') === 'ignore'
    ) {
      this.#log('warn', 'unknown client message type ignored', { type: envelope.type });
      throw new IgnoredMessage();
    }
    const parameters = validateParameters(envelope.type, envelope.parameters, 'client', strict);
    return { ...envelope, parameters } as ClientMessage;
  }

  #disconnectInfo(error: AudioHookError): string {
    switch (error.code) {
      case AudioHookErrorCode.MessageTooLarge:
        return `Text message too large (>64K). Length: ${error.message.replace(/^.*Length: /, '')}`;
      case AudioHookErrorCode.InvalidJson:
        return 'Text message not valid JSON';
      case AudioHookErrorCode.InvalidEnvelope:
        return 'Message not a well-formed client message';
      case AudioHookErrorCode.UnknownMessageType:
        // A hostile type string must not blow the reply past the frame limit.
        return `Invalid Message: '${(error.messageType ?? '').slice(0, 64)}' is not a supported client message`;
      case AudioHookErrorCode.InvalidParameters:
      case AudioHookErrorCode.InvalidDuration:
      case AudioHookErrorCode.DurationOutOfRange:
        return 'Invalid Message: Invalid/missing parameters';
      default:
        return error.message;
    }
  }

  #dispatch(message: ClientMessage): void {
    switch (message.type) {
      case 'open':
        return this.#onOpen(message);
      case 'close':
        return this.#onClose(message);
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
        return this.#onUpdate(message.parameters);
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
    this.#armIdleTimer();
    const state = this.#state;
    if (state !== 'ACTIVE' && !this.#acceptsLateAudio(state)) {
      const early = state === 'PREPARING' || state === 'OPENING' || state === 'PAUSED';
      if (early && (this.#options.audioOutsideActive ?? 'disconnect') === 'disconnect') {
        this.#protocolError(
          `Received audio in state ${state}`,
          new AudioHookError(AudioHookErrorCode.ProtocolViolation, `audio in state ${state}`),
        );
      } else this.#log('debug', 'audio ignored', { state, bytes: data.length });
      return;
    }
    const media = this.#selectedMedia;
    if (media === undefined) {
      this.#protocolError(
        'Received audio but no media was selected',
        new AudioHookError(AudioHookErrorCode.ProtocolViolation, 'audio without media'),
      );
      return;
    }
    let frame: AudioFrame;
    try {
      frame = new AudioFrame(data, media, { l16ByteOrder: this.#options.l16ByteOrder ?? 'le' });
    } catch (error) {
      const err = error as AudioHookError;
      if (state !== 'ACTIVE') {
        this.#log('debug', 'late audio frame ignored', { state, bytes: data.length });
        return;
      }
      this.#protocolError(`Binary data not a valid audio frame. Error: ${err.message}`, err);
      return;
    }
    this.stats.audioBytes += data.length;
    this.#timeline.addSamples(frame.samples);
    this.#emitSafe('audio', frame);
  }

  /**
   * Audio after the server's `disconnect` (the client sent it before reading the `disconnect`)
   * is still received audio, until the client's `close`; the recording must not lose it.
   */
  #acceptsLateAudio(state: ServerSessionState): boolean {
    return this.#audioInFlight && (state === 'DISCONNECTING' || state === 'SIGNALED-ERROR');
  }

  // ---- open ----

  #onOpen(message: OpenMessage): void {
    if (this.#state !== 'PREPARING') {
      this.#log('warn', 'open ignored', { state: this.#state });
      return;
    }
    this.#openMessage = message;
    const params = message.parameters;
    this.#isProbe =
      params.conversationId === NIL_UUID &&
      (this.#options.probe?.requireNilParticipant !== true || params.participant.id === NIL_UUID);
    if (params.continuedSessions !== undefined) {
      this.#log('info', 'open continues earlier sessions', {
        continuedSessions: params.continuedSessions,
      });
    }
    this.#setState('OPENING');
    this.#openDone = this.#runOpen(message).catch((error: unknown) => {
      this.#serverError(toError(error));
    });
  }

  async #runOpen(message: OpenMessage): Promise<void> {
    const params = message.parameters;
    // Authentication: organization header check, then the authenticators in order.
    const orgHeader = this.#options.organizationId;
    let denied: string | undefined;
    if (
      orgHeader !== undefined &&
      orgHeader.toLowerCase() !== params.organizationId.toLowerCase()
    ) {
      denied =
        'Mismatch between "organizationId" open parameter and "audiohook-organization-id" header field';
    }
    for (const authenticator of this.#authenticators) {
      if (denied !== undefined || this.#state !== 'OPENING') break;
      const result = await authenticator(this, params);
      if (result === false) denied = 'Unauthorized';
      else if (typeof result === 'string' && result.length > 0) denied = result;
    }
    if (this.#state !== 'OPENING') return;
    if (denied !== undefined) {
      const wait = this.#createdAt + (this.#options.unauthorizedDelayMs ?? 500) - this.#clock.now();
      if (wait > 0) await this.#sleep(wait);
      if (this.#state === 'OPENING') this.disconnect('unauthorized', denied);
      return;
    }
    // Media selection: the first offered entry that survives every selector, echoed exactly.
    let candidates: readonly MediaParameter[] = params.media;
    if (this.#isProbe && this.#options.probe?.media === 'none') candidates = [];
    for (const selector of this.#selectors) {
      candidates = selector(candidates, params, this);
      if (this.#state !== 'OPENING') return;
    }
    const chosen = candidates[0];
    if (chosen !== undefined && !params.media.some((m) => mediaEquals(m, chosen))) {
      throw new Error('a media selector returned media that was not offered');
    }
    this.#selectedMedia = chosen === undefined ? undefined : copyMedia(chosen);

    const deadline = this.#options.openDeadlineMs ?? 3000;
    if (deadline > 0) {
      this.#timers.set('open', deadline, () => {
        this.#log('warn', 'open handlers are slow; sending opened at the deadline', {
          deadlineMs: deadline,
        });
        this.#sendOpened(message);
      });
    }
    const context: OpenContext = {
      session: this,
      message,
      parameters: params,
      selectedMedia: this.#selectedMedia,
      isProbe: this.#isProbe,
      setStartPaused: (value) => {
        this.#startPaused = value;
      },
      setDiscardTo: (nanos) => {
        if (!Number.isSafeInteger(nanos) || nanos < 0) {
          throw new AudioHookError(
            AudioHookErrorCode.InvalidArgument,
            `invalid discardTo ${nanos}`,
          );
        }
        this.#discardTo = this.#discardTo === undefined ? nanos : Math.min(this.#discardTo, nanos);
      },
    };
    const results = await Promise.allSettled(
      this.#openHandlers.map(async (handler) => handler(context)),
    );
    for (const result of results) {
      if (result.status === 'fulfilled' && typeof result.value === 'function') {
        this.#closeHandlers.push(result.value);
      }
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw toError(failed.reason);
    this.#sendOpened(message);
  }

  #sendOpened(message: OpenMessage): void {
    this.#timers.clear('open');
    if (this.#openedSent || this.#state !== 'OPENING') return;
    this.#openedSent = true;
    const params = message.parameters;
    const media = this.#selectedMedia;
    const discardTo = this.#discardTo;
    const sent = this.#send(
      'opened',
      {
        media: media === undefined ? [] : [media],
        startPaused: this.#startPaused,
        ...(discardTo !== undefined && discardTo > this.position
          ? { discardTo: formatDuration(discardTo) }
          : {}),
        ...(params.supportedLanguages === true
          ? { supportedLanguages: [...(this.#options.supportedLanguages ?? [])] }
          : {}),
      },
      message.seq,
    );
    if (!sent) {
      this.#serverError(new Error('opened could not be sent'));
      return;
    }
    this.#setState('ACTIVE');
    this.#emitSafe('opened', media);
  }

  // ---- update / error ----

  #onUpdate(parameters: UpdateParameters): void {
    if (this.#state !== 'ACTIVE' && this.#state !== 'PAUSED') {
      this.#log('debug', 'update ignored', { state: this.#state });
      return;
    }
    void (async () => {
      for (const handler of this.#updateHandlers) await handler(parameters, this);
      this.#emitSafe('update', parameters);
      if (
        this.#options.sendUpdated === true &&
        (this.#state === 'ACTIVE' || this.#state === 'PAUSED')
      ) {
        this.#send('updated', {});
      }
    })().catch((error: unknown) => this.#serverError(toError(error)));
  }

  #onClientError(parameters: ErrorParameters): void {
    this.#log('warn', 'client reported an error', {
      code: parameters.code,
      message: parameters.message,
    });
    this.#emitSafe('clientError', parameters);
    const events = this.#options.events ?? {};
    if (parameters.code === 429) {
      const now = this.#clock.now();
      const retryAfter =
        parameters.retryAfter === undefined
          ? (events.defaultRetryAfterMs ?? 3000)
          : parseDuration(parameters.retryAfter) / 1e6;
      // A 429 long after the previous back-off ended starts a new count.
      if (now - this.#last429At > Math.max(10_000, retryAfter * 2)) this.#consecutive429 = 0;
      this.#consecutive429++;
      this.#last429At = now;
      this.#backoffUntil = now + retryAfter;
      const max = events.max429 ?? 3;
      if (max > 0 && this.#consecutive429 >= max) {
        this.#log('warn', 'rate limited repeatedly; disconnecting', {
          count: this.#consecutive429,
        });
        this.disconnect('error', `Rate limited ${this.#consecutive429} times`);
        return;
      }
      this.#drainEvents();
      return;
    }
    if (
      parameters.code === 400 &&
      /event/i.test(parameters.message) &&
      (events.stopOnRejection ?? true)
    ) {
      this.#eventsEnabled = false;
      for (const queued of this.#eventQueue.splice(0)) this.#dropEvent(queued, 'events rejected');
      this.#notifyQueueWaiters();
    }
  }

  // ---- close ----

  #onClose(message: ClientMessageOf<'close'>): void {
    if (this.#state === 'CLOSING' || this.#state === 'CLOSED') {
      this.#log('debug', 'close ignored', { state: this.#state });
      return;
    }
    this.#setState('CLOSING');
    this.#timers.clear('disconnect');
    const deadline = this.#options.closeDeadlineMs ?? 5000;
    if (deadline > 0) {
      this.#timers.set('close', deadline, () => {
        this.#log('warn', 'close handlers are slow; sending closed at the deadline', {});
        this.#sendClosed(message.seq);
      });
    }
    void (async () => {
      await this.#openDone;
      // Close handlers flush final results (e.g. transcripts) as events; they go out before closed.
      await this.#runCloseHandlers(message.parameters);
      await this.#whenEventsFlushed();
      this.#sendClosed(message.seq);
    })().catch((error: unknown) => {
      this.#log('error', 'close handler failed', { err: toError(error).message });
      this.#sendClosed(message.seq);
    });
  }

  #sendClosed(closeSeq: number): void {
    this.#timers.clear('close');
    if (this.#state !== 'CLOSING') return;
    for (const queued of this.#eventQueue.splice(0)) this.#dropEvent(queued, 'session closed');
    this.#notifyQueueWaiters();
    this.#send('closed', {}, closeSeq);
    this.#setState('CLOSED');
    const linger = this.#options.closedLingerMs ?? 5000;
    if (linger > 0) {
      this.#timers.set('linger', linger, () => {
        this.#log('debug', 'client did not close the connection after closed; closing it', {});
        this.#transport.close(1000, 'session closed');
      });
    }
  }

  #runCloseHandlers(parameters: CloseParameters | null): Promise<void> {
    // Run once; a later caller (the transport closing mid-close) waits for the same run.
    this.#closeHandlersDone ??= (async () => {
      const results = await Promise.allSettled(
        this.#closeHandlers.map(async (handler) => handler({ session: this, parameters })),
      );
      for (const result of results) {
        if (result.status === 'fulfilled' && typeof result.value === 'function') {
          this.#finiHandlers.push(result.value);
        } else if (result.status === 'rejected') {
          this.#log('error', 'close handler failed', { err: toError(result.reason).message });
        }
      }
    })();
    return this.#closeHandlersDone;
  }

  async #onTransportClose(code: number, reason: string): Promise<void> {
    if (this.#isOver()) return;
    this.#log('info', 'transport closed', { code, reason, state: this.#state });
    this.#timers.clearAll();
    const cleanEnd = this.#state === 'CLOSED';
    for (const queued of this.#eventQueue.splice(0)) this.#dropEvent(queued, 'transport closed');
    this.#notifyQueueWaiters();
    this.#setState('FINALIZING');
    if (!cleanEnd) this.#log('warn', 'session ended without a close transaction', { code });
    // Slow open or close handlers must not keep a dead session alive forever.
    const settled = (async () => {
      await this.#openDone;
      await this.#runCloseHandlers(null);
    })();
    const limit = this.#options.closeDeadlineMs ?? 5000;
    const timedOut = await (limit > 0
      ? Promise.race([
          settled.then(() => false),
          new Promise<boolean>((resolve) =>
            this.#timers.set('finalize', limit, () => resolve(true)),
          ),
        ])
      : settled.then(() => false));
    this.#timers.clear('finalize');
    if (timedOut) this.#log('warn', 'open/close handlers still running; finalizing anyway', {});
    for (const handler of this.#finiHandlers) {
      try {
        await handler(this);
      } catch (error) {
        this.#log('error', 'fini handler failed', { err: toError(error).message });
      }
    }
    this.#setState('DISCONNECTED');
    this.#emitSafe('end', this.stats);
    this.#resolveFinished();
  }

  // ---- events pacing ----

  #drainEvents(): void {
    this.#timers.clear('events');
    while (this.#eventQueue.length > 0) {
      if (!['ACTIVE', 'PAUSED', 'CLOSING'].includes(this.#state) || !this.#eventsEnabled) {
        for (const queued of this.#eventQueue.splice(0)) {
          this.#dropEvent(queued, `state ${this.#state}`);
        }
        break;
      }
      const now = this.#clock.now();
      if (now < this.#backoffUntil) {
        this.#timers.set('events', this.#backoffUntil - now, () => this.#drainEvents());
        return;
      }
      if (!this.#bucket.tryTake()) {
        this.#timers.set('events', this.#bucket.msUntilNext(), () => this.#drainEvents());
        return;
      }
      const entities = this.#eventQueue.shift() as EventEntity[];
      if (this.#send('event', { entities })) this.stats.eventsSent++;
      else this.#dropEvent(entities, 'event could not be sent');
    }
    this.#notifyQueueWaiters();
  }

  #whenEventsFlushed(): Promise<void> {
    if (this.#eventQueue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#queueWaiters.push(resolve));
  }

  #notifyQueueWaiters(): void {
    if (this.#eventQueue.length > 0) return;
    for (const resolve of this.#queueWaiters.splice(0)) resolve();
  }

  #dropEvent(entities: readonly EventEntity[], reason: string): void {
    this.stats.eventsDropped++;
    this.#log('warn', 'event dropped', { reason, types: entities.map((e) => e.type) });
    this.#emitSafe('eventDropped', entities, reason);
  }

  // ---- helpers ----

  #send<T extends ServerMessageType>(
    type: T,
    parameters: ServerParameters<T>,
    clientseq: number = this.#clientSeq,
  ): boolean {
    const message = {
      version: PROTOCOL_VERSION,
      id: this.#id ?? NIL_UUID,
      type,
      seq: this.#serverSeq + 1,
      clientseq,
      parameters,
    } as ServerMessage;
    let text: string;
    try {
      text = serializeMessage(message);
    } catch (error) {
      // Nothing is sent and no seq is used, so the peer's sequence check stays intact.
      this.#log('error', 'message not sent: it cannot be serialized', {
        type,
        err: toError(error).message,
      });
      return false;
    }
    this.#serverSeq++;
    try {
      this.#transport.sendText(text);
    } catch (error) {
      this.#log('error', 'transport failed to send', { type, err: toError(error).message });
      return false;
    }
    this.stats.textSent++;
    this.#emitSafe('serverMessage', message);
    return true;
  }

  #protocolError(info: string, error: AudioHookError): void {
    this.#emitSafe('protocolError', error);
    if (!['PREPARING', 'OPENING', 'ACTIVE', 'PAUSED'].includes(this.#state)) {
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
    if (['PREPARING', 'OPENING', 'ACTIVE', 'PAUSED'].includes(this.#state)) {
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

  /**
   * Notes client activity for the idle timeout. Rather than re-arming a timer for every frame
   * (five per second per session), it stamps the time; the one timer, when it fires, re-arms
   * itself for the rest of the period if the client has been heard from since.
   */
  #armIdleTimer(): void {
    const idle = this.#options.idleTimeoutMs ?? 0;
    if (idle <= 0 || this.#isOver()) return;
    this.#lastActivity = this.#clock.now();
    if (!this.#idleTimerArmed) this.#scheduleIdleCheck(idle);
  }

  #scheduleIdleCheck(delay: number): void {
    this.#idleTimerArmed = true;
    this.#timers.set('idle', delay, () => {
      this.#idleTimerArmed = false;
      if (this.#isOver()) return;
      const idle = this.#options.idleTimeoutMs ?? 0;
      // A clock that went backwards counts as no time passed.
      const quiet = Math.max(0, this.#clock.now() - this.#lastActivity);
      if (quiet < idle) {
        this.#scheduleIdleCheck(idle - quiet);
        return;
      }
      this.#log('warn', 'idle timeout', { idleTimeoutMs: idle });
      if (!this.disconnect('error', `Server error: no message from the client for ${idle} ms`)) {
        this.#transport.close(1000, 'idle timeout');
      }
    });
  }

  #emitSafe<K extends keyof ServerSessionEvents>(event: K, ...args: ServerSessionEvents[K]): void {
    for (const error of this.emit(event, ...args)) {
      this.#log('error', 'event listener threw', { event, err: error.message });
    }
  }

  #log(level: keyof AudioHookLogger, message: string, fields: Record<string, unknown>): void {
    this.#logger[level]({ sessionId: this.#id, ...fields }, message);
  }
}

function validateServerOptions(options: ServerSessionOptions): void {
  const transport = options.transport as Partial<AudioHookTransport> | undefined;
  if (
    typeof transport?.attach !== 'function' ||
    typeof transport.sendText !== 'function' ||
    typeof transport.sendBinary !== 'function' ||
    typeof transport.close !== 'function'
  ) {
    invalidArgument('transport must implement attach, sendText, sendBinary and close');
  }
  const durations = {
    openDeadlineMs: options.openDeadlineMs,
    closeDeadlineMs: options.closeDeadlineMs,
    idleTimeoutMs: options.idleTimeoutMs,
    disconnectTimeoutMs: options.disconnectTimeoutMs,
    closedLingerMs: options.closedLingerMs,
    unauthorizedDelayMs: options.unauthorizedDelayMs,
    'events.defaultRetryAfterMs': options.events?.defaultRetryAfterMs,
  };
  for (const [name, value] of Object.entries(durations)) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      invalidArgument(`${name} must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  for (const [name, value] of Object.entries({
    'events.maxQueued': options.events?.maxQueued,
    'events.max429': options.events?.max429,
  })) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      invalidArgument(`${name} must be an integer ≥ 0, got ${String(value)}`);
    }
  }
  const choices: [string, unknown, readonly unknown[]][] = [
    ['unknownMessageTypes', options.unknownMessageTypes, ['disconnect', 'ignore']],
    ['audioOutsideActive', options.audioOutsideActive, ['disconnect', 'ignore']],
    ['positionMode', options.positionMode, ['timeline', 'samples']],
    ['l16ByteOrder', options.l16ByteOrder, ['le', 'be']],
    ['probe.media', options.probe?.media, ['select', 'none']],
  ];
  for (const [name, value, allowed] of choices) {
    if (value !== undefined && !allowed.includes(value)) {
      invalidArgument(`${name} must be one of ${allowed.join(', ')}, got ${String(value)}`);
    }
  }
  if (options.id !== undefined && !UUID_PATTERN.test(options.id)) {
    invalidArgument(`id must be a UUID, got ${JSON.stringify(options.id)}`);
  }
}

/** Thrown internally to stop processing a message that is ignored on purpose. */
class IgnoredMessage extends Error {}

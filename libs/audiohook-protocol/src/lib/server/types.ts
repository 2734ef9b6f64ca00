// Public types of the server session: its states, the hooks a server plugs in, its options,
// counters and events.

import type { PositionMode } from '../duration';
import type { AudioHookError } from '../errors';
import type { AudioFrame } from '../media';
import type {
  ClientMessage,
  CloseParameters,
  DiscardedParameters,
  DtmfParameters,
  ErrorParameters,
  EventEntity,
  MediaParameter,
  OpenMessage,
  OpenParameters,
  ResumedParameters,
  ServerMessage,
  UpdateParameters,
} from '../schemas';
import type { AudioHookTransport } from '../transport';
import type { Clock } from '../clock';
import type { AudioHookLogger } from '../logger';
import type { ServerSession } from './session';

/**
 * States of a server session (spec §9.2), plus `DISCONNECTING` after a `disconnect` with reason
 * `completed` (the reference has no name for it).
 *
 * @example
 * ```ts
 * session.on('state', (state: ServerSessionState, previous) => log.info({ state, previous }));
 * ```
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
 *
 * @example
 * ```ts
 * const check = (key: string): AuthenticatorResult => (keys.has(key) ? true : 'unknown API key');
 * ```
 */
export type AuthenticatorResult = void | boolean | string;

/**
 * Checks an `open` before it is accepted. May be async (e.g. awaiting a signature check).
 *
 * @example
 * ```ts
 * const byOrganization: Authenticator = (session, open) =>
 *   allowed.has(open.organizationId) || 'organization not allowed';
 * session.addAuthenticator(byOrganization);
 * ```
 */
export type Authenticator = (
  session: ServerSession,
  open: OpenParameters,
) => AuthenticatorResult | Promise<AuthenticatorResult>;

/**
 * Filters the offered media; the first entry that survives every selector is chosen.
 *
 * @example
 * ```ts
 * const stereoOnly: MediaSelector = (offered) => offered.filter((m) => m.channels.length === 2);
 * session.addMediaSelector(stereoOnly);
 * ```
 */
export type MediaSelector = (
  offered: readonly MediaParameter[],
  open: OpenParameters,
  session: ServerSession,
) => readonly MediaParameter[];

/**
 * Runs when the session finally ends (after the transport closed).
 *
 * @example
 * ```ts
 * const release: FiniHandler = async (session) => recorder.release(session.id);
 * session.addFiniHandler(release);
 * ```
 */
export type FiniHandler = (session: ServerSession) => void | Promise<void>;

/**
 * What a close handler sees: `parameters` is `null` when the transport closed without `close`.
 *
 * @example
 * ```ts
 * session.addCloseHandler(({ parameters }: CloseContext) => log.info({ reason: parameters?.reason }));
 * ```
 */
export interface CloseContext {
  readonly session: ServerSession;
  readonly parameters: CloseParameters | null;
}

/**
 * Runs on `close` (before `closed` is sent) or when the transport closes; may return a fini handler.
 *
 * @example
 * ```ts
 * const flush: CloseHandler = async () => {
 *   await transcriber.flush();
 *   return () => transcriber.release(); // fini handler
 * };
 * session.addCloseHandler(flush);
 * ```
 */
export type CloseHandler = (
  context: CloseContext,
) => void | FiniHandler | Promise<void | FiniHandler>;

/**
 * What an open handler sees and may change before `opened` is sent.
 *
 * @example
 * ```ts
 * session.addOpenHandler(({ parameters, selectedMedia, isProbe, setStartPaused }: OpenContext) => {
 *   if (isProbe) return;
 *   setStartPaused(parameters.language === undefined);
 *   log.info({ selectedMedia });
 * });
 * ```
 */
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

/**
 * Runs on `open` in parallel with the other open handlers; may return a close handler.
 *
 * @example
 * ```ts
 * const record: OpenHandler = async ({ session, selectedMedia, isProbe }) => {
 *   if (isProbe || selectedMedia === undefined) return;
 *   const file = await recorder.start(session.id, selectedMedia);
 *   return () => file.close(); // close handler
 * };
 * session.addOpenHandler(record);
 * ```
 */
export type OpenHandler = (
  context: OpenContext,
) => void | CloseHandler | Promise<void | CloseHandler>;

/**
 * Runs on `update` (ACTIVE or PAUSED).
 *
 * @example
 * ```ts
 * const switchLanguage: UpdateHandler = async ({ language }) => transcriber.setLanguage(language);
 * session.addUpdateHandler(switchLanguage);
 * ```
 */
export type UpdateHandler = (
  parameters: UpdateParameters,
  session: ServerSession,
) => void | Promise<void>;

/**
 * Options of outgoing `event` pacing (spec §16 and open question 1).
 *
 * @example
 * ```ts
 * const events: ServerEventOptions = { ratePerSecond: 5, burst: 25, stopOnRejection: true };
 * new ServerSession({ transport, events });
 * ```
 */
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
  /**
   * Longest back-off a 429's `retryAfter` can ask for, in ms; a longer one is cut to this (the
   * client chooses the value, so it must not park the session's events for days). @default 60000
   */
  readonly maxRetryAfterMs?: number;
  /** Consecutive 429 errors after which the session is disconnected (`0` = never). @default 3 */
  readonly max429?: number;
  /** Stop sending events after an `error` 400 that rejects event messages. @default true */
  readonly stopOnRejection?: boolean;
}

/**
 * Options of {@link ServerSession}.
 *
 * @example
 * ```ts
 * const options: ServerSessionOptions = {
 *   transport: fromWebSocket(socket),
 *   id: headers.sessionId,
 *   organizationId: headers.organizationId,
 *   logger,
 * };
 * const session = new ServerSession(options);
 * ```
 */
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
   * Milliseconds from the session's creation (the accepted connection) within which the client
   * must send `open`. Past it the session sends `disconnect` (reason `error`, info
   * `Client Error: No open message received within <ms> ms`) and closes the transport at once:
   * a client that never opens must not hold a connection slot. The spec documents no time limit
   * here (the reference server has no timers, §9.2); Genesys sends `open` first thing. `0` = wait
   * forever (the reference's behaviour).
   * @default 10000
   */
  readonly openWaitTimeoutMs?: number;
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

/**
 * Counters of one session.
 *
 * @example
 * ```ts
 * session.on('end', (stats: ServerSessionStats) => log.info({ audioBytes: stats.audioBytes, rtt: stats.rtt }));
 * ```
 */
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

/**
 * Events of {@link ServerSession}.
 *
 * @example
 * ```ts
 * session.on('audio', (frame) => recorder.write(frame.interleaved));
 * session.on('end', (stats) => log.info(stats));
 * ```
 */
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

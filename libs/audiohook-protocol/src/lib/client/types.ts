// Public types of the client session: its states, options, result and events.

import type { Clock } from '../clock';
import type { TranscriptData } from '../entities';
import type { AudioHookError } from '../errors';
import type { AudioHookLogger } from '../logger';
import type { MediaSource } from '../media-source';
import type {
  ClientMessage,
  CloseReason,
  ClosedParameters,
  ContinuedSession,
  DisconnectParameters,
  EventEntity,
  OpenedMessage,
  OpenedParameters,
  Participant,
  ReconnectParameters,
  ServerMessage,
} from '../schemas';
import type { AudioHookTransport } from '../transport';

/**
 * States of a client session (spec §9.3; the socket is already connected when it starts).
 *
 * @example
 * ```ts
 * client.on('state', (state: ClientSessionState) => log.info({ state }));
 * ```
 */
export type ClientSessionState =
  'PREPARING' | 'OPENING' | 'OPEN' | 'CLOSING' | 'CLOSED' | 'DISCONNECTED';

/**
 * Options of {@link ClientSession}.
 *
 * @example
 * ```ts
 * const options: ClientSessionOptions = {
 *   transport: fromWebSocket(socket),
 *   organizationId,
 *   media: toneMediaSource({ durationMs: 5000 }),
 *   language: 'en-US',
 * };
 * const client = new ClientSession(options);
 * ```
 */
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

/**
 * How a client session ended.
 *
 * @example
 * ```ts
 * const result: ClientSessionResult = await client.finished;
 * if (!result.clean) log.warn({ error: result.error, disconnect: result.disconnect });
 * ```
 */
export interface ClientSessionResult {
  /** The `opened` message, when one arrived. */
  readonly opened: OpenedMessage | undefined;
  /** The `closed` parameters, when the close transaction completed. */
  readonly closed: ClosedParameters | undefined;
  /** The reason of the `close` this client sent. */
  readonly closeReason: CloseReason | undefined;
  /** The `disconnect` the server sent, if any. */
  readonly disconnect: DisconnectParameters | undefined;
  /**
   * The first fatal `error` this client sent, if any: a server protocol violation, a timeout
   * (open, pong or close: code 408) or an internal failure (500). Not the ones sent with
   * {@link ClientSession.sendError}.
   */
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

/**
 * Events of {@link ClientSession}.
 *
 * @example
 * ```ts
 * client.on('transcript', (data) => logger.info(data.alternatives[0]?.interpretations[0]?.transcript));
 * client.on('end', (result) => logger.info(result.closeReason));
 * ```
 */
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
  /**
   * Audio stopped (`by` the server's `pause` or this client's `pause()`). Only when it was
   * flowing: a second pause taken while the first is on (the server's and the client's may
   * overlap) does not fire it again.
   */
  paused: [by: 'server' | 'client'];
  /** Audio flows again (neither the server's nor the client's pause is on any more). */
  resumed: [];
  disconnect: [parameters: DisconnectParameters];
  reconnect: [parameters: ReconnectParameters];
  updated: [];
  /** Binary audio from the server (only with `acceptServerAudio`). */
  serverAudio: [data: Uint8Array];
  /**
   * A problem with code `code`: this client reported it to the server with `error` and is
   * closing (`AUDIOHOOK_ERR_TIMEOUT` for the open, pong and close timeouts). Violations that
   * come while the close is already under way are not answered; only the first 20 of them fire
   * this event (and are logged), the rest are counted and the count is logged at the end.
   */
  protocolError: [error: AudioHookError, code: number];
  /** The media source ended or failed. */
  mediaEnd: [error: Error | undefined];
  end: [result: ClientSessionResult];
};

// The server side of one AudioHook session (spec §9.2), as the public facade over its core
// (core.ts): state, dispatch and the shared operations live there; incoming frames are decoded
// by decoder.ts, the open and close transactions run in open-pipeline.ts and close-pipeline.ts,
// events are paced by event-pacer.ts, audio goes through audio-path.ts.

import type { StreamTimeline } from '../duration';
import { TypedEmitter } from '../emitter';
import type { DisconnectReason, EventEntity, MediaParameter, OpenMessage } from '../schemas';
import { ServerCore } from './core';
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
  readonly #core: ServerCore;
  /** Counters of this session. */
  readonly stats: ServerSessionStats;

  constructor(options: ServerSessionOptions) {
    super();
    validateServerOptions(options);
    this.#core = new ServerCore(this, options, (event, args) => this.emit(event, ...args));
    this.stats = this.#core.stats;
  }

  // ---- public state ----

  /** The session id (from the option or the first message), lower-case. */
  get id(): string | undefined {
    return this.#core.decoder.id;
  }

  /** The current state. */
  get state(): ServerSessionState {
    return this.#core.state;
  }

  /** The `open` message, once received. */
  get openMessage(): OpenMessage | undefined {
    return this.#core.open.message;
  }

  /** The media selected in `opened` (`undefined` before, or when `[]` was sent). */
  get selectedMedia(): MediaParameter | undefined {
    return this.#core.open.selectedMedia;
  }

  /** True when this session is a connection probe (nil conversation id). */
  get isProbe(): boolean {
    return this.#core.open.isProbe;
  }

  /** The stream position in ns, by this session's count (samples + discarded gaps). */
  get position(): number {
    return this.#core.timeline.position;
  }

  /** The last `position` the client reported, in ns. */
  get clientPosition(): number {
    return this.#core.decoder.clientPosition;
  }

  /** The stream timeline (samples and discarded durations). */
  get timeline(): StreamTimeline {
    return this.#core.timeline;
  }

  /** `seq` of the last client message processed. */
  get clientSeq(): number {
    return this.#core.decoder.clientSeq;
  }

  /** `seq` of the last message sent. */
  get serverSeq(): number {
    return this.#core.sender.seq;
  }

  /** False once events were switched off (Monitor endpoint, or rejected by the client). */
  get eventsEnabled(): boolean {
    return this.#core.events.enabled;
  }

  /** Events waiting for a rate-limit token. */
  get queuedEvents(): number {
    return this.#core.events.queued;
  }

  /** Resolves when the session reaches DISCONNECTED. */
  get finished(): Promise<void> {
    return this.#core.finished;
  }

  // ---- handler registration ----

  /** Adds an authenticator (only in PREPARING). They run in order before media selection. */
  addAuthenticator(authenticator: Authenticator): this {
    this.#core.requireState('addAuthenticator', ['PREPARING']);
    this.#core.open.authenticators.push(authenticator);
    return this;
  }

  /** Adds a media selector (only in PREPARING). */
  addMediaSelector(selector: MediaSelector): this {
    this.#core.requireState('addMediaSelector', ['PREPARING']);
    this.#core.open.selectors.push(selector);
    return this;
  }

  /** Adds an open handler (only in PREPARING). */
  addOpenHandler(handler: OpenHandler): this {
    this.#core.requireState('addOpenHandler', ['PREPARING']);
    this.#core.open.handlers.push(handler);
    return this;
  }

  /** Adds an update handler. */
  addUpdateHandler(handler: UpdateHandler): this {
    this.#core.update.handlers.push(handler);
    return this;
  }

  /** Adds a close handler (runs on `close`, or on transport close if no `close` came). */
  addCloseHandler(handler: CloseHandler): this {
    this.#core.close.closeHandlers.push(handler);
    return this;
  }

  /** Adds a fini handler (runs once the transport closed). */
  addFiniHandler(handler: FiniHandler): this {
    this.#core.close.finiHandlers.push(handler);
    return this;
  }

  // ---- actions ----

  /**
   * Asks the client to pause the audio. Before `opened` it sets `startPaused` instead.
   * Returns false (and sends nothing) in states where `pause` is not allowed.
   */
  pause(): boolean {
    if (this.#core.state === 'PREPARING' || this.#core.state === 'OPENING') {
      this.#core.open.startPaused = true;
      return true;
    }
    if (this.#core.state !== 'ACTIVE' && this.#core.state !== 'PAUSED')
      return this.#core.refuse('pause');
    this.#core.send('pause', {});
    return true;
  }

  /** Asks the client to resume the audio. Before `opened` it clears `startPaused`. */
  resume(): boolean {
    if (this.#core.state === 'PREPARING' || this.#core.state === 'OPENING') {
      this.#core.open.startPaused = false;
      return true;
    }
    if (this.#core.state !== 'ACTIVE' && this.#core.state !== 'PAUSED')
      return this.#core.refuse('resume');
    this.#core.send('resume', {});
    return true;
  }

  /**
   * Queues an `event` (ACTIVE, PAUSED, CLOSING, and DISCONNECTING after `disconnect('completed')`)
   * behind the rate limiter. Events still queued when `close` arrives are sent before `closed`.
   * Returns false when the event is dropped.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ARGUMENT` for an empty entity list,
   *   `AUDIOHOOK_ERR_MESSAGE_TOO_LARGE` when the event would not fit in one text frame.
   */
  sendEvent(entities: readonly EventEntity[]): boolean {
    return this.#core.events.offer(entities) === undefined;
  }

  /**
   * Sends server audio (Audio Connector) as one binary frame of the selected media. Use
   * {@link splitAudio} to send long audio in packets.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_STATE` when no media was selected or the session
   *   is not ACTIVE/PAUSED; `AUDIOHOOK_ERR_INVALID_AUDIO_FRAME` for a partial sample frame.
   */
  sendAudio(data: Uint8Array): void {
    this.#core.audio.send(data);
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
    return this.#core.disconnect(reason, info, outputVariables);
  }

  /** Asks the client to move the session to a new connection (spec §15). */
  reconnect(info?: string): boolean {
    if (['CLOSED', 'FINALIZING', 'DISCONNECTED'].includes(this.#core.state)) {
      return this.#core.refuse('reconnect');
    }
    return this.#core.send('reconnect', info === undefined ? {} : { info });
  }

  /** Closes the transport now (for shutdown); close and fini handlers still run. */
  abort(code = 1001, reason = 'server going away'): void {
    this.#core.transport.close(code, reason);
  }
}

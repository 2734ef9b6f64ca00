// The inside of one server session: its state and the operations its modules share. The public
// `ServerSession` (session.ts) is a facade over it; the modules next to this file (decoder, open
// and close pipelines, event pacer, audio path, ...) each take the core and use what they need.
// Everything here is a prototype method on purpose: a session is created per connection (and
// per malformed frame in the fuzz benchmark), so it allocates no closures beyond the transport's.

import { type Clock, NamedTimers, systemClock } from '../clock';
import { parseDuration, StreamTimeline } from '../duration';
import { AudioHookError, AudioHookErrorCode, toError } from '../errors';
import { LogQuota } from '../log-quota';
import { type AudioHookLogger, silentLogger } from '../logger';
import type { AudioFrame } from '../media';
import type {
  ClientMessage,
  DisconnectReason,
  ErrorParameters,
  EventEntity,
  ServerMessageType,
  ServerParameters,
} from '../schemas';
import type { AudioHookTransport } from '../transport';
import { AudioPath } from './audio-path';
import { ClosePipeline } from './close-pipeline';
import { ClientFrameDecoder, disconnectInfo } from './decoder';
import { EventPacer } from './event-pacer';
import { IdleTimer } from './idle-timer';
import { clipForLog, clipPathForLog, MAX_LOGGED_TEXT } from './log-text';
import { OpenTransaction } from './open-pipeline';
import { ServerMessageSender } from './sender';
import type { ServerSession } from './session';
import type {
  ServerSessionEvents,
  ServerSessionOptions,
  ServerSessionState,
  ServerSessionStats,
} from './types';
import { UpdatePipeline } from './update-pipeline';

const CLIENT_ERROR_PREFIX = 'Client Error: ';

/**
 * Client `error` messages logged per session; later ones are only counted (and the count logged
 * when the session ends). Each logged one carries at most {@link MAX_LOGGED_TEXT} characters of
 * the client's text.
 */
const MAX_LOGGED_CLIENT_ERRORS = 20;

/**
 * Client messages the session ignores (older-draft `reconnecting`/`reconnected`, unknown types
 * with `unknownMessageTypes: 'ignore'`, a repeated `open`, a protocol error once it stopped taking
 * input) logged per session; the rest are counted in one line when the session ends, so a client
 * repeating one cannot write a log line per message.
 */
const MAX_LOGGED_IGNORED_MESSAGES = 20;

/** States in which the session still takes input (and may still send `disconnect`). */
const LIVE_STATES: ReadonlySet<ServerSessionState> = new Set([
  'PREPARING',
  'OPENING',
  'ACTIVE',
  'PAUSED',
]);

/**
 * States in which `event` messages may go out (once `opened` went out): the spec's ACTIVE, PAUSED
 * and CLOSING, and DISCONNECTING after an open session's `disconnect('completed')`, which is still
 * ACTIVE or PAUSED to the protocol (it ends nothing until the client's `close`; events queued
 * before it are not lost).
 */
const EVENT_STATES: ReadonlySet<ServerSessionState> = new Set([
  'ACTIVE',
  'PAUSED',
  'DISCONNECTING',
  'CLOSING',
]);

/** Emits a session event; returns what the listeners threw. */
export type EmitFunction = <K extends keyof ServerSessionEvents>(
  event: K,
  args: ServerSessionEvents[K],
) => readonly Error[];

/** The state of one server session and what its modules share. @internal */
export class ServerCore {
  state: ServerSessionState = 'PREPARING';
  readonly session: ServerSession;
  readonly options: ServerSessionOptions;
  readonly transport: AudioHookTransport;
  readonly clock: Clock;
  readonly timers: NamedTimers;
  readonly #sleepers = new Set<() => void>();
  #sleeps = 0;
  readonly logger: AudioHookLogger;
  readonly createdAt: number;
  readonly timeline: StreamTimeline;
  readonly stats: ServerSessionStats = {
    textReceived: 0,
    binaryReceived: 0,
    audioBytes: 0,
    textSent: 0,
    eventsSent: 0,
    eventsDropped: 0,
    rtt: undefined,
  };
  readonly decoder: ClientFrameDecoder;
  readonly sender: ServerMessageSender;
  readonly audio: AudioPath;
  readonly idle: IdleTimer;
  readonly events: EventPacer;
  readonly open: OpenTransaction;
  readonly update: UpdatePipeline;
  readonly close: ClosePipeline;
  readonly finished: Promise<void>;
  resolveFinished!: () => void;
  readonly #emit: EmitFunction;
  /** `error` messages the client sent. */
  readonly #clientErrors = new LogQuota(MAX_LOGGED_CLIENT_ERRORS);
  /** Client messages the session ignores (see {@link MAX_LOGGED_IGNORED_MESSAGES}). */
  readonly #ignored = new LogQuota(MAX_LOGGED_IGNORED_MESSAGES);

  constructor(session: ServerSession, options: ServerSessionOptions, emit: EmitFunction) {
    this.session = session;
    this.options = options;
    this.#emit = emit;
    this.transport = options.transport;
    this.clock = options.clock ?? systemClock;
    this.timers = new NamedTimers(this.clock);
    this.logger = options.logger ?? silentLogger;
    this.createdAt = this.clock.now();
    this.timeline = new StreamTimeline(8000, options.positionMode ?? 'timeline');
    this.decoder = new ClientFrameDecoder(
      options.id,
      options.strict ?? false,
      (options.unknownMessageTypes ?? 'disconnect') === 'ignore' ? this : undefined,
    );
    this.sender = new ServerMessageSender(this);
    this.audio = new AudioPath(this);
    this.idle = new IdleTimer(this);
    this.events = new EventPacer(this);
    this.open = new OpenTransaction(this);
    this.update = new UpdatePipeline(this);
    this.close = new ClosePipeline(this);
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.transport.attach({
      onText: (text) => this.onText(text),
      onBinary: (data) => this.onBinary(data),
      onClose: (code, reason) => {
        if (!this.isOver()) void this.close.onTransportClose(code, reason);
      },
      onError: (error) => this.log('warn', 'transport error', { err: error.message }),
    });
    this.idle.touch();
    this.open.startWait();
  }

  // ---- incoming frames ----

  onText(text: string): void {
    this.stats.textReceived++;
    this.idle.touch();
    if (this.isOver()) {
      this.log('debug', 'text frame after the session ended ignored', {});
      return;
    }
    let message: ClientMessage | undefined;
    try {
      message = this.decoder.decode(text, this.sender.seq);
    } catch (error) {
      const err =
        error instanceof AudioHookError
          ? error
          : new AudioHookError(AudioHookErrorCode.ProtocolViolation, toError(error).message);
      this.protocolError(disconnectInfo(err), err);
      return;
    }
    if (message === undefined) return;
    this.emitSafe('clientMessage', message);
    try {
      this.dispatch(message);
    } catch (error) {
      // A valid message the session cannot take (a `discarded` gap past the timeline's range):
      // a protocol error for this session, never an exception out of the transport's callback.
      this.#refuse(`${message.type} could not be handled`, error);
    }
  }

  /** Ends the session for a client input that cannot be handled; `error` says why. */
  #refuse(what: string, error: unknown): void {
    const err =
      error instanceof AudioHookError
        ? error
        : new AudioHookError(AudioHookErrorCode.ProtocolViolation, toError(error).message);
    this.protocolError(`${what}: ${err.message}`, err);
  }

  /** An unknown client message type ignored by option (see the decoder). */
  ignoredType(type: string): void {
    this.logIgnored('warn', 'unknown client message type ignored', { type: clipForLog(type, 64) });
  }

  /** Logs a client message the session ignores, within the session's quota of such lines. */
  logIgnored(level: 'info' | 'warn', message: string, fields: Record<string, unknown>): void {
    const turn = this.#ignored.take();
    if (turn === 'skip') return;
    this.log(level, message, fields);
    if (turn === 'last') {
      this.log(level, 'further ignored messages of this session are counted, not logged', {
        limit: MAX_LOGGED_IGNORED_MESSAGES,
      });
    }
  }

  onBinary(data: Uint8Array): void {
    this.stats.binaryReceived++;
    this.idle.touch();
    this.audio.accept(data);
  }

  /** A valid frame of client audio. */
  acceptAudio(frame: AudioFrame): void {
    try {
      this.timeline.addSamples(frame.samples);
    } catch (error) {
      this.#refuse('audio could not be counted', error);
      return;
    }
    this.stats.audioBytes += frame.data.length;
    this.emitSafe('audio', frame);
  }

  dispatch(message: ClientMessage): void {
    switch (message.type) {
      case 'open':
        return this.open.onOpen(message);
      case 'close':
        return this.close.onClose(message);
      case 'ping': {
        if (this.state === 'CLOSED') return;
        const rtt =
          message.parameters.rtt === undefined ? undefined : parseDuration(message.parameters.rtt);
        if (rtt !== undefined) this.stats.rtt = rtt;
        this.send('pong', {}, message.seq);
        this.emitSafe('ping', rtt);
        return;
      }
      case 'paused':
        if (this.state === 'ACTIVE') {
          this.setState('PAUSED');
          this.emitSafe('paused');
        } else this.log('debug', 'paused ignored', { state: this.state });
        return;
      case 'resumed':
        this.timeline.addDiscarded(parseDuration(message.parameters.discarded));
        if (this.state === 'PAUSED') {
          this.setState('ACTIVE');
          this.emitSafe('resumed', message.parameters);
        } else this.log('debug', 'resumed ignored', { state: this.state });
        return;
      case 'discarded':
        this.timeline.addDiscarded(parseDuration(message.parameters.discarded));
        this.emitSafe('discarded', message.parameters);
        return;
      case 'update':
        return this.update.onUpdate(message.parameters);
      case 'error':
        return this.onClientError(message.parameters);
      case 'dtmf':
        this.emitSafe('dtmf', message.parameters);
        return;
      case 'playback_started':
        this.emitSafe('playbackStarted');
        return;
      case 'playback_completed':
        this.emitSafe('playbackCompleted');
        return;
      case 'reconnecting':
      case 'reconnected':
        this.logIgnored('info', 'older-draft message ignored', { type: message.type });
        return;
    }
  }

  onClientError(parameters: ErrorParameters): void {
    // The text is the client's and unbounded but for the frame size (64 K): log a bounded prefix,
    // and only so many per session.
    const turn = this.#clientErrors.take();
    if (turn !== 'skip') {
      const { message } = parameters;
      this.log('warn', 'client reported an error', {
        code: parameters.code,
        message: clipForLog(message),
        ...(message.length > MAX_LOGGED_TEXT ? { messageLength: message.length } : {}),
      });
      if (turn === 'last') {
        this.log('warn', 'further client errors of this session are counted, not logged', {
          limit: MAX_LOGGED_CLIENT_ERRORS,
        });
      }
    }
    this.emitSafe('clientError', parameters);
    this.events.onClientError(parameters);
  }

  // ---- shared operations ----

  /** Sends `disconnect` where allowed (see {@link ServerSession.disconnect}). */
  disconnect(
    reason: DisconnectReason | (string & {}),
    info?: string,
    outputVariables?: Record<string, string>,
  ): boolean {
    if (!LIVE_STATES.has(this.state)) return this.refuse('disconnect');
    this.audio.disconnectSent(this.state === 'ACTIVE');
    return this.close.disconnect({
      reason,
      ...(info === undefined ? {} : { info }),
      ...(outputVariables === undefined ? {} : { outputVariables }),
    });
  }

  /** The client was silent for `timeoutMs`. */
  onIdle(timeoutMs: number): void {
    this.log('warn', 'idle timeout', { idleTimeoutMs: timeoutMs });
    if (!this.disconnect('error', `Server error: no message from the client for ${timeoutMs} ms`)) {
      this.transport.close(1000, 'idle timeout');
    }
  }

  /** Sends one message (counted and reported); false when it could not be sent. */
  send<T extends ServerMessageType>(
    type: T,
    parameters: ServerParameters<T>,
    clientseq: number = this.decoder.clientSeq,
  ): boolean {
    const message = this.sender.send(type, parameters, clientseq);
    if (message === undefined) return false;
    this.stats.textSent++;
    this.emitSafe('serverMessage', message);
    return true;
  }

  /**
   * True in the states events may go out in, once `opened` went out: a `disconnect` or `close`
   * during PREPARING or OPENING reaches DISCONNECTING or CLOSING without it, and a client must
   * never get an event before `opened`.
   */
  allowsEvents(): boolean {
    return EVENT_STATES.has(this.state) && this.open.openedSent;
  }

  /** Counts, logs and reports an event that will never be sent. */
  eventDropped(entities: readonly EventEntity[], reason: string): void {
    this.stats.eventsDropped++;
    this.log('warn', 'event dropped', { reason, types: entities.map((e) => e.type) });
    this.emitSafe('eventDropped', entities, reason);
  }

  /** Sends one `event`; false when it could not be sent. */
  sendEvent(entities: EventEntity[]): boolean {
    const sent = this.send('event', { entities });
    if (sent) this.stats.eventsSent++;
    return sent;
  }

  /** The client broke the protocol: `disconnect` error (once), or close the transport. */
  protocolError(info: string, error: AudioHookError): void {
    this.emitSafe('protocolError', error);
    if (!LIVE_STATES.has(this.state)) {
      this.logIgnored('warn', 'client error after the session stopped accepting input', {
        info: clipForLog(info),
        state: this.state,
      });
      return;
    }
    this.log('warn', 'client protocol error; disconnecting', {
      info: clipForLog(info),
      path: clipPathForLog(error.path),
    });
    if (!this.disconnect('error', `${CLIENT_ERROR_PREFIX}${info}`.slice(0, 1024))) {
      this.transport.close(1011, 'protocol error');
    }
  }

  /** A handler of ours failed: `disconnect` error while the session takes input. */
  serverError(error: Error): void {
    this.log('error', 'server error', { err: error.message });
    if (LIVE_STATES.has(this.state)) {
      this.disconnect('error', `Server error: ${error.message}`);
    }
  }

  refuse(action: string): false {
    this.log('debug', `${action} refused`, { state: this.state });
    return false;
  }

  requireState(action: string, states: readonly ServerSessionState[]): void {
    if (!states.includes(this.state)) {
      throw new AudioHookError(
        AudioHookErrorCode.InvalidState,
        `${action} is only allowed in ${states.join('/')}, the session is ${this.state}`,
      );
    }
  }

  isOver(): boolean {
    return this.state === 'FINALIZING' || this.state === 'DISCONNECTED';
  }

  setState(next: ServerSessionState): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    this.log('debug', 'state changed', { from: previous, to: next });
    this.emitSafe('state', next, previous);
  }

  /** The session is over: DISCONNECTED, the `end` event, `finished` resolves. */
  end(): void {
    const unlogged = this.#clientErrors.unlogged();
    if (unlogged !== undefined) this.log('warn', 'client errors not logged', unlogged);
    const ignored = this.#ignored.unlogged();
    if (ignored !== undefined) this.log('info', 'ignored messages not logged', ignored);
    this.setState('DISCONNECTED');
    this.emitSafe('end', this.stats);
    this.resolveFinished();
  }

  /**
   * Waits on the session's timers (so a manual clock drives it). Resolves early when the timers
   * are stopped ({@link stopTimers}): a pipeline asleep when the transport closes must go on to
   * its end, or the session would wait for it until the finalize deadline (or forever without
   * one).
   */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const name = `sleep ${++this.#sleeps}`;
      const wake = (): void => {
        this.#sleepers.delete(wake);
        this.timers.clear(name);
        resolve();
      };
      this.#sleepers.add(wake);
      this.timers.set(name, ms, wake);
    });
  }

  /** Stops every timer of the session and wakes whatever {@link sleep}s. */
  stopTimers(): void {
    this.timers.clearAll();
    for (const wake of [...this.#sleepers]) wake();
  }

  emitSafe<K extends keyof ServerSessionEvents>(event: K, ...args: ServerSessionEvents[K]): void {
    for (const error of this.#emit(event, args)) {
      this.log('error', 'event listener threw', { event, err: error.message });
    }
  }

  log(level: keyof AudioHookLogger, message: string, fields: Record<string, unknown>): void {
    this.logger[level]({ sessionId: this.decoder.id, ...fields }, message);
  }
}

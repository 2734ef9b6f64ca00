// The conversation and turn state machine of a BYOVA gateway, without I/O: requests in (already
// validated), responses out through the stream's port, the connector session behind the contract,
// the time from an injected clock. It owns the rules of a turn: the VAD and START/END_OF_INPUT,
// barge-in, the gateway's no-input window, DTMF mode and terminators, duplicate SESSION_START,
// hang-ups, terminal replies, and reply shaping. Requests of one conversation are handled one at a
// time, in order, across its streams; with a gate (state shared by several gateway instances),
// each turn first passes the gate, which may hand the session a newer state.

import { EnergyVad } from '@org/audio';
import type { VoiceInput__Output } from '../generated/com/cisco/wcc/ccai/media/v1/VoiceInput';
import type { VoiceVAResponse } from '../generated/com/cisco/wcc/ccai/media/v1/VoiceVAResponse';
import { decodeCallerAudio, type DecodedCallerAudio } from './caller-audio';
import { systemClock, type Clock } from './clock';
import type { ConnectorEvent, ConnectorSession, InputPreferences } from './connector';
import type { ConversationState } from './conversation-state';
import { dtmfDigitToKey } from './dtmf';
import { silentLogger, type ByovaLogger } from './logger';
import { plainFinal, replyResponses, shapeReply, type ReplyShape } from './reply-shaping';
import type { ByovaEventType, ByovaInput } from './requests';
import { eventResponse, isTerminalEvent, type TurnReply } from './responses';
import type { JsonObject } from './struct';

import type {
  CallerTurnSessionOptions,
  TurnGate,
  TurnKind,
  TurnDetails,
  TurnObserver,
  TurnPort,
  TurnSettings,
  TurnStream,
} from './turn-types';

export type {
  CallerTurnSessionOptions,
  TurnDetails,
  TurnGate,
  TurnKind,
  TurnObserver,
  TurnPort,
  TurnSettings,
  TurnStream,
} from './turn-types';

class Stream implements TurnStream {
  closed = false;
  vad: EnergyVad | undefined;
  /** END_OF_INPUT was sent: the rest of the stream's audio is not analysed. */
  turnDone = false;
  badAudioLogged = false;
  readonly #port: TurnPort;

  constructor(port: TurnPort) {
    this.#port = port;
  }

  write(response: VoiceVAResponse): void {
    if (!this.closed) this.#port.write(response);
  }

  complete(): void {
    if (this.closed) return;
    this.closed = true;
    this.#port.complete();
  }

  close(): void {
    this.closed = true;
  }
}

const CONNECTOR_EVENTS: readonly string[] = ['NO_INPUT', 'START_OF_DTMF', 'CUSTOM_EVENT'];

/** One settled promise for every input handled synchronously. */
const RESOLVED: Promise<void> = Promise.resolve();

/**
 * One conversation: its state across streams and the rules of each turn.
 *
 * @example
 * ```ts
 * const session = new CallerTurnSession({ state, connector, session: connector.openSession(context) });
 * const stream = session.openStream({ write: (r) => call.write(r), complete: () => call.end() });
 * call.on('data', (m) => void session.receive(stream, parseVoiceVARequest(m).input));
 * ```
 */
export class CallerTurnSession {
  readonly #connector: CallerTurnSessionOptions['connector'];
  #session: ConnectorSession;
  readonly #settings: TurnSettings;
  readonly #clock: Clock;
  readonly #logger: ByovaLogger;
  readonly #observer: TurnObserver;
  readonly #gate: TurnGate | undefined;
  readonly #shape: ReplyShape;
  /** Mutated in place (a frame touches it 50 times a second); `state` hands out copies. */
  readonly #state: {
    -readonly [K in keyof Omit<ConversationState, 'connector'>]: ConversationState[K];
  };
  #ended = false;
  /** Given up by {@link abandon}: the state as it was before the turn under way, frozen. */
  #abandoned: ConversationState | undefined;
  /** The state before the turn under way began (what {@link abandon} keeps). */
  #beforeTurn: ConversationState | undefined;
  #chain: Promise<unknown> = RESOLVED;
  /** Inputs queued on `#chain` whose handling has not finished. */
  #queued = 0;

  constructor(options: CallerTurnSessionOptions) {
    const { connector: _snapshot, ...state } = options.state;
    this.#state = { ...state };
    this.#connector = options.connector;
    this.#session = options.session;
    this.#settings = options.settings ?? {};
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#observer = options.observer ?? {};
    this.#gate = options.gate;
    this.#shape = {
      textOnlyPrompts: this.#settings.textOnlyPrompts ?? 'send',
      defaultInput: options.connector.input,
      replyMode: options.connector.replyMode,
      chunkBytes: this.#settings.chunkBytes ?? 16000,
    };
  }

  /** The state a later turn needs, with the connector session's snapshot. */
  get state(): ConversationState {
    return this.#abandoned ?? { ...this.#state, connector: this.#session.snapshot?.() ?? {} };
  }

  /**
   * This instance gives the conversation up without ending it (it stops; another instance
   * continues the call): inputs are dropped from now on, a reply still being produced is
   * discarded (not written, no state change, no end), and {@link state} stays what it was before
   * the turn under way began, so that the turn runs again where WxCC retries it (a SESSION_START
   * is not taken for a duplicate). Abort the connector's calls separately (its context's signal).
   */
  abandon(): void {
    if (this.#abandoned !== undefined) return;
    this.#abandoned = this.#beforeTurn ?? this.state;
  }

  get conversationId(): string {
    return this.#state.conversationId;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Inputs are queued or being handled (a turn is under way). */
  get busy(): boolean {
    return this.#queued > 0;
  }

  /**
   * Continues from a newer state of the conversation (another instance served it meanwhile),
   * with `session` opened from that state's connector snapshot. Open streams stay as they are;
   * the session replaced is ended (`superseded`).
   */
  adopt(state: ConversationState, session: ConnectorSession): void {
    if (state.conversationId !== this.#state.conversationId) {
      throw new TypeError(`not a state of conversation ${this.#state.conversationId}`);
    }
    const { connector: _snapshot, ...rest } = state;
    Object.assign(this.#state, rest);
    const old = this.#session;
    this.#session = session;
    // The superseded session releases what it holds (its replacement continues the dialog).
    if (old !== session) void this.#endSuperseded(old);
  }

  async #endSuperseded(old: ConnectorSession): Promise<void> {
    try {
      await old.end('superseded');
    } catch (error) {
      this.#logger.warn({ err: error }, 'superseded connector session end failed');
    }
  }

  /** Marks activity now (idle reaping, store expiry). */
  touch(): void {
    this.#state.lastActivityAt = this.#clock.now();
  }

  /** A stream of this conversation; its responses go to `port`. */
  openStream(port: TurnPort): TurnStream {
    return new Stream(port);
  }

  /**
   * Handles one request's input on `stream`, after every input queued before it for this
   * conversation (on any stream).
   */
  receive(stream: TurnStream, input: ByovaInput): Promise<void> {
    try {
      return this.receiveNow(stream, input) ?? RESOLVED;
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * {@link receive} for a caller that handles frames by the thousand: `undefined` when the input
   * was handled synchronously, which is the case of nearly every audio frame (one that completes
   * no boundary: no promise, no microtask); otherwise what to wait for. Throws what handling
   * throws synchronously.
   */
  receiveNow(stream: TurnStream, input: ByovaInput): Promise<void> | undefined {
    if (!(stream instanceof Stream)) throw new TypeError('not a stream of this session');
    this.touch();
    if (this.#queued === 0) {
      // Nothing before it: handle it now.
      const pending = this.#handle(stream, input);
      return pending === undefined ? undefined : this.#queue(pending);
    }
    return this.#queue(this.#chain.then(() => this.#handle(stream, input)));
  }

  /** Makes later inputs wait for `run`. */
  #queue(run: Promise<void>): Promise<void> {
    this.#queued += 1;
    const settled = (): void => {
      this.#queued -= 1;
    };
    this.#chain = run.then(settled, settled);
    return run;
  }

  /** Ends the conversation once: the connector session is ended, the observer told. */
  async end(reason: string): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    try {
      await this.#session.end(reason);
    } catch (error) {
      this.#logger.warn({ err: error }, 'connector session end failed');
    }
    await this.#observer.ended?.(reason);
  }

  #handle(stream: Stream, input: ByovaInput): Promise<void> | undefined {
    if (this.#ended || this.#abandoned !== undefined) return undefined;
    if (stream.closed) {
      // Audio the stream received before it closed (queued behind a turn) is still the
      // caller's: reported for recording, not analysed.
      if (input.kind === 'audio') this.#decode(stream, input.audio);
      return undefined;
    }
    switch (input.kind) {
      case 'audio':
        return this.#audio(stream, input.audio);
      case 'dtmf':
        return this.#gated(stream, () => this.#dtmf(stream, input.keys.join('')));
      case 'event':
        return this.#gated(
          stream,
          () => this.#event(stream, input.type, input.name, input.parameters),
          input.type === 'SESSION_END',
        );
      case 'none':
        return undefined;
    }
  }

  /** Runs `turn` once the gate lets it (at once without a gate). */
  #gated(stream: Stream, turn: () => Promise<void>, hangUp = false): Promise<void> {
    const gate = this.#gate;
    const begin = (): Promise<void> => {
      this.#beforeTurn = this.state;
      return turn().finally(() => {
        this.#beforeTurn = undefined;
      });
    };
    if (gate === undefined) return begin();
    return gate.enter(stream, hangUp).then((exists) => {
      if (!exists) {
        // Ended elsewhere: a hang-up is answered as for a conversation nobody holds.
        if (hangUp) stream.write(eventResponse('SESSION_END', 'session_ended_by_client'));
        stream.complete();
        return undefined;
      }
      return stream.closed || this.#ended || this.#abandoned !== undefined ? undefined : begin();
    });
  }

  #dtmf(stream: Stream, entry: string): Promise<void> {
    this.#state.dtmfMode = false;
    const keys = this.#stripTerminator(entry);
    return this.#turn('dtmf', { digits: keys.length }, () =>
      this.#reply(stream, 'dtmf', () => this.#session.dtmf(keys)),
    );
  }

  #stripTerminator(keys: string): string {
    if (this.#settings.stripDtmfTerminator === false) return keys;
    const termchar = this.#state.input.inputHandlingConfig.dtmf_config?.termchar;
    if (termchar === undefined || termchar === 'DTMF_EVENT_UNSPECIFIED' || termchar === 0)
      return keys;
    const terminator = dtmfDigitToKey(termchar);
    return keys.endsWith(terminator) ? keys.slice(0, -1) : keys;
  }

  async #event(
    stream: Stream,
    type: ByovaEventType,
    name: string,
    parameters: JsonObject,
  ): Promise<void> {
    switch (type) {
      case 'SESSION_START':
        if (this.#state.welcomed) {
          this.#logger.warn({}, 'duplicate SESSION_START ignored');
          return;
        }
        this.#state.welcomed = true;
        return this.#turn('event', { event: type }, () =>
          this.#reply(stream, 'event', () => this.#session.start({ name, parameters })),
        );
      case 'SESSION_END':
        // The caller hung up: no prompt can be played any more.
        return this.#turn('event', { event: type }, async () => {
          await this.end('client_session_end');
          stream.write(eventResponse('SESSION_END', 'session_ended_by_client'));
          stream.complete();
        });
      case 'START_OF_DTMF':
        this.#state.dtmfMode = true;
        stream.vad = undefined;
        break;
      default:
        break;
    }
    const event: ConnectorEvent = {
      type: (CONNECTOR_EVENTS.includes(type)
        ? type
        : 'UNSPECIFIED_INPUT') as ConnectorEvent['type'],
      name,
      parameters,
    };
    return this.#turn('event', { event: type }, () =>
      this.#reply(stream, 'event', () => this.#session.event(event)),
    );
  }

  /** Undefined when the frame completed nothing (no reply to wait for). */
  /** Decodes a frame and reports it (`callerAudio`); undefined when it cannot be decoded. */
  #decode(stream: Stream, audio: VoiceInput__Output): DecodedCallerAudio | undefined {
    let decoded;
    try {
      decoded = decodeCallerAudio(audio, this.#settings.audioDefaults);
    } catch (error) {
      // One bad frame must not end the call: skip it and say so once per stream.
      this.#observer.badAudio?.(error);
      if (!stream.badAudioLogged) this.#logger.warn({ err: error }, 'caller audio frame skipped');
      stream.badAudioLogged = true;
      return undefined;
    }
    this.#observer.callerAudio?.(decoded.samples, decoded.sampleRate);
    return decoded;
  }

  #audio(stream: Stream, audio: VoiceInput__Output): Promise<void> | undefined {
    const decoded = this.#decode(stream, audio);
    if (decoded === undefined) return undefined;
    if (this.#state.dtmfMode || stream.turnDone) return undefined;
    if (audio.caller_audio.length < (this.#settings.minFrameBytes ?? 15)) return undefined;
    const vad = this.#vad(stream, decoded.sampleRate);
    const events = vad.push(decoded.samples);
    const noInputMs = this.#settings.noInputTimeoutMs ?? 0;
    if (events.length === 0 && noInputMs > 0 && !vad.speaking && vad.elapsedMs >= noInputMs) {
      return this.#noInput(stream);
    }
    for (const event of events) {
      if (event.type === 'start') {
        stream.write(eventResponse('START_OF_INPUT'));
        this.#session.speechStarted?.({ bargeIn: this.#state.bargeIn });
        continue;
      }
      stream.turnDone = true;
      stream.write(eventResponse('END_OF_INPUT', 'end_of_input'));
      const samples = event.audio ?? new Int16Array(0);
      const endOfInputAt = this.#clock.now();
      const utterance = { samples, sampleRate: decoded.sampleRate };
      this.#observer.utterance?.(samples, decoded.sampleRate);
      const details = {
        ms: Math.round((samples.length * 1000) / decoded.sampleRate),
        end: event.reason,
        barge_in: this.#state.bargeIn,
      };
      const turn = (): Promise<void> =>
        this.#turn('speech', details, () =>
          this.#reply(stream, 'speech', () => this.#session.utterance(utterance), endOfInputAt),
        );
      // DTMF mode may have begun on another instance while the gate waited: then no turn.
      return this.#gated(stream, () => (this.#state.dtmfMode ? RESOLVED : turn()));
    }
    return undefined;
  }

  #vad(stream: Stream, sampleRate: number): EnergyVad {
    if (stream.vad === undefined || stream.vad.sampleRate !== sampleRate) {
      const s = this.#settings;
      stream.vad = new EnergyVad({
        sampleRate,
        speech: { kind: 'rms', thresholdDbfs: s.speechThresholdDbfs ?? -35 },
        startMs: s.startDebounceMs ?? 60,
        endSilenceMs: s.endSilenceMs ?? 1000,
        maxUtteranceMs: s.maxUtteranceMs ?? 30000,
        preRollMs: s.preRollMs ?? 400,
      });
    }
    return stream.vad;
  }

  /**
   * The caller said nothing for the whole no-input window: close the turn so WxCC stops
   * streaming, and answer as for a NO_INPUT event (never an OutputEvent NO_INPUT, which would
   * make the flow leave the virtual agent).
   */
  #noInput(stream: Stream): Promise<void> {
    stream.turnDone = true;
    stream.write(eventResponse('END_OF_INPUT', 'no_input'));
    return this.#gated(stream, () =>
      this.#turn('event', { event: 'NO_INPUT', source: 'gateway' }, () =>
        this.#reply(stream, 'event', () =>
          this.#session.event({ type: 'NO_INPUT', name: 'gateway_no_input', parameters: {} }),
        ),
      ),
    );
  }

  /** Counts and reports a turn, then runs its work (inside the observer's `aroundTurn`). */
  #turn(kind: TurnKind, details: TurnDetails, work: () => Promise<void>): Promise<void> {
    this.#state.turns += 1;
    this.#observer.turn?.(kind, details);
    const around = this.#observer.aroundTurn;
    return around !== undefined ? around(kind, details, work) : work();
  }

  async #reply(
    stream: Stream,
    kind: TurnKind,
    produce: () => Promise<TurnReply | null>,
    endOfInputAt?: number,
  ): Promise<void> {
    let reply: TurnReply | null;
    try {
      reply = await produce();
    } catch (error) {
      // Given up meanwhile (ended, or abandoned at this instance's shutdown): the connector's
      // signal was aborted, so its failure is that abort, not the vendor's; nothing is sent.
      if (this.#ended || this.#abandoned !== undefined) {
        this.#logger.debug(
          { err: error, turn: kind },
          'connector call aborted: conversation given up',
        );
        return;
      }
      this.#observer.connectorError?.(error, kind);
      this.#logger.error({ err: error, turn: kind }, 'connector failed; sending its error reply');
      reply = this.#connector.errorReply(error);
    }
    if (stream.closed || this.#ended || this.#abandoned !== undefined) return;
    if (reply === null) {
      // Speech turns already said END_OF_INPUT; events and DTMF entries are closed with a FINAL.
      if (kind !== 'speech') stream.write(plainFinal(this.#state.input));
      return;
    }
    const effective = shapeReply(reply, this.#shape);
    for (const response of replyResponses(effective, this.#shape)) stream.write(response);
    if (endOfInputAt !== undefined) this.#observer.replyLatency?.(this.#clock.now() - endOfInputAt);
    for (const prompt of effective.prompts) {
      if (prompt.audio !== undefined && prompt.audio.length > 0)
        this.#observer.botAudio?.(prompt.audio);
    }
    const event = effective.event;
    if (event !== undefined && isTerminalEvent(event.type)) {
      this.#observer.terminal?.(
        event.type as 'SESSION_END' | 'TRANSFER_TO_AGENT',
        event.name ?? '',
      );
      // The conversation is forgotten (and its shared state removed) before the stream
      // completes, so that a new stream for the same id, on any instance, starts fresh.
      await this.end(event.type === 'SESSION_END' ? 'completed' : 'transferred');
      stream.complete();
      return;
    }
    this.#state.input = nextInput(effective, this.#state.input);
    this.#state.bargeIn =
      effective.prompts.length > 0 ? effective.prompts.at(-1)?.bargeIn === true : false;
  }
}

function nextInput(reply: TurnReply, current: InputPreferences): InputPreferences {
  return {
    inputMode: reply.inputMode ?? current.inputMode,
    inputHandlingConfig: reply.inputHandlingConfig ?? current.inputHandlingConfig,
  };
}

// The types around a CallerTurnSession (turn-session.ts): the gateway's turn settings, what the
// session reports, the ports of its streams and the gate of shared state.

import type { VoiceVAResponse } from '../generated/com/cisco/wcc/ccai/media/v1/VoiceVAResponse';
import type { CallerAudioDefaults } from './caller-audio';
import type { Clock } from './clock';
import type { Connector, ConnectorSession } from './connector';
import type { ConversationState } from './conversation-state';
import type { ByovaLogger } from './logger';

/** Rules of a turn (the gateway's configuration). */
export interface TurnSettings {
  /** A 20 ms window at or above this RMS level is speech. @default -35 */
  readonly speechThresholdDbfs?: number;
  /** Consecutive speech before START_OF_INPUT. @default 60 */
  readonly startDebounceMs?: number;
  /** Consecutive non-speech before END_OF_INPUT. @default 1000 */
  readonly endSilenceMs?: number;
  /** END_OF_INPUT after this long of speech even without silence. @default 30000 */
  readonly maxUtteranceMs?: number;
  /** Audio before START_OF_INPUT handed to the connector with the utterance. @default 400 */
  readonly preRollMs?: number;
  /** Frames shorter than this (WxCC's format-only first frame) are not analysed. @default 15 */
  readonly minFrameBytes?: number;
  /**
   * After this much caller audio without speech, close the turn (END_OF_INPUT `no_input`) and
   * answer as for a NO_INPUT event. 0 = off (WxCC's own timer sends NO_INPUT).
   * @default 0
   */
  readonly noInputTimeoutMs?: number;
  /** What UNSPECIFIED_FORMAT and 0 Hz mean. @default u-law, 8000 Hz */
  readonly audioDefaults?: CallerAudioDefaults;
  /** Drop one trailing terminator key from DTMF entries. @default true */
  readonly stripDtmfTerminator?: boolean;
  /** `drop` removes prompts without audio. @default 'send' */
  readonly textOnlyPrompts?: 'send' | 'drop';
  /** Audio per CHUNK response. @default 16000 */
  readonly chunkBytes?: number;
}

/** The kind of a turn, for metrics and logs. */
export type TurnKind = 'speech' | 'dtmf' | 'event';

/** What a turn is about: event name, digit count, utterance length, end reason, barge-in. */
export type TurnDetails = Readonly<Record<string, string | number | boolean>>;

/** What the session reports as it goes (metrics, dashboards, recordings). All optional. */
export interface TurnObserver {
  /** A turn began (`details`: event name, digit count, utterance length...). */
  turn?(kind: TurnKind, details: TurnDetails): void;
  /**
   * Runs a turn's work (the connector call, the reply, the end of the conversation if it ends):
   * e.g. inside a tracing span, so that everything logged meanwhile carries its ids.
   */
  aroundTurn?(kind: TurnKind, details: TurnDetails, work: () => Promise<void>): Promise<void>;
  /** A terminal reply went out. */
  terminal?(outcome: 'SESSION_END' | 'TRANSFER_TO_AGENT', name: string): void;
  /** ms from END_OF_INPUT to the reply written (clock time). */
  replyLatency?(ms: number): void;
  /** A connector method threw (its error reply is sent). */
  connectorError?(error: unknown, kind: TurnKind): void;
  /** A caller audio frame could not be decoded and was skipped. */
  badAudio?(error: unknown): void;
  /** Decoded caller audio, every frame. */
  callerAudio?(samples: Int16Array, sampleRate: number): void;
  /** An utterance the VAD cut out (pre-roll included), as handed to the connector. */
  utterance?(samples: Int16Array, sampleRate: number): void;
  /** u-law 8 kHz audio of every prompt sent. */
  botAudio?(ulaw: Uint8Array): void;
  /** The conversation ended (once); awaited before the stream that ended it completes. */
  ended?(reason: string): void | Promise<void>;
}

/** Where a stream's responses go. */
export interface TurnPort {
  write(response: VoiceVAResponse): void;
  /** Completes the stream with OK (terminal reply, hang-up): nothing more is written. */
  complete(): void;
}

/** One ProcessCallerInput stream of a conversation (see `CallerTurnSession.openStream`). */
export interface TurnStream {
  readonly closed: boolean;
  /** Nothing more is written to this stream (cancelled, failed or completed). */
  close(): void;
}

/**
 * Orders the turns of a conversation whose state several gateway instances share. Without a gate
 * a turn runs as soon as its input is handled.
 */
export interface TurnGate {
  /**
   * Called before an input that may change the conversation is acted on (an event, a DTMF
   * entry, the end of an utterance), before any connector call. Resolves true once the session
   * may run it (after `CallerTurnSession.adopt` when another instance changed the
   * conversation meanwhile), or false when the conversation no longer exists (it ended
   * elsewhere): the input is then dropped and `stream` completed. May resolve early once
   * `stream` is closed (the input is dropped). `hangUp` is true for a SESSION_END: the gate may
   * let it run without waiting for another instance's turn (the call is over either way).
   */
  enter(stream: TurnStream, hangUp?: boolean): Promise<boolean>;
}

/** Options of `CallerTurnSession`. */
export interface CallerTurnSessionOptions {
  /** A new conversation's state (`newConversationState`) or one read back from a store. */
  readonly state: ConversationState;
  /** The connector serving the agent (its reply mode, default input and error reply). */
  readonly connector: Pick<Connector, 'replyMode' | 'input' | 'errorReply'>;
  /** The connector's session for this conversation. */
  readonly session: ConnectorSession;
  readonly settings?: TurnSettings;
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default silentLogger */
  readonly logger?: ByovaLogger;
  readonly observer?: TurnObserver;
  /** Shared state only: orders turns across instances. */
  readonly gate?: TurnGate;
}

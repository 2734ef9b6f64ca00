// The connector contract: what a virtual-agent connector implements. The gateway (and the turn
// session) own the wire: VAD, START/END_OF_INPUT, WAV vs CHUNK framing, input config defaults,
// terminal handling. A connector only says what to answer.

import type { InputHandlingConfig } from '../generated/com/cisco/wcc/ccai/media/v1/InputHandlingConfig';
import type { VoiceVAInputMode__Output } from '../generated/com/cisco/wcc/ccai/media/v1/VoiceVAInputMode';
import type { ByovaLogger } from './logger';
import type { TurnReply } from './responses';
import type { JsonObject } from './struct';

/** A virtual agent as ListVirtualAgents reports it. */
export interface AgentDescriptor {
  readonly id: string;
  readonly name: string;
  readonly isDefault: boolean;
  readonly attributes?: Readonly<Record<string, string>>;
}

/** What the connector wants WxCC to collect next, when a reply does not say. */
export interface InputPreferences {
  readonly inputMode: VoiceVAInputMode__Output;
  readonly inputHandlingConfig: InputHandlingConfig;
}

/** An utterance the VAD cut out (its pre-roll included). */
export interface Utterance {
  readonly samples: Int16Array;
  readonly sampleRate: number;
}

/** A WxCC event other than SESSION_START / SESSION_END. */
export interface ConnectorEvent {
  readonly type: 'NO_INPUT' | 'START_OF_DTMF' | 'CUSTOM_EVENT' | 'UNSPECIFIED_INPUT';
  readonly name: string;
  readonly parameters: JsonObject;
}

/** Everything a session knows about its call. */
export interface SessionContext {
  readonly conversationId: string;
  readonly agentId: string;
  readonly customerOrgId: string;
  /** Every line carries the conversation and agent ids. */
  readonly logger: ByovaLogger;
  /**
   * Aborted when the gateway gives the conversation up while a turn may be under way: it ended
   * (hang-up elsewhere, shutdown of a single instance), or this instance stops and another one
   * continues the call. Pass it to vendor calls; what a method returns after it is discarded.
   * Absent for gateways that never abort.
   */
  readonly signal?: AbortSignal;
}

/** What the caller's speech interrupted, told to {@link ConnectorSession.speechStarted}. */
export interface SpeechStart {
  /** The prompt playing when the caller spoke allowed barge-in (WxCC stops it). */
  readonly bargeIn: boolean;
}

/**
 * One conversation with a virtual agent. Methods return the reply to send, or `null` for "nothing
 * to say" (event and DTMF turns are then closed with a plain FINAL carrying the input config).
 * Methods may throw: the caller gets {@link Connector.errorReply}.
 */
export interface ConnectorSession {
  /** SESSION_START: the welcome. */
  start(event: {
    readonly name: string;
    readonly parameters: JsonObject;
  }): Promise<TurnReply | null>;
  /** The caller started speaking (after START_OF_INPUT was sent). */
  speechStarted?(start: SpeechStart): void;
  /** The caller finished an utterance (after END_OF_INPUT was sent). */
  utterance(utterance: Utterance): Promise<TurnReply | null>;
  /** A completed DTMF entry (terminator already stripped when configured); '' = nothing entered. */
  dtmf(keys: string): Promise<TurnReply | null>;
  event(event: ConnectorEvent): Promise<TurnReply | null>;
  /** The session is over (client hang-up, terminal reply, idle reaper, shutdown). */
  end(reason: string): Promise<void>;
  /**
   * What a later turn needs (dialog or session ids, counters...) as JSON, so that the turn can be
   * served by another gateway instance: it is handed back to {@link Connector.openSession}.
   * Omit it when the session keeps nothing between turns.
   */
  snapshot?(): JsonObject;
}

/**
 * What the gateway records of the calls a connector serves, when the connector asks (e.g. the
 * Python gateway's per-connector `audio_logging` and `record_caller_audio` keys).
 */
export interface ConnectorRecording {
  /** Absolute folder of the files. */
  readonly dir: string;
  /**
   * File name: `{conversation_id}`, `{timestamp}` (the conversation's start, UTC to the ms) and
   * `{source}` (`caller` or `bot`) are replaced.
   */
  readonly filenameFormat: string;
  /** All caller audio, only the utterances handed to the connector, or none. */
  readonly caller: 'all' | 'utterances' | 'none';
  /** The prompts sent (u-law 8 kHz). */
  readonly bot: boolean;
  /** How caller audio is stored. */
  readonly callerEncoding: 'pcm16' | 'ulaw';
  /** Caller audio is resampled to this rate; undefined keeps the caller's rate. */
  readonly callerSampleRate: number | undefined;
  /** Audio continues in `<name>_part2.wav`, ... beyond this many bytes per file. */
  readonly maxFileBytes: number | undefined;
}

/** A source of virtual agents. */
export interface Connector {
  /** The YAML key of the connector entry. */
  readonly key: string;
  /** A short type name for dashboards (`local_audio`, `aws_lex`, ...). */
  readonly kind: string;
  /** WAV (one FINAL per turn) or CHUNK streaming; one mode for every call of this connector. */
  readonly replyMode: 'wav' | 'chunk';
  /** The input configuration sent when a reply does not set one. */
  readonly input: InputPreferences;
  /** Recording this connector asks for; the gateway's own setting applies otherwise. */
  readonly recording?: ConnectorRecording | undefined;
  /** Loads prompts, discovers bots... Throws if the connector cannot work at all. */
  init(): Promise<void>;
  agents(): readonly AgentDescriptor[];
  /**
   * A session for one conversation: a new one (`snapshot` undefined), or one continuing from a
   * {@link ConnectorSession.snapshot} taken on this or another instance.
   */
  openSession(context: SessionContext, snapshot?: JsonObject): ConnectorSession;
  /** The reply when a session method threw. */
  errorReply(error: unknown): TurnReply;
  close(): Promise<void>;
}

/**
 * What the gateway hands a connector class: the YAML entry's key and its `config` mapping (the
 * connector validates it), the configuration file's folder (relative paths start there) and a
 * logger whose lines already carry `connector: key`.
 */
export interface ConnectorInit {
  readonly key: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly baseDir: string;
  readonly logger: ByovaLogger;
}

/**
 * A connector class as a plug-in module exports it (YAML `class` names the export).
 *
 * @example
 * ```ts
 * export class EchoConnector implements Connector {
 *   constructor(init: ConnectorInit) { ... }
 * }
 * ```
 */
export type ConnectorClass = new (init: ConnectorInit) => Connector;

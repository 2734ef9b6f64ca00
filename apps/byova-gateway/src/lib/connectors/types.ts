// The contract between the gateway and a virtual-agent connector. The gateway owns the wire (VAD,
// START/END_OF_INPUT, WAV vs CHUNK framing, input config defaults); a connector only says what
// to answer.

import type {
  InputHandlingConfig,
  JsonObject,
  TurnReply,
  VoiceVAInputMode__Output,
} from '@org/byova';
import type { Logger } from 'pino';

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

/** An utterance the gateway's VAD cut out (pre-roll included). */
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
  readonly logger: Logger;
}

/**
 * One conversation with a virtual agent. Methods return the reply to send, or `null` for "nothing
 * to say" (the gateway then closes event and DTMF turns with a plain FINAL carrying the input
 * config). Methods may throw: the gateway answers with {@link Connector.errorReply}.
 */
export interface ConnectorSession {
  /** SESSION_START: the welcome. */
  start(event: {
    readonly name: string;
    readonly parameters: JsonObject;
  }): Promise<TurnReply | null>;
  /** The caller started speaking (after START_OF_INPUT was sent). */
  speechStarted?(): void;
  /** The caller finished an utterance (after END_OF_INPUT was sent). */
  utterance(utterance: Utterance): Promise<TurnReply | null>;
  /** A completed DTMF entry (terminator already stripped when configured); '' = nothing entered. */
  dtmf(keys: string): Promise<TurnReply | null>;
  event(event: ConnectorEvent): Promise<TurnReply | null>;
  /** The session is over (client hang-up, terminal reply, idle reaper, shutdown). */
  end(reason: string): Promise<void>;
}

/** A source of virtual agents. */
export interface Connector {
  /** The YAML key. */
  readonly key: string;
  /** `local_audio` or `aws_lex`. */
  readonly kind: string;
  /** WAV (one FINAL per turn) or CHUNK streaming; one mode for every call of this connector. */
  readonly replyMode: 'wav' | 'chunk';
  readonly input: InputPreferences;
  /** Loads prompts / discovers bots. Throws if the connector cannot work at all. */
  init(): Promise<void>;
  agents(): readonly AgentDescriptor[];
  openSession(context: SessionContext): ConnectorSession;
  /** The reply when a session method threw. */
  errorReply(error: unknown): TurnReply;
  close(): Promise<void>;
}

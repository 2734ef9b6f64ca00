// The conversations this gateway holds: each is a CallerTurnSession (the library's state machine)
// with what the gateway adds around it (logger, recording, open streams), created on a call's
// first stream, found again by conversation_id on the next ones, ended once (by the session, the
// idle reaper or shutdown), and reported to metrics and the dashboard.

import {
  CallerTurnSession,
  newConversationState,
  systemClock,
  type ByovaRequest,
  type Clock,
  type Connector,
  type InputPreferences,
  type TurnObserver,
  type TurnSettings,
} from '@org/byova';
import type { Logger } from 'pino';
import type { ConnectionLog } from './connection-log';
import { GatewayError, GatewayErrorCode } from './errors';
import type { GatewayMetrics } from './metrics';
import type { ConversationRecorder, RecordingService } from './recorder';
import type { AgentRouter } from './router';

export class Conversation {
  readonly id: string;
  readonly agentId: string;
  readonly customerOrgId: string;
  readonly connector: Connector;
  readonly logger: Logger;
  readonly recorder: ConversationRecorder | undefined;
  readonly turnSession: CallerTurnSession;
  /** ProcessCallerInput streams of this conversation open on this instance. */
  openStreams = 0;

  constructor(init: {
    id: string;
    agentId: string;
    customerOrgId: string;
    connector: Connector;
    logger: Logger;
    recorder: ConversationRecorder | undefined;
    turnSession: CallerTurnSession;
  }) {
    this.id = init.id;
    this.turnSession = init.turnSession;
    this.agentId = init.agentId;
    this.customerOrgId = init.customerOrgId;
    this.connector = init.connector;
    this.logger = init.logger;
    this.recorder = init.recorder;
  }

  get ended(): boolean {
    return this.turnSession.ended;
  }
  get welcomed(): boolean {
    return this.turnSession.state.welcomed;
  }
  get dtmfMode(): boolean {
    return this.turnSession.state.dtmfMode;
  }
  get turns(): number {
    return this.turnSession.state.turns;
  }
  get input(): InputPreferences {
    return this.turnSession.state.input;
  }
  get startedAt(): number {
    return this.turnSession.state.startedAt;
  }
  get lastActivity(): number {
    return this.turnSession.state.lastActivityAt;
  }
}

export interface ConversationRegistryOptions {
  readonly router: () => AgentRouter;
  readonly settings: TurnSettings;
  readonly idleTimeoutMs: number;
  readonly reaperIntervalMs: number;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly connections: ConnectionLog;
  /** Audio recording, when enabled. */
  readonly recordings: RecordingService | undefined;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** What the first request of a stream binds to. */
export type Binding =
  | { readonly kind: 'conversation'; readonly conversation: Conversation }
  /** A hang-up for a conversation this gateway does not hold: answered, nothing created. */
  | { readonly kind: 'hangup' };

export class ConversationRegistry {
  readonly #conversations = new Map<string, Conversation>();
  readonly #options: ConversationRegistryOptions;
  readonly #clock: Clock;
  #timer: NodeJS.Timeout | undefined;
  #created = 0;

  constructor(options: ConversationRegistryOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  get size(): number {
    return this.#conversations.size;
  }

  /** Conversations created since start. */
  get created(): number {
    return this.#created;
  }

  get(id: string): Conversation | undefined {
    return this.#conversations.get(id);
  }

  all(): Conversation[] {
    return [...this.#conversations.values()];
  }

  /**
   * The conversation of a stream's first request: the one held, or a new one.
   *
   * @throws GatewayError for an agent that does not exist or does not match the conversation.
   */
  bind(request: ByovaRequest): Binding {
    const existing = this.#conversations.get(request.conversationId);
    if (existing !== undefined) {
      if (request.virtualAgentId !== '' && request.virtualAgentId !== existing.agentId) {
        throw new GatewayError(
          GatewayErrorCode.AgentMismatch,
          'virtual_agent_id does not match the existing conversation',
        );
      }
      return { kind: 'conversation', conversation: existing };
    }
    const routed = this.#options.router().resolve(request.virtualAgentId);
    if (routed === undefined) {
      throw request.virtualAgentId === ''
        ? new GatewayError(GatewayErrorCode.NoAgents, 'No virtual agents available')
        : new GatewayError(
            GatewayErrorCode.AgentNotFound,
            `Agent not found: ${request.virtualAgentId}`,
          );
    }
    if (request.input.kind === 'event' && request.input.type === 'SESSION_END') {
      return { kind: 'hangup' };
    }
    const conversation = this.#create(request, routed.agent.id, routed.connector);
    return { kind: 'conversation', conversation };
  }

  #create(request: ByovaRequest, agentId: string, connector: Connector): Conversation {
    const { conversationId, customerOrgId } = request;
    const logger = this.#options.logger.child({
      conversation_id: conversationId,
      agent_id: agentId,
    });
    // The session reports only once requests arrive, after `conversation` is assigned.
    // eslint-disable-next-line prefer-const
    let conversation: Conversation;
    const state = newConversationState({
      conversationId,
      agentId,
      customerOrgId,
      connectorKey: connector.key,
      input: connector.input,
      now: this.#clock.now(),
    });
    const recorder = this.#options.recordings?.begin(conversationId, state.startedAt, logger);
    const turnSession = new CallerTurnSession({
      state,
      connector,
      session: connector.openSession({ conversationId, agentId, customerOrgId, logger }),
      settings: this.#options.settings,
      clock: this.#clock,
      logger,
      observer: this.#observer(() => conversation),
    });
    conversation = new Conversation({
      id: conversationId,
      agentId,
      customerOrgId,
      connector,
      logger,
      recorder,
      turnSession,
    });
    this.#conversations.set(conversationId, conversation);
    this.#created += 1;
    this.#options.metrics.conversations.inc();
    this.#options.connections.record({
      event_type: 'start',
      conversation_id: conversationId,
      agent_id: agentId,
    });
    logger.info({ customer_org_id: customerOrgId }, 'conversation started');
    return conversation;
  }

  /** Metrics, connection events and the recording follow what the turn session reports. */
  #observer(of: () => Conversation): TurnObserver {
    const { metrics, connections } = this.#options;
    const ids = () => ({ conversation_id: of().id, agent_id: of().agentId });
    return {
      turn: (kind, details) => {
        metrics.turns.inc({ kind });
        connections.record({ event_type: 'turn', ...ids(), kind, ...details });
      },
      terminal: (outcome, name) => {
        metrics.terminals.inc({ outcome });
        connections.record({ event_type: 'terminal', ...ids(), outcome, name });
      },
      replyLatency: (ms) => metrics.replyLatency.observe(undefined, ms / 1000),
      connectorError: () => metrics.connectorErrors.inc({ connector: of().connector.key }),
      badAudio: () => metrics.badRequests.inc(),
      callerAudio: (samples, sampleRate) => of().recorder?.caller(samples, sampleRate),
      botAudio: (ulaw) => of().recorder?.bot(ulaw),
      ended: (reason) => this.#forget(of(), reason),
    };
  }

  async #forget(conversation: Conversation, reason: string): Promise<void> {
    if (this.#conversations.get(conversation.id) === conversation)
      this.#conversations.delete(conversation.id);
    this.#options.metrics.conversationEnds.inc({ reason });
    this.#options.connections.record({
      event_type: 'end',
      conversation_id: conversation.id,
      agent_id: conversation.agentId,
      reason,
      turns: conversation.turns,
    });
    conversation.logger.info({ reason, turns: conversation.turns }, 'conversation ended');
    await conversation.recorder?.close();
  }

  /** Ends a conversation once (its connector session, recording and entry). */
  end(conversation: Conversation, reason: string): Promise<void> {
    return conversation.turnSession.end(reason);
  }

  /** Ends conversations idle for longer than the timeout and with no open stream. */
  async reap(now = this.#clock.now()): Promise<number> {
    const idle = this.all().filter(
      (c) => c.openStreams === 0 && now - c.lastActivity >= this.#options.idleTimeoutMs,
    );
    await Promise.all(idle.map((c) => this.end(c, 'idle_timeout')));
    return idle.length;
  }

  startReaper(): void {
    this.#timer ??= setInterval(() => {
      this.reap().catch((error: unknown) =>
        this.#options.logger.error({ err: error }, 'idle reaper failed'),
      );
    }, this.#options.reaperIntervalMs);
    this.#timer.unref();
  }

  /** Stops the reaper and ends every conversation. */
  async close(reason = 'shutdown'): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all(this.all().map((c) => this.end(c, reason)));
  }
}

// The conversations this gateway holds, created on a call's first stream and found again by
// conversation_id on the next ones. With a conversation table (CONVERSATION_TABLE), the state a
// later turn needs is loaded at the start of every stream, every turn is claimed in the table
// before it acts and the state saved after every request (shared-conversations.ts), so any
// instance can serve the next turn exactly as this one would; without it, conversations live in
// this process only. A conversation ends once (terminal reply, hang-up, idle reaper, shutdown of
// a single instance) and is reported to metrics, the dashboard and its recording. At most
// `maxConversations` started by this instance are held at once: a stream that would start one
// more is refused with RESOURCE_EXHAUSTED (a known conversation, held here or in the table,
// always continues). Copies of conversations other instances started do not count, so that the
// service's capacity grows with its instances when a load balancer spreads a call's streams.

import {
  CallerTurnSession,
  newConversationState,
  systemClock,
  type ByovaRequest,
  type Clock,
  type Connector,
  type ConversationState,
  type TurnDetails,
  type TurnGate,
  type TurnKind,
  type TurnObserver,
  type TurnSettings,
} from '@org/byova';
import { sessionLogger, withSpan } from '@org/service-kit';
import type { Attributes, Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { DEFAULT_MAX_CONVERSATIONS, limitError, type RefuseCall } from './call-limits';
import type { ConnectionLog } from './connection-log';
import { Conversation } from './conversation';
import type { ConversationStore, StoredConversation } from './conversation-store';
import { GatewayError, GatewayErrorCode } from './errors';
import type { GatewayMetrics } from './metrics';
import type { RecordingService } from './recorder';
import type { AgentRouter } from './router';
import { SharedConversations } from './shared-conversations';

export { Conversation } from './conversation';

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
  /** The shared conversation table, when configured. */
  readonly store: ConversationStore | undefined;
  /** @default systemClock */
  readonly clock?: Clock;
  /** One span per turn (a no-op tracer unless tracing is on). */
  readonly tracer: Tracer;
  /**
   * Conversations started by this instance and held at once (`gateway.max_conversations`):
   * beyond it a new conversation is refused. Copies continued from the table do not count and
   * are never refused.
   * @default DEFAULT_MAX_CONVERSATIONS
   */
  readonly maxConversations?: number;
  /** Records a conversation refused at the limit (metric, log). @default no record */
  readonly refuse?: RefuseCall;
  /**
   * With the table: a turn claimed by another instance that has not progressed for this long
   * (measured on this instance's clock) is taken for a crashed instance's and taken over. Longer
   * than the slowest turn (a Lex call with its retries).
   * @default DEFAULT_TURN_LEASE_MS
   */
  readonly turnLeaseMs?: number;
  /** With the table: first wait between reads of a claimed conversation. @default 25 */
  readonly turnPollMs?: number;
  /**
   * With the table, on close: how long turns still under way may take to finish before their
   * state is written out (and their claim released) as it is.
   * @default DEFAULT_CLOSE_TURN_WAIT_MS
   */
  readonly closeTurnWaitMs?: number;
}

/** See {@link ConversationRegistryOptions.closeTurnWaitMs}. */
export const DEFAULT_CLOSE_TURN_WAIT_MS = 5_000;

/** See {@link ConversationRegistryOptions.turnLeaseMs}. */
export const DEFAULT_TURN_LEASE_MS = 60_000;

/** What the first request of a stream binds to. */
export type Binding =
  | { readonly kind: 'conversation'; readonly conversation: Conversation }
  /** A hang-up for a conversation nobody holds: answered, nothing created. */
  | { readonly kind: 'hangup' };

/** The attributes of a turn's span. */
function turnAttributes(
  conversation: Conversation,
  kind: TurnKind,
  details: TurnDetails,
): Attributes {
  const attributes: Attributes = {
    'byova.conversation_id': conversation.id,
    'byova.agent_id': conversation.agentId,
    'byova.connector': conversation.connector.key,
    'byova.turn.kind': kind,
  };
  for (const [key, value] of Object.entries(details)) attributes[`byova.turn.${key}`] = value;
  return attributes;
}

export class ConversationRegistry {
  readonly #conversations = new Map<string, Conversation>();
  /**
   * Ids of the conversations this instance started and still holds (also while it reloads a
   * newer state of one from the table): what `maxConversations` bounds.
   */
  readonly #startedHere = new Set<string>();
  readonly #options: ConversationRegistryOptions;
  readonly #clock: Clock;
  /** The table's side of the conversations, when there is a table. */
  readonly #shared: SharedConversations | undefined;
  #timer: NodeJS.Timeout | undefined;
  #created = 0;

  constructor(options: ConversationRegistryOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#shared =
      options.store === undefined
        ? undefined
        : new SharedConversations({
            store: options.store,
            metrics: options.metrics,
            logger: options.logger,
            turnLeaseMs: options.turnLeaseMs ?? DEFAULT_TURN_LEASE_MS,
            pollMs: options.turnPollMs ?? 25,
            reopen: (c, state) =>
              c.connector.openSession(
                {
                  conversationId: c.id,
                  agentId: c.agentId,
                  customerOrgId: c.customerOrgId,
                  logger: c.logger,
                  signal: c.signal,
                },
                state.connector,
              ),
            gone: (c) => this.#evict(c),
          });
  }

  get size(): number {
    return this.#conversations.size;
  }

  /** Conversations created by this instance since start. */
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
   * The conversation of a stream's first request: the current one (from the table when there is
   * one), or a new one.
   *
   * @throws GatewayError for an unknown or mismatching agent, an unavailable table, or a new
   *   conversation beyond `maxConversations` (RESOURCE_EXHAUSTED; nothing is created).
   */
  async bind(request: ByovaRequest, attempt = 0): Promise<Binding> {
    const id = request.conversationId;
    const held = await this.#current(id);
    if (held !== undefined) {
      if (request.virtualAgentId !== '' && request.virtualAgentId !== held.agentId) {
        throw new GatewayError(
          GatewayErrorCode.AgentMismatch,
          'virtual_agent_id does not match the existing conversation',
        );
      }
      return { kind: 'conversation', conversation: held };
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
    // Only a new conversation is bounded, before anything of it exists (connector session,
    // recording, table item). No await from here to #hold: concurrent streams cannot overshoot.
    const max = this.#options.maxConversations ?? DEFAULT_MAX_CONVERSATIONS;
    if (this.#startedHere.size >= max) {
      throw (this.#options.refuse ?? limitError)('conversations', max);
    }
    const state = newConversationState({
      conversationId: id,
      agentId: routed.agent.id,
      customerOrgId: request.customerOrgId,
      connectorKey: routed.connector.key,
      input: routed.connector.input,
      now: this.#clock.now(),
    });
    const conversation = this.#hold(state, routed.connector, undefined);
    this.#startedHere.add(id);
    // A first request that is a turn claims the new conversation at once (one write).
    const claim = request.input.kind === 'event' || request.input.kind === 'dtmf';
    if (this.#shared !== undefined && !(await this.#shared.create(conversation, claim))) {
      // Another instance created it at the same moment: continue from its state.
      this.#evict(conversation);
      if (attempt > 0) {
        throw new GatewayError(
          GatewayErrorCode.StoreUnavailable,
          `conversation ${id} could not be created in the conversation table`,
        );
      }
      return this.bind(request, attempt + 1);
    }
    this.#created += 1;
    this.#options.metrics.conversations.inc();
    this.#options.connections.record({
      event_type: 'start',
      conversation_id: id,
      agent_id: routed.agent.id,
    });
    conversation.logger.info({ customer_org_id: request.customerOrgId }, 'conversation started');
    return { kind: 'conversation', conversation };
  }

  /** The conversation as it currently is: this instance's copy, or the table's newer state. */
  async #current(id: string): Promise<Conversation | undefined> {
    const local = this.#conversations.get(id);
    const shared = this.#shared;
    if (shared === undefined) return local;
    const stored = await shared.load(id);
    if (stored === undefined) {
      // Ended (or expired) elsewhere: this copy is history.
      if (local !== undefined) this.#evict(local);
      return undefined;
    }
    if (
      local !== undefined &&
      !local.stale &&
      local.version === stored.version &&
      local.startedAt === stored.state.startedAt
    )
      return local;
    if (local !== undefined) this.#evict(local, { reloading: true });
    return this.#restore(stored);
  }

  #restore(stored: StoredConversation): Conversation {
    const { state } = stored;
    const connector = this.#options
      .router()
      .connectors()
      .find((c) => c.key === state.connectorKey);
    if (connector === undefined) {
      throw new GatewayError(
        GatewayErrorCode.UnknownConnector,
        `conversation ${state.conversationId} is served by connector ${state.connectorKey}, which this instance does not have`,
      );
    }
    const conversation = this.#hold(state, connector, state.connector);
    this.#shared?.restored(conversation, stored);
    conversation.logger.info({ version: stored.version }, 'conversation continued from the table');
    return conversation;
  }

  /** Builds and holds a conversation from its state (`snapshot`: its connector session's). */
  #hold(
    state: ConversationState,
    connector: Connector,
    snapshot: ConversationState['connector'] | undefined,
  ): Conversation {
    const { conversationId, agentId, customerOrgId } = state;
    // Every line of the conversation carries its id as `sessionId`.
    const logger = sessionLogger(this.#options.logger, conversationId, { agent_id: agentId });
    const recorder = this.#options.recordings?.begin(
      conversationId,
      state.startedAt,
      logger,
      connector.recording ?? undefined,
    );
    // The session reports only once requests arrive, after `conversation` is assigned.
    const ref: { conversation?: Conversation } = {};
    const of = (): Conversation => ref.conversation as Conversation;
    // The connector session's calls are aborted when the conversation is over here.
    const abort = new AbortController();
    const turnSession = new CallerTurnSession({
      state,
      connector,
      session: connector.openSession(
        {
          conversationId,
          agentId,
          customerOrgId,
          logger,
          signal: abort.signal,
        },
        snapshot,
      ),
      settings: this.#options.settings,
      clock: this.#clock,
      logger,
      observer: this.#observer(of),
      ...(this.#shared !== undefined ? { gate: this.#gate(this.#shared, of) } : {}),
    });
    const conversation = new Conversation({
      id: conversationId,
      agentId,
      customerOrgId,
      connector,
      logger,
      recorder,
      turnSession,
      abort,
    });
    ref.conversation = conversation;
    this.#conversations.set(conversationId, conversation);
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
      utterance: (samples, sampleRate) => of().recorder?.utterance(samples, sampleRate),
      botAudio: (ulaw) => of().recorder?.bot(ulaw),
      ended: (reason) => this.#forget(of(), reason),
      aroundTurn: (kind, details, work) =>
        withSpan(this.#options.tracer, 'byova.turn', turnAttributes(of(), kind, details), work),
    };
  }

  /** Turns of a shared conversation wait for, and claim, the conversation in the table. */
  #gate(shared: SharedConversations, of: () => Conversation): TurnGate {
    return { enter: (stream, hangUp) => shared.enter(of(), stream, hangUp === true) };
  }

  /**
   * Saves the conversation's state to the table when it changed (or its expiry needs moving) and
   * ends its turn claim, after any save under way. Called after every request, before the stream
   * can complete.
   */
  persist(conversation: Conversation): Promise<void> | undefined {
    return this.#shared?.persist(conversation);
  }

  /**
   * Drops this instance's copy without ending the conversation (it lives on in the table); one
   * started here stops counting against `maxConversations` unless a newer state replaces it.
   */
  #evict(conversation: Conversation, { reloading = false } = {}): void {
    if (this.#conversations.get(conversation.id) === conversation)
      this.#conversations.delete(conversation.id);
    if (!reloading) {
      this.#startedHere.delete(conversation.id);
      this.#shared?.forget(conversation.id);
    }
    void conversation.recorder?.close();
  }

  async #forget(conversation: Conversation, reason: string): Promise<void> {
    conversation.abort();
    if (this.#conversations.get(conversation.id) === conversation)
      this.#conversations.delete(conversation.id);
    this.#startedHere.delete(conversation.id);
    this.#options.metrics.conversationEnds.inc({ reason });
    this.#options.connections.record({
      event_type: 'end',
      conversation_id: conversation.id,
      agent_id: conversation.agentId,
      reason,
      turns: conversation.turns,
    });
    conversation.logger.info({ reason, turns: conversation.turns }, 'conversation ended');
    // Before the stream completes, so a new stream for this id starts fresh on any instance.
    await this.#shared?.remove(conversation).catch(() => undefined);
    await conversation.recorder?.close();
  }

  /** Ends a conversation once (its connector session, recording, entry and stored state). */
  end(conversation: Conversation, reason: string): Promise<void> {
    return conversation.turnSession.end(reason);
  }

  /**
   * Ends conversations idle for longer than the timeout with no open stream. With a table, a
   * conversation another instance served recently, or changes while it is being reaped, is only
   * dropped from this instance; its item is deleted (at the version read) before the connector
   * session is ended.
   */
  async reap(now = this.#clock.now()): Promise<number> {
    const timeout = this.#options.idleTimeoutMs;
    const idle = this.all().filter((c) => c.openStreams === 0 && now - c.lastActivity >= timeout);
    let ended = 0;
    await Promise.all(
      idle.map(async (c) => {
        const verdict = (await this.#shared?.idle(c, now, timeout)) ?? 'end';
        if (verdict === 'keep') return;
        if (verdict === 'evict') {
          this.#evict(c);
          return;
        }
        ended += 1;
        await this.end(c, 'idle_timeout');
      }),
    );
    return ended;
  }

  startReaper(): void {
    this.#timer ??= setInterval(() => {
      this.reap().catch((error: unknown) =>
        this.#options.logger.error({ err: error }, 'idle reaper failed'),
      );
    }, this.#options.reaperIntervalMs);
    this.#timer.unref();
  }

  /**
   * Stops the reaper. A single instance ends every conversation; with a table, conversations
   * outlive this instance (other instances serve them), so they are only written out and dropped:
   * a turn still under way gets `closeTurnWaitMs` to finish, then the state held is written and
   * the turn's claim released all the same, so that the next turn on another instance need not
   * wait for the claim's lease. Call it before the table's client is destroyed.
   */
  async close(reason = 'shutdown'): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    const shared = this.#shared;
    if (shared === undefined) {
      await Promise.all(this.all().map((c) => this.end(c, reason)));
      return;
    }
    const deadline =
      performance.now() + (this.#options.closeTurnWaitMs ?? DEFAULT_CLOSE_TURN_WAIT_MS);
    await Promise.all(
      this.all().map(async (c) => {
        await settled(c, deadline);
        // A turn still under way is given up: aborted, its reply discarded, and the state from
        // before it saved, so that WxCC's retry runs it again on another instance.
        c.abandon();
        await shared.persist(c, { force: true }).catch(() => undefined);
        c.stale = true;
        this.#evict(c);
        await c.recorder?.close();
      }),
    );
  }
}

/** Resolves once no input of `conversation` is under way, or at `deadline` (own clock). */
async function settled(conversation: Conversation, deadline: number): Promise<void> {
  while (conversation.turnSession.busy && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

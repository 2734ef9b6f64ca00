// Per-conversation state that survives across the short-lived ProcessCallerInput streams of a
// call, and the idle reaper that ends conversations WxCC never closed.

import type { Logger } from 'pino';
import type { ConnectionLog } from './connection-log';
import type { Connector, ConnectorSession, InputPreferences } from './connectors/types';
import type { GatewayMetrics } from './metrics';
import type { ConversationRecorder } from './recorder';

export class Conversation {
  readonly id: string;
  readonly agentId: string;
  readonly customerOrgId: string;
  readonly connector: Connector;
  readonly session: ConnectorSession;
  readonly logger: Logger;
  readonly recorder: ConversationRecorder | undefined;
  readonly startedAt = Date.now();
  lastActivity = Date.now();
  /** SESSION_START was answered. */
  welcomed = false;
  /** Between START_OF_DTMF and the DTMF entry: caller audio is not analysed. */
  dtmfMode = false;
  turns = 0;
  openStreams = 0;
  ended = false;
  /** The input configuration last sent to WxCC (its terminator is stripped from DTMF entries). */
  input: InputPreferences;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(init: {
    id: string;
    agentId: string;
    customerOrgId: string;
    connector: Connector;
    session: ConnectorSession;
    logger: Logger;
    recorder: ConversationRecorder | undefined;
  }) {
    this.id = init.id;
    this.agentId = init.agentId;
    this.customerOrgId = init.customerOrgId;
    this.connector = init.connector;
    this.session = init.session;
    this.logger = init.logger;
    this.recorder = init.recorder;
    this.input = init.connector.input;
  }

  /** Runs `task` after every task queued before it for this conversation (across streams). */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#chain.then(task);
    this.#chain = result.catch(() => undefined);
    return result;
  }

  touch(): void {
    this.lastActivity = Date.now();
  }
}

export interface ConversationRegistryOptions {
  readonly idleTimeoutMs: number;
  readonly reaperIntervalMs: number;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly connections: ConnectionLog;
}

export class ConversationRegistry {
  readonly #conversations = new Map<string, Conversation>();
  readonly #options: ConversationRegistryOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ConversationRegistryOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#conversations.size;
  }

  get(id: string): Conversation | undefined {
    return this.#conversations.get(id);
  }

  all(): Conversation[] {
    return [...this.#conversations.values()];
  }

  add(conversation: Conversation): void {
    this.#conversations.set(conversation.id, conversation);
    this.#options.metrics.conversations.inc();
    this.#options.connections.record({
      event_type: 'start',
      conversation_id: conversation.id,
      agent_id: conversation.agentId,
    });
  }

  /** Ends a conversation once: forgets it, ends the connector session, closes the recording. */
  async end(conversation: Conversation, reason: string): Promise<void> {
    if (conversation.ended) return;
    conversation.ended = true;
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
    try {
      await conversation.session.end(reason);
    } catch (error) {
      conversation.logger.warn({ err: error }, 'connector session end failed');
    }
    await conversation.recorder?.close();
  }

  /** Ends conversations idle for longer than the timeout and with no open stream. */
  async reap(now = Date.now()): Promise<number> {
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

// One conversation held by this instance: the library's CallerTurnSession with what the gateway
// adds around it (logger, recording, open streams, and the version of its shared state).

import type { CallerTurnSession, Connector, ConversationState, InputPreferences } from '@org/byova';
import type { Logger } from 'pino';
import type { ConversationRecorder } from './recorder';

/** The state as compared for saving: everything but the activity time. */
export function stateFingerprint(state: ConversationState): string {
  return JSON.stringify({ ...state, lastActivityAt: 0 });
}

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
  /** Version of the shared state this copy is at (0: not stored). */
  version = 0;
  /** What was last saved (fingerprint and activity time). */
  saved: { readonly fingerprint: string; readonly activityAt: number } | undefined;
  /** Saves of this conversation, one at a time. */
  saving: Promise<void> = Promise.resolve();
  /** Another instance wrote a newer state: the next stream reloads it. */
  stale = false;
  /** Aborted when the conversation ends or this instance gives it up (the connectors' signal). */
  readonly #abort: AbortController;

  constructor(init: {
    id: string;
    agentId: string;
    customerOrgId: string;
    connector: Connector;
    logger: Logger;
    recorder: ConversationRecorder | undefined;
    turnSession: CallerTurnSession;
    /** Aborts the connector session's calls (its context's `signal`). */
    abort: AbortController;
  }) {
    this.#abort = init.abort;
    this.id = init.id;
    this.agentId = init.agentId;
    this.customerOrgId = init.customerOrgId;
    this.connector = init.connector;
    this.logger = init.logger;
    this.recorder = init.recorder;
    this.turnSession = init.turnSession;
  }

  /** The connector sessions' `signal`: aborted once the conversation is over here. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** The conversation ended: vendor calls still under way are aborted. */
  abort(): void {
    this.#abort.abort();
  }

  /**
   * This instance stops while the conversation goes on elsewhere: its turn under way is aborted
   * and discarded, and its state stays as before that turn (see `CallerTurnSession.abandon`).
   */
  abandon(): void {
    this.turnSession.abandon();
    this.#abort.abort();
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

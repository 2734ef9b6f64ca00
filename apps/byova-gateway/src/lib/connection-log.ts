// Conversation-level connection events (start, turn, terminal, end) in a bounded ring, for the
// dashboard's history. One event per conversation milestone, never one per audio frame.

/** One connection event (the Python dashboard's ConnectionEvent shape). */
export interface ConnectionEvent {
  readonly event_type: 'start' | 'turn' | 'terminal' | 'end';
  readonly conversation_id: string;
  readonly agent_id: string;
  /** Epoch seconds. */
  readonly timestamp: number;
  readonly [extra: string]: string | number | boolean;
}

export class ConnectionLog {
  readonly #capacity: number;
  readonly #events: ConnectionEvent[] = [];
  #total = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  record(event: Omit<ConnectionEvent, 'timestamp'>): void {
    this.#events.push({ ...event, timestamp: Date.now() / 1000 } as ConnectionEvent);
    this.#total += 1;
    if (this.#events.length > this.#capacity) this.#events.shift();
  }

  /** The most recent events, oldest first. */
  events(): readonly ConnectionEvent[] {
    return this.#events;
  }

  /** Events recorded since start (including those dropped from the ring). */
  get total(): number {
    return this.#total;
  }
}

// A connector for tests of several instances: each gateway gets its own instance (named), all
// share one log, the welcome can be held (a slow vendor), and the session's snapshot lists every
// input it heard, so a turn served from a stale copy of the conversation shows as a lost entry.

import type {
  AgentDescriptor,
  Connector,
  ConnectorEvent,
  ConnectorSession,
  InputPreferences,
  JsonObject,
  SessionContext,
  TurnReply,
} from '@org/byova';

export const PROBE_AGENT = 'Probe Agent';

/** What every instance's probe connector did, in order. */
export class ProbeLog {
  /** `<instance>:<conversation_id>` per welcome begun. */
  readonly starts: string[] = [];
  /** `<instance>:<conversation_id>` per session ended. */
  readonly ends: string[] = [];
  /** `<instance>:<conversation_id>` per session whose context's signal was aborted. */
  readonly aborted: string[] = [];
  /** Awaited when a session ends (the test looks at the table meanwhile). */
  onEnd: ((conversationId: string) => Promise<void>) | undefined;
  #held: Promise<void> | undefined;

  /** Holds the next welcome until the returned function is called. */
  holdNextWelcome(): () => void {
    let release: () => void = () => undefined;
    this.#held = new Promise<void>((resolve) => (release = resolve));
    return release;
  }

  /** The hold for a welcome beginning now (only the first after holdNextWelcome). */
  takeHold(): Promise<void> | undefined {
    const held = this.#held;
    this.#held = undefined;
    return held;
  }
}

class ProbeSession implements ConnectorSession {
  readonly #heard: string[];

  constructor(
    readonly log: ProbeLog,
    readonly instance: string,
    readonly context: SessionContext,
    snapshot: JsonObject | undefined,
  ) {
    const heard = snapshot?.['heard'];
    this.#heard = Array.isArray(heard) ? heard.map(String) : [];
    context.signal?.addEventListener('abort', () =>
      log.aborted.push(`${instance}:${context.conversationId}`),
    );
  }

  async start(): Promise<TurnReply> {
    this.log.starts.push(`${this.instance}:${this.context.conversationId}`);
    await this.log.takeHold();
    this.#heard.push(`welcome@${this.instance}`);
    return { prompts: [{ text: `Welcome from ${this.instance}` }] };
  }

  async utterance(): Promise<TurnReply> {
    this.#heard.push('speech');
    return { prompts: [{ text: `heard ${this.#heard.join(',')}` }] };
  }

  async dtmf(keys: string): Promise<TurnReply> {
    this.#heard.push(keys);
    return { prompts: [{ text: `heard ${this.#heard.join(',')}` }] };
  }

  async event(event: ConnectorEvent): Promise<TurnReply | null> {
    this.#heard.push(event.type);
    return null;
  }

  async end(): Promise<void> {
    this.log.ends.push(`${this.instance}:${this.context.conversationId}`);
    await this.log.onEnd?.(this.context.conversationId);
  }

  snapshot(): JsonObject {
    return { heard: [...this.#heard] };
  }
}

export class ProbeConnector implements Connector {
  readonly key = 'probe';
  readonly kind = 'probe';
  readonly replyMode = 'wav';
  readonly input: InputPreferences = { inputMode: 'INPUT_VOICE_DTMF', inputHandlingConfig: {} };

  constructor(
    readonly log: ProbeLog,
    readonly instance: string,
  ) {}

  async init(): Promise<void> {
    // Nothing to load.
  }

  agents(): readonly AgentDescriptor[] {
    return [{ id: PROBE_AGENT, name: 'Probe', isDefault: true }];
  }

  openSession(context: SessionContext, snapshot?: JsonObject): ConnectorSession {
    return new ProbeSession(this.log, this.instance, context, snapshot);
  }

  errorReply(): TurnReply {
    return { prompts: [{ text: 'probe failed' }] };
  }

  async close(): Promise<void> {
    // Nothing held.
  }
}

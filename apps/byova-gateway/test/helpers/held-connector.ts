// A connector whose DTMF turn is answered only when the test says so: a turn held under way.

import type {
  AgentDescriptor,
  Connector,
  ConnectorSession,
  InputPreferences,
  TurnReply,
} from '@org/byova';

/** The agent {@link HeldConnector} serves. */
export const HELD_AGENT = 'Held Agent';

/** A connector whose DTMF turn is answered only when the test says so. */
export class HeldConnector implements Connector {
  readonly key = 'held';
  readonly kind = 'held';
  readonly replyMode = 'wav';
  readonly input: InputPreferences = { inputMode: 'INPUT_VOICE_DTMF', inputHandlingConfig: {} };
  dtmfBegun = false;
  #release: () => void = () => undefined;
  readonly #held = new Promise<void>((resolve) => (this.#release = resolve));

  release(): void {
    this.#release();
  }

  async init(): Promise<void> {
    // Nothing to load.
  }

  agents(): readonly AgentDescriptor[] {
    return [{ id: HELD_AGENT, name: 'Held', isDefault: true }];
  }

  openSession(): ConnectorSession {
    return {
      start: async () => null,
      utterance: async () => null,
      dtmf: async (keys: string): Promise<TurnReply> => {
        this.dtmfBegun = true;
        await this.#held;
        return { prompts: [{ text: `keys ${keys}` }] };
      },
      event: async () => null,
      end: async () => undefined,
    };
  }

  errorReply(): TurnReply {
    return { prompts: [{ text: 'failed' }] };
  }

  async close(): Promise<void> {
    // Nothing held.
  }
}

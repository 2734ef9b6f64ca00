// The `update` transaction of a server session (language change, ACTIVE or PAUSED): the update
// handlers in order, the `update` event, then `updated` when configured (open question 5).

import { toError } from '../errors';
import type { AudioHookLogger } from '../logger';
import type { UpdateParameters } from '../schemas';
import type { ServerSession } from './session';
import type { ServerSessionState, UpdateHandler } from './types';

/** What the update pipeline needs from its session. @internal */
export interface UpdateHost {
  readonly session: ServerSession;
  /** Answer with `updated` once the handlers finished. */
  readonly sendUpdated: boolean;
  state(): ServerSessionState;
  /** Reports the update (the `update` event). */
  updated(parameters: UpdateParameters): void;
  sendUpdatedMessage(): void;
  serverError(error: Error): void;
  log(level: keyof AudioHookLogger, message: string, fields: Record<string, unknown>): void;
}

/** Update handlers of one server session and the transaction that runs them. @internal */
export class UpdatePipeline {
  readonly handlers: UpdateHandler[] = [];
  readonly #host: UpdateHost;

  constructor(host: UpdateHost) {
    this.#host = host;
  }

  /** The client's `update`: ignored outside ACTIVE/PAUSED; handlers run in the background. */
  onUpdate(parameters: UpdateParameters): void {
    const host = this.#host;
    if (!isStreaming(host.state())) {
      host.log('debug', 'update ignored', { state: host.state() });
      return;
    }
    void (async () => {
      for (const handler of this.handlers) await handler(parameters, host.session);
      host.updated(parameters);
      if (host.sendUpdated && isStreaming(host.state())) host.sendUpdatedMessage();
    })().catch((error: unknown) => host.serverError(toError(error)));
  }
}

function isStreaming(state: ServerSessionState): boolean {
  return state === 'ACTIVE' || state === 'PAUSED';
}

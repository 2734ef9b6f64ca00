// The `update` transaction of a server session (language change, ACTIVE or PAUSED): the update
// handlers in order, the `update` event, then `updated` when configured (open question 5).

import { toError } from '../errors';
import type { UpdateParameters } from '../schemas';
import type { ServerCore } from './core';
import type { ServerSessionState, UpdateHandler } from './types';

/**
 * Update handlers of one server session and the transaction that runs them. Updates run one at
 * a time, in order: a language change that arrives while the handlers of an earlier one still
 * run waits for them, and of several waiting only the latest runs (the others are superseded),
 * so a slow handler can neither apply an older language last nor be started once per message
 * of a client that floods `update`.
 * @internal
 */
export class UpdatePipeline {
  readonly handlers: UpdateHandler[] = [];
  readonly #core: ServerCore;
  #running = false;
  #pending: UpdateParameters | undefined;

  constructor(core: ServerCore) {
    this.#core = core;
  }

  /** The client's `update`: ignored outside ACTIVE/PAUSED; handlers run in the background. */
  onUpdate(parameters: UpdateParameters): void {
    const core = this.#core;
    if (!isStreaming(core.state)) {
      core.log('debug', 'update ignored', { state: core.state });
      return;
    }
    if (this.#running) {
      if (this.#pending !== undefined) core.log('debug', 'update superseded by a later one', {});
      this.#pending = parameters;
      return;
    }
    this.#running = true;
    void this.#drain(parameters);
  }

  async #drain(first: UpdateParameters): Promise<void> {
    const core = this.#core;
    let next: UpdateParameters | undefined = first;
    while (next !== undefined) {
      const parameters: UpdateParameters = next;
      try {
        for (const handler of this.handlers) await handler(parameters, core.session);
        core.emitSafe('update', parameters);
        if (core.options.sendUpdated === true && isStreaming(core.state)) core.send('updated', {});
      } catch (error) {
        core.serverError(toError(error));
      }
      next = this.#pending;
      this.#pending = undefined;
      if (!isStreaming(core.state)) next = undefined;
    }
    this.#running = false;
  }
}

function isStreaming(state: ServerSessionState): boolean {
  return state === 'ACTIVE' || state === 'PAUSED';
}

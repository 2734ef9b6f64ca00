// The `update` transaction of a server session (language change, ACTIVE or PAUSED): the update
// handlers in order, the `update` event, then `updated` when configured (open question 5).

import { toError } from '../errors';
import type { UpdateParameters } from '../schemas';
import type { ServerCore } from './core';
import type { ServerSessionState, UpdateHandler } from './types';

/** Update handlers of one server session and the transaction that runs them. @internal */
export class UpdatePipeline {
  readonly handlers: UpdateHandler[] = [];
  readonly #core: ServerCore;

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
    void (async () => {
      for (const handler of this.handlers) await handler(parameters, core.session);
      core.emitSafe('update', parameters);
      if (core.options.sendUpdated === true && isStreaming(core.state)) core.send('updated', {});
    })().catch((error: unknown) => core.serverError(toError(error)));
  }
}

function isStreaming(state: ServerSessionState): boolean {
  return state === 'ACTIVE' || state === 'PAUSED';
}

// The idle timeout of a server session: one timer per session, however many frames arrive.

import type { ServerCore } from './core';

/**
 * Notes client activity for the idle timeout. Rather than re-arming a timer for every frame
 * (five per second per session), it stamps the time; the one timer, when it fires, re-arms
 * itself for the rest of the period if the client has been heard from since.
 * @internal
 */
export class IdleTimer {
  readonly #core: ServerCore;
  readonly #timeoutMs: number;
  #lastActivity = 0;
  #armed = false;

  constructor(core: ServerCore) {
    this.#core = core;
    this.#timeoutMs = core.options.idleTimeoutMs ?? 0;
  }

  /** The client was just heard from. */
  touch(): void {
    if (this.#timeoutMs <= 0 || this.#core.isOver()) return;
    this.#lastActivity = this.#core.clock.now();
    if (!this.#armed) this.#schedule(this.#timeoutMs);
  }

  #schedule(delay: number): void {
    this.#armed = true;
    this.#core.timers.set('idle', delay, () => {
      this.#armed = false;
      const core = this.#core;
      if (core.isOver()) return;
      // A clock that went backwards counts as no time passed.
      const quiet = Math.max(0, core.clock.now() - this.#lastActivity);
      if (quiet < this.#timeoutMs) {
        this.#schedule(this.#timeoutMs - quiet);
        return;
      }
      core.onIdle(this.#timeoutMs);
    });
  }
}

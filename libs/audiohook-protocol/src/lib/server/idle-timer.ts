// The idle timeout of a server session: one timer per session, however many frames arrive.

import type { Clock, NamedTimers } from '../clock';

/**
 * Notes client activity for the idle timeout. Rather than re-arming a timer for every frame
 * (five per second per session), it stamps the time; the one timer, when it fires, re-arms
 * itself for the rest of the period if the client has been heard from since.
 * @internal
 */
export class IdleTimer {
  readonly #clock: Clock;
  readonly #timers: NamedTimers;
  readonly #timeoutMs: number;
  readonly #isOver: () => boolean;
  readonly #onIdle: (timeoutMs: number) => void;
  #lastActivity = 0;
  #armed = false;

  /** `timeoutMs` 0 turns it off; `onIdle` runs once the client was quiet that long. */
  constructor(
    clock: Clock,
    timers: NamedTimers,
    timeoutMs: number,
    isOver: () => boolean,
    onIdle: (timeoutMs: number) => void,
  ) {
    this.#clock = clock;
    this.#timers = timers;
    this.#timeoutMs = timeoutMs;
    this.#isOver = isOver;
    this.#onIdle = onIdle;
  }

  /** The client was just heard from. */
  touch(): void {
    if (this.#timeoutMs <= 0 || this.#isOver()) return;
    this.#lastActivity = this.#clock.now();
    if (!this.#armed) this.#schedule(this.#timeoutMs);
  }

  #schedule(delay: number): void {
    this.#armed = true;
    this.#timers.set('idle', delay, () => {
      this.#armed = false;
      if (this.#isOver()) return;
      // A clock that went backwards counts as no time passed.
      const quiet = Math.max(0, this.#clock.now() - this.#lastActivity);
      if (quiet < this.#timeoutMs) {
        this.#schedule(this.#timeoutMs - quiet);
        return;
      }
      this.#onIdle(this.#timeoutMs);
    });
  }
}

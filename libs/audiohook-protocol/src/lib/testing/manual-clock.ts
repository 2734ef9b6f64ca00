// A clock for tests: time moves only when the test says so, and timers fire in order.

import type { Clock, TimerHandle } from '../clock';

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A clock that only moves when told to: `advance(ms)` fires every timer that falls due, in
 * order. For tests of timeouts without real waiting.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(1_700_000_000_000);
 * const session = new ServerSession({ transport, clock, openDeadlineMs: 1000 });
 * await clock.advance(1000); // the open deadline fires
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: ManualTimer[] = [];

  /** @param start Initial time in ms since the epoch. @default 0 */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), callback };
    this.#timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.#timers.length;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order. Between timers it lets pending
   * promise callbacks run, so async work started by a timer can schedule the next one.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await flushMicrotasks();
      const due = this.#timers
        .filter((t) => t.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.callback();
    }
    this.#now = target;
    await flushMicrotasks();
  }
}

/**
 * Lets queued promise callbacks run (a few macrotask-free turns of the microtask queue).
 *
 * @example
 * ```ts
 * await flushMicrotasks(); // queued promise callbacks have run
 * ```
 */
export async function flushMicrotasks(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}

// Time and timers, injectable so that sessions can be driven deterministically in tests.

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/**
 * Where sessions read the time and schedule timers. The default, {@link systemClock}, uses
 * `Date.now` and the global timers; {@link ManualClock} is driven by hand in tests.
 */
export interface Clock {
  /** Milliseconds since the UNIX epoch. */
  now(): number;
  /** Calls `callback` after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/**
 * The real clock. Its timers are `unref`'d where the runtime supports it, so a forgotten
 * session timer never keeps a process alive.
 *
 * @example
 * ```ts
 * new ServerSession({ transport, clock: systemClock });
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

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

/**
 * Timers of one session, by name: setting a name again replaces its timer, and `clearAll` stops
 * everything (used when a session ends).
 *
 * @internal Shared by the server and client sessions.
 */
export class NamedTimers {
  readonly #clock: Clock;
  readonly #handles = new Map<string, TimerHandle>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Runs `action` after `ms`, replacing any timer of the same name. */
  set(name: string, ms: number, action: () => void): void {
    this.clear(name);
    this.#handles.set(
      name,
      this.#clock.setTimeout(() => {
        this.#handles.delete(name);
        action();
      }, ms),
    );
  }

  /** Stops the timer of that name, if any. */
  clear(name: string): void {
    const handle = this.#handles.get(name);
    if (handle !== undefined) {
      this.#clock.clearTimeout(handle);
      this.#handles.delete(name);
    }
  }

  /** Stops every timer. */
  clearAll(): void {
    for (const name of [...this.#handles.keys()]) this.clear(name);
  }
}

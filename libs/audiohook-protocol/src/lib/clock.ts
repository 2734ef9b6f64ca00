// Time and timers, injectable so that sessions can be driven deterministically in tests.

/**
 * An opaque timer handle returned by {@link Clock.setTimeout}.
 *
 * @example
 * ```ts
 * const handle: TimerHandle = clock.setTimeout(() => logger.info('tick'), 1000);
 * clock.clearTimeout(handle);
 * ```
 */
export type TimerHandle = unknown;

/**
 * Where sessions read the time and schedule timers. The default, {@link systemClock}, uses
 * `Date.now` and the global timers; `ManualClock` (from the testing entry) is driven by hand in tests.
 *
 * @example
 * ```ts
 * const fixed: Clock = { now: () => 1_641_013_200_000, setTimeout, clearTimeout };
 * verifySignatureSync(request, { clock: fixed, resolveSecret });
 * ```
 */
export interface Clock {
  /** Milliseconds since the UNIX epoch. */
  now(): number;
  /** Calls `callback` after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** Longest delay `setTimeout` takes (a longer one fires after 1 ms in Node.js and browsers). */
const MAX_TIMER_MS = 2_147_483_647;

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
    // Longer delays than the runtime's timers hold (2^31 - 1 ms, about 24.8 days) would fire
    // after 1 ms instead: wait the longest they hold.
    const handle = setTimeout(callback, Math.min(ms, MAX_TIMER_MS));
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

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

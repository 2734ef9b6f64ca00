// A tiny typed event emitter. Listener exceptions are caught and reported, never propagated
// into the protocol state machine.

/**
 * Map of event name to listener arguments.
 *
 * @example
 * ```ts
 * type Events = { tick: [count: number] } satisfies EventMap;
 * class Ticker extends TypedEmitter<Events> {}
 * ```
 */
export type EventMap = { [event: string]: unknown[] };

/**
 * A listener of one event.
 *
 * @example
 * ```ts
 * const onTick: Listener<[count: number]> = (count) => logger.info(count);
 * ```
 */
export type Listener<A extends unknown[]> = (...args: A) => void;

const NO_ERRORS: readonly Error[] = Object.freeze([]);

/**
 * Base class of the sessions: `on` / `once` / `off` with typed event names and arguments.
 *
 * @example
 * ```ts
 * session.on('audio', (frame) => recorder.append(frame.data));
 * ```
 */
export class TypedEmitter<E extends EventMap> {
  #listeners = new Map<keyof E, Listener<never[]>[]>();

  /** Adds a listener. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    // Lists are replaced, never changed in place, so `emit` walks the one it started with
    // without copying it (listeners added or removed meanwhile count from the next event).
    const list = this.#listeners.get(event);
    const added = listener as unknown as Listener<never[]>;
    this.#listeners.set(event, list === undefined ? [added] : [...list, added]);
    return this;
  }

  /** Adds a listener that is removed after its first call. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const wrapper: Listener<E[K]> = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  /** Removes a listener added with `on` (or the wrapper added by `once`). */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.#listeners.get(event);
    if (list !== undefined) {
      this.#listeners.set(
        event,
        list.filter((l) => l !== (listener as unknown as Listener<never[]>)),
      );
    }
    return this;
  }

  /** Number of listeners of `event`. */
  listenerCount<K extends keyof E>(event: K): number {
    return this.#listeners.get(event)?.length ?? 0;
  }

  /**
   * Calls every listener of `event` (those registered when it was emitted); returns the errors
   * thrown by listeners (an empty array, shared, when none threw).
   */
  protected emit<K extends keyof E>(event: K, ...args: E[K]): readonly Error[] {
    const list = this.#listeners.get(event);
    if (list === undefined) return NO_ERRORS;
    let errors: Error[] | undefined;
    for (const listener of list) {
      try {
        (listener as unknown as Listener<E[K]>)(...args);
      } catch (error) {
        (errors ??= []).push(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return errors ?? NO_ERRORS;
  }
}

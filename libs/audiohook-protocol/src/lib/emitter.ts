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
    const list = this.#listeners.get(event) ?? [];
    list.push(listener as unknown as Listener<never[]>);
    this.#listeners.set(event, list);
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

  /** Calls every listener of `event`; returns the errors thrown by listeners. */
  protected emit<K extends keyof E>(event: K, ...args: E[K]): Error[] {
    const list = this.#listeners.get(event);
    if (list === undefined || list.length === 0) return [];
    const errors: Error[] = [];
    for (const listener of [...list]) {
      try {
        (listener as unknown as Listener<E[K]>)(...args);
      } catch (error) {
        errors.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return errors;
  }
}

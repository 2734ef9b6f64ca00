// What the transcriber is given instead of reaching for globals: a clock (timers included, so
// tests drive time), a structured logger (pino's `(fields, message)` shape), and a small typed
// event emitter. The shapes match @org/audiohook-protocol's, so an app passes the same objects.

/** A timer handle as the clock gives it. */
export type TimerHandle = unknown;

/** Time and timers. */
export interface Clock {
  /** Milliseconds since the epoch (or any fixed origin). */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock; its timers do not keep the process alive. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    (handle as { unref?: () => void }).unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** One log method: structured fields first, then the message (pino's order). */
export type SpeechLogMethod = (fields: Record<string, unknown>, message: string) => void;

/** The logger the transcriber writes to (a pino logger fits). */
export interface SpeechLogger {
  debug: SpeechLogMethod;
  info: SpeechLogMethod;
  warn: SpeechLogMethod;
  error: SpeechLogMethod;
}

const noop: SpeechLogMethod = () => undefined;

/** Logs nothing (the default). */
export const silentLogger: SpeechLogger = { debug: noop, info: noop, warn: noop, error: noop };

/** Event name → listener arguments. */
export type SpeechEventMap = { [event: string]: unknown[] };

type AnyListener = (...args: never[]) => void;

/**
 * A typed emitter: `emit` calls every listener, and returns what they threw instead of throwing
 * (one failing listener neither stops the others nor the transcriber).
 */
export class SpeechEmitter<E extends SpeechEventMap> {
  readonly #listeners = new Map<keyof E, AnyListener[]>();

  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this {
    const list = this.#listeners.get(event) ?? [];
    list.push(listener as unknown as AnyListener);
    this.#listeners.set(event, list);
    return this;
  }

  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): this {
    const list = this.#listeners.get(event) ?? [];
    this.#listeners.set(
      event,
      list.filter((l) => l !== (listener as unknown as AnyListener)),
    );
    return this;
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): Error[] {
    const errors: Error[] = [];
    for (const listener of [...(this.#listeners.get(event) ?? [])]) {
      try {
        (listener as unknown as (...a: E[K]) => void)(...args);
      } catch (error) {
        errors.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return errors;
  }
}

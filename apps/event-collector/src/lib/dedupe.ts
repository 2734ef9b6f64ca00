/**
 * A time-windowed set of recently seen keys. Entries older than the window, or beyond the size
 * cap (oldest first), are forgotten; both bounds keep memory flat however long the collector runs.
 *
 * @example
 * ```ts
 * const seen = new DedupeWindow({ windowMs: 86_400_000, maxKeys: 1_000_000 });
 * seen.checkAndAdd('k'); // true (new)
 * seen.checkAndAdd('k'); // false (duplicate)
 * ```
 */
export class DedupeWindow {
  // Map iteration order is insertion order, so the first entries are always the oldest.
  readonly #seen = new Map<string, number>();
  readonly #windowMs: number;
  readonly #maxKeys: number;

  constructor(opts: {
    /** @default 86400000 (24 h) */
    windowMs: number;
    /** @default 1000000 */
    maxKeys: number;
  }) {
    this.#windowMs = opts.windowMs;
    this.#maxKeys = opts.maxKeys;
  }

  /** True if `key` is new (and records it), false if it was seen inside the window. */
  checkAndAdd(key: string, now = Date.now()): boolean {
    this.#evict(now);
    if (this.#seen.has(key)) return false;
    if (this.#seen.size >= this.#maxKeys) {
      const oldest = this.#seen.keys().next();
      if (!oldest.done) this.#seen.delete(oldest.value);
    }
    this.#seen.set(key, now);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }

  #evict(now: number): void {
    const cutoff = now - this.#windowMs;
    for (const [k, t] of this.#seen) {
      if (t >= cutoff) break;
      this.#seen.delete(k);
    }
  }
}

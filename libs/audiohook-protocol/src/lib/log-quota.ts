// How many lines of one kind a session writes when the peer decides how many there are (client
// errors on the server, protocol violations during a close on the client): the first `limit`,
// a notice with the last of them, then only a count, summed up when the session ends.

/** What to do with one occurrence. @internal */
export type QuotaTurn = 'log' | 'last' | 'skip';

/** Counts the occurrences of one kind of log line against a limit. @internal */
export class LogQuota {
  readonly limit: number;
  #count = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Counts one: `log` it, `last` (log it and say that the rest are only counted) or `skip`. */
  take(): QuotaTurn {
    const count = ++this.#count;
    if (count > this.limit) return 'skip';
    return count === this.limit ? 'last' : 'log';
  }

  /** The fields of the summary line, when some were not logged. */
  unlogged(): { readonly notLogged: number; readonly total: number } | undefined {
    return this.#count > this.limit
      ? { notLogged: this.#count - this.limit, total: this.#count }
      : undefined;
  }
}

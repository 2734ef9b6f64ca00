// Pause bookkeeping of a client session (spec §7.1, §8.4). The server's `pause` and this client's
// own pause (hold, secure pause) are held separately: audio flows only while neither is on. To
// the server both together are one pause: it began with the first `paused` and ends with the one
// `resumed{start, discarded}` sent when the last of them is lifted, whose `discarded` counts all
// the audio lost in between.

/** Who holds a pause: the server (`pause`, `startPaused`) or this client (`pause()`). @internal */
export type PauseHolder = 'server' | 'client';

/** `resumed` parameters of a pause that ended, in ns. @internal */
export interface EndedPause {
  /** Stream position where the (combined) pause began. */
  readonly start: number;
  /** Audio dropped during the whole pause. */
  readonly discarded: number;
}

/** The server's and the client's pauses, and the audio dropped while either is on. @internal */
export class PauseState {
  #server = false;
  #client = false;
  #start = 0;
  #discarded = 0;

  /** True while the server or the client holds a pause (no audio flows). */
  get active(): boolean {
    return this.#server || this.#client;
  }

  /** True while `by` holds a pause. */
  holds(by: PauseHolder): boolean {
    return by === 'server' ? this.#server : this.#client;
  }

  /**
   * `by` starts a pause at stream position `position`. Returns true when the audio was flowing
   * until now (the combined pause begins here), false when a pause was already on.
   */
  begin(by: PauseHolder, position: number): boolean {
    const began = !this.active;
    if (began) {
      this.#start = position;
      this.#discarded = 0;
    }
    if (by === 'server') this.#server = true;
    else this.#client = true;
    return began;
  }

  /**
   * `by` lifts its pause. Returns the `resumed` parameters when the audio flows again, or
   * `undefined` while the other side still holds a pause (or `by` held none).
   */
  end(by: PauseHolder): EndedPause | undefined {
    if (!this.holds(by)) return undefined;
    if (by === 'server') this.#server = false;
    else this.#client = false;
    if (this.active) return undefined;
    return { start: this.#start, discarded: this.#discarded };
  }

  /** Counts `nanos` of audio dropped during the current pause. */
  dropped(nanos: number): void {
    this.#discarded += nanos;
  }
}

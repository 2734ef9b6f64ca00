// One drift-free 20 ms clock shared by every streaming turn: hundreds of concurrent calls cost one
// timer, not one each.

import { FRAME_MS } from './audio';

type Subscriber = () => boolean;

export class FrameClock {
  readonly #subscribers = new Set<Subscriber>();
  #timer: NodeJS.Timeout | undefined;
  #start = 0;
  #ticks = 0;

  /** Calls `tick` every 20 ms until it returns false. */
  subscribe(tick: Subscriber): void {
    this.#subscribers.add(tick);
    if (this.#timer === undefined) {
      this.#start = performance.now();
      this.#ticks = 0;
      this.#schedule();
    }
  }

  #schedule(): void {
    this.#ticks += 1;
    const due = this.#start + this.#ticks * FRAME_MS;
    this.#timer = setTimeout(() => this.#run(), Math.max(0, due - performance.now()));
  }

  #run(): void {
    for (const subscriber of [...this.#subscribers]) {
      if (!subscriber()) this.#subscribers.delete(subscriber);
    }
    if (this.#subscribers.size === 0) {
      this.#timer = undefined;
      return;
    }
    this.#schedule();
  }
}

// The ping schedule of a client session, as the reference client keeps it: the first ping 1 s
// after `opened`, a second right after the first pong, then one per interval; a pong still
// missing at the next tick is a 408.

import type { Clock } from '../clock';
import { formatDuration, millisToNanos } from '../duration';
import type { PingParameters } from '../schemas';

/** What the pinger needs from its session. @internal */
export interface PingerHost {
  readonly clock: Clock;
  /**
   * Runs `action` after `ms` on the session's `ping` timer (replacing it). The session guards
   * the action: nothing it throws escapes the timer.
   */
  setTimer(ms: number, action: () => void): void;
  /** Interval between pings, which is also the pong deadline. */
  readonly intervalMs: number;
  isOpen(): boolean;
  /** Sends `ping`; returns its `seq`. */
  sendPing(parameters: PingParameters): number;
  /** Reports a protocol violation (the session answers `error` and closes). */
  fail(code: number, message: string): void;
  /** Reports a pong (the `pong` event). */
  pong(rtt: number): void;
}

/** Pings the server and measures round-trip times. @internal */
export class Pinger {
  /** Round-trip times measured, in ns. */
  readonly rtts: number[] = [];
  readonly #host: PingerHost;
  #pingSeq: number | undefined;
  #pingSentAt = 0;
  #pongs = 0;

  constructor(host: PingerHost) {
    this.#host = host;
  }

  /** Sends the next ping after `delay` ms (and keeps going while the session is open). */
  schedule(delay: number): void {
    const host = this.#host;
    host.setTimer(delay, () => {
      if (!host.isOpen()) return;
      if (this.#pingSeq !== undefined) {
        host.fail(408, 'Timeout waiting for pong');
        return;
      }
      this.#send();
      this.schedule(host.intervalMs);
    });
  }

  /** A `pong` answering the ping with `seq` `clientseq`. */
  onPong(clientseq: number): void {
    const host = this.#host;
    if (this.#pingSeq === undefined) return host.fail(409, 'Unexpected pong (no ping outstanding)');
    if (clientseq !== this.#pingSeq) {
      return host.fail(400, `pong clientseq ${clientseq} does not match ping seq ${this.#pingSeq}`);
    }
    const rtt = millisToNanos(Math.max(0, host.clock.now() - this.#pingSentAt));
    this.#pingSeq = undefined;
    this.rtts.push(rtt);
    this.#pongs++;
    host.pong(rtt);
    // The reference client follows its first pong with a second ping right away.
    if (this.#pongs === 1 && host.isOpen()) this.#send();
  }

  #send(): void {
    const last = this.rtts[this.rtts.length - 1];
    this.#pingSentAt = this.#host.clock.now();
    this.#pingSeq = this.#host.sendPing(last === undefined ? {} : { rtt: formatDuration(last) });
  }
}

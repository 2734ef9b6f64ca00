// How often one session may start speech streams. Every `resumed` and every `update` to another
// supported language ends the running stream (it keeps delivering its finals for up to 5 s) and
// starts a new one: without a bound, a client alternating `paused`/`resumed` or two languages at
// network speed opens a new engine stream per message (thousands of concurrent Amazon Transcribe
// requests from one call, each billed for at least 15 s, against the account's stream quota that
// every other call shares).

import { TokenBucket } from '@org/audiohook-protocol';

/** Stream starts a session may make at once (its first start included). */
export const STREAM_STARTS_BURST = 20;

/** Stream starts a session earns back per minute after the burst. */
export const STREAM_STARTS_PER_MINUTE = 6;

/** The `disconnect` info (reason `error`) of a voice-transcription session past its budget. */
export const TOO_MANY_STREAM_STARTS_INFO =
  'Client Error: too many pauses or language changes (transcription restarted too often)';

/**
 * A session's stream starts: {@link STREAM_STARTS_BURST} at once, then
 * {@link STREAM_STARTS_PER_MINUTE}. Once refused, every later start is refused too.
 *
 * @example
 * ```ts
 * const budget = new StreamStartBudget();
 * if (budget.take()) transcriber.start('en-US');
 * else session.disconnect('error', TOO_MANY_STREAM_STARTS_INFO);
 * ```
 */
export class StreamStartBudget {
  readonly #bucket = new TokenBucket({
    ratePerSecond: STREAM_STARTS_PER_MINUTE / 60,
    burst: STREAM_STARTS_BURST,
  });
  #spent = false;

  /** True once a start was refused. */
  get spent(): boolean {
    return this.#spent;
  }

  /** Takes one start; false (now and from then on) when the budget is spent. */
  take(): boolean {
    if (this.#spent) return false;
    if (this.#bucket.tryTake()) return true;
    this.#spent = true;
    return false;
  }
}

// Outgoing `event` messages of a server session: a bounded queue behind a token bucket, the
// back-off the client asks for with `error` 429, and the switch-off after an `error` 400 that
// rejects events (spec §16, open questions 1 and 9).

import { serializeMessage } from '../codec';
import { parseDuration } from '../duration';
import { AudioHookError, AudioHookErrorCode } from '../errors';
import { TokenBucket } from '../rate-limit';
import { NIL_UUID, PROTOCOL_VERSION, type ErrorParameters, type EventEntity } from '../schemas';
import type { ServerCore } from './core';
import type { ServerEventOptions } from './types';

/** Paces the `event` messages of one server session. @internal */
export class EventPacer {
  readonly #core: ServerCore;
  readonly #options: ServerEventOptions;
  readonly #bucket: TokenBucket;
  #queue: EventEntity[][] = [];
  #waiters: (() => void)[] = [];
  #enabled: boolean;
  #backoffUntil = 0;
  #consecutive429 = 0;
  #last429At = -Infinity;

  constructor(core: ServerCore) {
    this.#core = core;
    this.#options = core.options.events ?? {};
    this.#enabled = this.#options.enabled ?? true;
    this.#bucket = new TokenBucket({
      ratePerSecond: this.#options.ratePerSecond ?? 5,
      burst: this.#options.burst ?? 25,
      clock: core.clock,
    });
  }

  /** False once events were switched off (Monitor endpoint, or rejected by the client). */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** Events waiting for a token. */
  get queued(): number {
    return this.#queue.length;
  }

  /**
   * Queues an event and sends what the rate allows; returns why it was dropped, if it was.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ARGUMENT` for an empty entity list,
   *   `AUDIOHOOK_ERR_MESSAGE_TOO_LARGE` when the event would not fit in one text frame.
   */
  offer(entities: readonly EventEntity[]): string | undefined {
    if (entities.length === 0 || entities.some((e) => typeof e.type !== 'string' || !e.type)) {
      throw new AudioHookError(
        AudioHookErrorCode.InvalidArgument,
        'an event needs at least one entity, each with a non-empty type',
      );
    }
    // Too large for one frame is a caller error: report it now, not when the queue drains.
    serializeMessage({
      version: PROTOCOL_VERSION,
      id: this.#core.decoder.id ?? NIL_UUID,
      type: 'event',
      seq: Number.MAX_SAFE_INTEGER,
      clientseq: Number.MAX_SAFE_INTEGER,
      parameters: { entities: [...entities] },
    });
    let reason: string | undefined;
    if (!this.#enabled) reason = 'events are disabled for this session';
    else if (!this.#core.allowsEvents())
      reason = `events are not allowed in state ${this.#core.state}`;
    else if (this.#queue.length >= (this.#options.maxQueued ?? 1000))
      reason = 'event queue is full';
    if (reason !== undefined) {
      this.#core.eventDropped(entities, reason);
      return reason;
    }
    this.#queue.push([...entities]);
    this.drain();
    return undefined;
  }

  /** Sends queued events while tokens last; schedules itself for the rest. */
  drain(): void {
    const core = this.#core;
    core.timers.clear('events');
    while (this.#queue.length > 0) {
      if (!core.allowsEvents() || !this.#enabled) {
        this.dropAll(`state ${core.state}`);
        break;
      }
      const now = core.clock.now();
      if (now < this.#backoffUntil) {
        core.timers.set('events', this.#backoffUntil - now, () => this.drain());
        return;
      }
      if (!this.#bucket.tryTake()) {
        core.timers.set('events', this.#bucket.msUntilNext(), () => this.drain());
        return;
      }
      const entities = this.#queue.shift() as EventEntity[];
      if (!core.sendEvent(entities)) core.eventDropped(entities, 'event could not be sent');
    }
    this.#notifyWaiters();
  }

  /** Resolves once the queue is empty (sent or dropped). */
  whenFlushed(): Promise<void> {
    if (this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Drops every queued event with `reason`. */
  dropAll(reason: string): void {
    for (const queued of this.#queue.splice(0)) this.#core.eventDropped(queued, reason);
    this.#notifyWaiters();
  }

  /**
   * Reacts to the client's `error`: 429 backs off (and disconnects after `max429` in a row),
   * 400 about events switches them off.
   */
  onClientError(parameters: ErrorParameters): void {
    const options = this.#options;
    if (parameters.code === 429) {
      const now = this.#core.clock.now();
      const retryAfter = Math.min(
        parameters.retryAfter === undefined
          ? (options.defaultRetryAfterMs ?? 3000)
          : parseDuration(parameters.retryAfter) / 1e6,
        options.maxRetryAfterMs ?? 60_000,
      );
      // A 429 long after the previous back-off ended starts a new count.
      if (now - this.#last429At > Math.max(10_000, retryAfter * 2)) this.#consecutive429 = 0;
      this.#consecutive429++;
      this.#last429At = now;
      this.#backoffUntil = now + retryAfter;
      const max = options.max429 ?? 3;
      if (max > 0 && this.#consecutive429 >= max) {
        this.#core.log('warn', 'rate limited repeatedly; disconnecting', {
          count: this.#consecutive429,
        });
        this.#core.disconnect('error', `Rate limited ${this.#consecutive429} times`);
        return;
      }
      this.drain();
      return;
    }
    if (
      parameters.code === 400 &&
      /event/i.test(parameters.message) &&
      (options.stopOnRejection ?? true)
    ) {
      this.#enabled = false;
      this.dropAll('events rejected');
    }
  }

  #notifyWaiters(): void {
    if (this.#queue.length > 0) return;
    for (const resolve of this.#waiters.splice(0)) resolve();
  }
}

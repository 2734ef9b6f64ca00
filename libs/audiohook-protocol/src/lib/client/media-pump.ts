// The audio a client session sends: pacing comes from the media source; this keeps the stream
// position (samples sent plus discarded gaps), pauses (a live source keeps running and its audio
// is reported as discarded; a file waits; the server's and the client's pauses are tracked apart
// by `pause.ts`), and `discardTo` (whole frames skipped, then one `discarded`, at the latest when
// the audio stops).

import { formatDuration, samplesToNanos } from '../duration';
import { AudioHookError, AudioHookErrorCode, toError } from '../errors';
import type { AudioHookLogger } from '../logger';
import { frameBytes } from '../media';
import type { MediaSource } from '../media-source';
import type { ClientParameters, MediaParameter } from '../schemas';
import type { AudioHookTransport } from '../transport';
import { type EndedPause, type PauseHolder, PauseState } from './pause';

/** What the media pump needs from its session. @internal */
export interface MediaPumpHost {
  readonly transport: AudioHookTransport;
  /** True while the session is OPEN (audio may flow). */
  isOpen(): boolean;
  send<T extends 'paused' | 'resumed' | 'discarded'>(
    type: T,
    parameters: ClientParameters<T>,
  ): void;
  /** Reports that the audio stopped (the `paused` event). */
  paused(by: PauseHolder): void;
  /** Reports that the audio flows again (the `resumed` event). */
  resumed(): void;
  /** The source ended (or failed) while the session was still OPEN. */
  ended(failure: Error | undefined): void;
  log(level: keyof AudioHookLogger, message: string, fields: Record<string, unknown>): void;
}

/** Streams a media source and keeps the client's stream position. @internal */
export class MediaPump {
  readonly #host: MediaPumpHost;
  #sentSamples = 0;
  #discardedNs = 0;
  #audioBytes = 0;
  readonly #pause = new PauseState();
  #resumeWaiters: (() => void)[] = [];
  #discardToNs: number | undefined;
  #discardStart = 0;
  #discardSkipped = 0;
  #streaming = false;

  constructor(host: MediaPumpHost) {
    this.#host = host;
  }

  /** The stream position in ns (audio sent plus discarded gaps). */
  get position(): number {
    return samplesToNanos(this.#sentSamples, 8000) + this.#discardedNs;
  }

  /** Audio bytes sent. */
  get audioBytes(): number {
    return this.#audioBytes;
  }

  /** True while the server or this client holds a pause. */
  get paused(): boolean {
    return this.#pause.active;
  }

  /** True while `by` holds a pause. */
  pausedBy(by: PauseHolder): boolean {
    return this.#pause.holds(by);
  }

  /**
   * Counts `nanos` as discarded at the current position; returns that position. The caller has
   * checked `nanos` (a safe integer ≥ 0 that keeps the position in range).
   */
  discard(nanos: number): number {
    const start = this.position;
    this.#discardedNs += nanos;
    return start;
  }

  /** `opened.discardTo`: skip whole frames until the position reaches `nanos`. */
  discardTo(nanos: number): void {
    this.#discardToNs = nanos;
    this.#discardStart = this.position;
    this.#discardSkipped = 0;
  }

  /** The server's `pause` (or `startPaused`): stops the audio, sends `paused` (again if paused). */
  serverPause(): void {
    this.#beginPause('server');
  }

  /**
   * The server's `resume`: `resumed{start, discarded}` when that lets the audio flow again,
   * `resumed` with `discarded` `PT0S` when it was flowing, `paused` while this client holds a pause.
   */
  serverResume(): void {
    if (this.#pause.holds('client')) {
      this.#pause.end('server');
      this.#host.send('paused', {});
      return;
    }
    if (!this.#pause.active) {
      this.#host.send('resumed', { start: formatDuration(this.position), discarded: 'PT0S' });
      return;
    }
    this.#resumed(this.#pause.end('server'));
  }

  /** This client's pause (hold): stops the audio and sends `paused`. False when already held. */
  clientPause(): boolean {
    if (this.#pause.holds('client')) return false;
    this.#beginPause('client');
    return true;
  }

  /**
   * Lifts this client's pause: sends `resumed{start, discarded}` unless the server's pause is
   * still on (then nothing is sent until the server's `resume`). False when not held.
   */
  clientResume(): boolean {
    if (!this.#pause.holds('client')) return false;
    this.#resumed(this.#pause.end('client'));
    return true;
  }

  /** Stops streaming for good. */
  stop(): void {
    this.#streaming = false;
    for (const resolve of this.#resumeWaiters.splice(0)) resolve();
  }

  /**
   * Reports audio skipped for a `discardTo` that was not reached (the source ended, or the
   * session is closing): `discarded{start, discarded}`, so that `close.position` adds up.
   */
  flushDiscardTo(): void {
    if (this.#discardToNs !== undefined) this.#finishDiscardTo();
  }

  /** Streams `source` in the `selected` media until it ends, fails or the session stops it. */
  async run(source: MediaSource, selected: MediaParameter): Promise<void> {
    this.#streaming = true;
    const unit = frameBytes(selected);
    let iterator: AsyncIterator<Uint8Array> | undefined;
    let failure: Error | undefined;
    try {
      iterator = source.frames(selected)[Symbol.asyncIterator]();
      while (this.#streaming) {
        if (this.#pause.active && !source.live) {
          await new Promise<void>((resolve) => this.#resumeWaiters.push(resolve));
          continue;
        }
        const next = await iterator.next();
        if (next.done === true || !this.#streaming || !this.#host.isOpen()) break;
        this.#frame(next.value, unit, selected.rate);
      }
    } catch (error) {
      failure = toError(error);
      this.#host.log('error', 'media source failed', { err: failure.message });
    } finally {
      this.#streaming = false;
      // A source's own cleanup failing must not become an unhandled rejection.
      void Promise.resolve(iterator?.return?.()).catch(() => undefined);
    }
    if (!this.#host.isOpen()) return;
    this.flushDiscardTo();
    this.#host.ended(failure);
  }

  #beginPause(by: PauseHolder): void {
    const began = this.#pause.begin(by, this.position);
    this.#host.send('paused', {});
    if (began) this.#host.paused(by);
  }

  #resumed(ended: EndedPause | undefined): void {
    if (ended === undefined) return;
    this.#host.send('resumed', {
      start: formatDuration(ended.start),
      discarded: formatDuration(ended.discarded),
    });
    for (const resolve of this.#resumeWaiters.splice(0)) resolve();
    this.#host.resumed();
  }

  /** Sends, skips (discardTo) or drops (paused live source) one frame. */
  #frame(frame: Uint8Array, unit: number, rate: number): void {
    if (frame.length % unit !== 0) {
      throw new AudioHookError(
        AudioHookErrorCode.MediaSource,
        'the media source produced a partial sample frame',
      );
    }
    const samples = frame.length / unit;
    const duration = samplesToNanos(samples, rate);
    if (this.#pause.active) {
      // A live source keeps running while paused: the audio is lost, the timeline moves on.
      this.#discardedNs += duration;
      this.#pause.dropped(duration);
      return;
    }
    if (this.#discardToNs !== undefined) {
      if (this.position + duration <= this.#discardToNs) {
        this.#discardedNs += duration;
        this.#discardSkipped += duration;
        return;
      }
      this.#finishDiscardTo();
    }
    this.#host.transport.sendBinary(frame);
    this.#sentSamples += samples;
    this.#audioBytes += frame.length;
  }

  #finishDiscardTo(): void {
    this.#discardToNs = undefined;
    const skipped = this.#discardSkipped;
    this.#discardSkipped = 0;
    if (skipped > 0) {
      this.#host.send('discarded', {
        start: formatDuration(this.#discardStart),
        discarded: formatDuration(skipped),
      });
    }
  }
}

// The audio a client session sends: pacing comes from the media source; this keeps the stream
// position (samples sent plus discarded gaps), pauses (a live source keeps running and its audio
// is reported as discarded; a file waits), and `discardTo` (whole frames skipped, then one
// `discarded`).

import { formatDuration, samplesToNanos } from '../duration';
import { AudioHookError, AudioHookErrorCode, toError } from '../errors';
import type { AudioHookLogger } from '../logger';
import { frameBytes } from '../media';
import type { MediaSource } from '../media-source';
import type { ClientParameters, MediaParameter } from '../schemas';
import type { AudioHookTransport } from '../transport';

/** What the media pump needs from its session. @internal */
export interface MediaPumpHost {
  readonly transport: AudioHookTransport;
  /** True while the session is OPEN (audio may flow). */
  isOpen(): boolean;
  send<T extends 'paused' | 'resumed' | 'discarded'>(
    type: T,
    parameters: ClientParameters<T>,
  ): void;
  /** Reports a pause (the `paused` event). */
  paused(by: 'server' | 'client'): void;
  /** Reports a resume (the `resumed` event). */
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
  #pausedBy: 'server' | 'client' | undefined;
  #pauseStart = 0;
  #pauseDiscarded = 0;
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

  /** Who paused the audio, while it is paused. */
  get pausedBy(): 'server' | 'client' | undefined {
    return this.#pausedBy;
  }

  /** Counts `nanos` as discarded at the current position; returns that position. */
  discard(nanos: number): number {
    const start = this.position;
    this.#discardedNs += nanos;
    return start;
  }

  /** `opened.discardTo`: skip whole frames until the position reaches `nanos`. */
  discardTo(nanos: number): void {
    this.#discardToNs = nanos;
    this.#discardStart = this.position;
  }

  /** Stops the audio and sends `paused`. */
  beginPause(by: 'server' | 'client'): void {
    this.#pausedBy = by;
    this.#pauseStart = this.position;
    this.#pauseDiscarded = 0;
    this.#host.send('paused', {});
    this.#host.paused(by);
  }

  /** Sends `resumed{start, discarded}` and lets the audio flow again. */
  endPause(): void {
    this.#pausedBy = undefined;
    this.#host.send('resumed', {
      start: formatDuration(this.#pauseStart),
      discarded: formatDuration(this.#pauseDiscarded),
    });
    for (const resolve of this.#resumeWaiters.splice(0)) resolve();
    this.#host.resumed();
  }

  /** Stops streaming for good. */
  stop(): void {
    this.#streaming = false;
    for (const resolve of this.#resumeWaiters.splice(0)) resolve();
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
        if (this.#pausedBy !== undefined && !source.live) {
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
    if (this.#host.isOpen()) this.#host.ended(failure);
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
    if (this.#pausedBy !== undefined) {
      // A live source keeps running while paused: the audio is lost, the timeline moves on.
      this.#discardedNs += duration;
      this.#pauseDiscarded += duration;
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
    if (this.#discardSkipped > 0) {
      this.#host.send('discarded', {
        start: formatDuration(this.#discardStart),
        discarded: formatDuration(this.#discardSkipped),
      });
    }
  }
}

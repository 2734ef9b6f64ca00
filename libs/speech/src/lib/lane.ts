// One lane: the streams of one engine connection carrying some channels of a session (both, with
// channel identification, or one each). It keeps the audio no stream has finished with, starts a
// new stream after a retryable failure (back-off, budget) and replays that audio into it, and
// drains ended streams so their last results still arrive.

import { PendingAudio, type FeedChunk } from './audio-buffer';
import {
  checkResult,
  type SpeechEngine,
  type SpeechResult,
  type SpeechStream,
  type SpeechStreamOptions,
} from './engine';
import { SpeechError, SpeechErrorCode } from './errors';
import type { RetryBudget } from './retry';
import type { Clock, SpeechLogger, TimerHandle } from './runtime';

/** What every lane of a transcriber shares. */
export interface LaneContext {
  readonly engine: SpeechEngine;
  readonly clock: Clock;
  readonly logger: SpeechLogger;
  readonly sampleRate: number;
  readonly partialResults: boolean;
  readonly sessionId: string | undefined;
  /** How long an ended stream may take to deliver its last results before it is aborted. */
  readonly flushTimeoutMs: number;
  /** Feed offset where the next chunk will start. */
  readonly feedEnd: () => number;
  /** Vocabulary and redaction of a stream in `language`. */
  readonly streamOptions: (
    language: string,
  ) => Pick<SpeechStreamOptions, 'vocabulary' | 'redaction'>;
}

/** A result of a lane's stream, its channel already the session's channel. */
export interface LaneResult {
  readonly result: SpeechResult;
  /** Feed offset of the stream's first sample. */
  readonly feedStart: number;
  /** The stream's number (unique in the process). */
  readonly streamNo: number;
  /** The language the stream was started with. */
  readonly language: string;
}

/** Callbacks and limits of one lane. */
export interface LaneOptions {
  /** Session channel of each of the stream's channels, in stream order. */
  readonly channels: readonly number[];
  readonly bufferNs: number;
  readonly retry: RetryBudget;
  readonly onResult: (result: LaneResult) => void;
  /** The lane gave up: not retryable, or the retry budget is spent. */
  readonly onFailure: (error: SpeechError) => void;
  /** Audio that never reached an engine was dropped (the buffer bound), ns. */
  readonly onDropped: (unsentNs: number) => void;
  /** A retry is scheduled. */
  readonly onRetry: (error: SpeechError, attempt: number, delayMs: number) => void;
}

interface LiveStream {
  readonly no: number;
  readonly feedStart: number;
  readonly language: string;
  /** Per session channel: results ending at or before this feed offset were already final. */
  readonly finalBefore: ReadonlyMap<number, number>;
  stream: SpeechStream | undefined;
  acceptedAt: number | undefined;
  ending: boolean;
  closed: boolean;
  flushTimer: TimerHandle | undefined;
  readonly done: Promise<void>;
  resolveDone: () => void;
}

let nextStreamNo = 1;

/**
 * @example
 * ```ts
 * const lane = new Lane(context, { channels: [0, 1], bufferNs, retry, onResult, onFailure, onDropped, onRetry });
 * lane.run('en-US');
 * lane.write({ feed, durationNs, pcm, sent: false });
 * await lane.stop();
 * ```
 */
export class Lane {
  readonly #context: LaneContext;
  readonly #options: LaneOptions;
  readonly #buffer: PendingAudio;
  readonly #finalEnd = new Map<number, number>();
  readonly #ending = new Set<LiveStream>();
  #current: LiveStream | undefined;
  #language: string | undefined;
  #retryTimer: TimerHandle | undefined;

  constructor(context: LaneContext, options: LaneOptions) {
    this.#context = context;
    this.#options = options;
    // The same bound in PCM samples: `bufferNs` of audio at the lane's rate and channel count.
    const maxSamples =
      Math.ceil((options.bufferNs * context.sampleRate) / 1e9) * options.channels.length;
    this.#buffer = new PendingAudio(options.bufferNs, maxSamples);
  }

  /** Starts transcribing in `language`; a running stream is ended (it still delivers). */
  run(language: string): void {
    this.#cancelRetry();
    if (this.#current !== undefined) this.#end(this.#current);
    this.#buffer.clear();
    this.#language = language;
    this.#options.retry.reset();
    this.#open(this.#context.feedEnd(), false);
  }

  /** Adds audio (the lane's channels, interleaved). Ignored while not running. */
  write(chunk: FeedChunk): void {
    if (this.#language === undefined) return;
    const current = this.#current;
    if (current !== undefined && !current.closed) {
      current.stream?.write(chunk.pcm);
      chunk.sent = true;
    }
    const dropped = this.#buffer.push(chunk);
    if (dropped.unsentNs > 0) this.#options.onDropped(dropped.unsentNs);
  }

  /** Ends the streams: resolves once they delivered their last results (or were aborted). */
  stop(): Promise<void> {
    this.#language = undefined;
    this.#cancelRetry();
    if (this.#current !== undefined) this.#end(this.#current);
    this.#buffer.clear();
    return Promise.all([...this.#ending].map((live) => live.done)).then(() => undefined);
  }

  /** Stops every stream at once, without waiting for results. */
  abort(): void {
    this.#language = undefined;
    this.#cancelRetry();
    const all = [...this.#ending, ...(this.#current === undefined ? [] : [this.#current])];
    this.#current = undefined;
    for (const live of all) {
      // Settled here rather than when the engine's `closed()` comes: no flush timer or pending
      // `stop()` outlives an abort, even for an engine that never calls back.
      this.#settle(live);
      live.stream?.abort();
    }
    this.#buffer.clear();
  }

  /** `replay`: the stream is fed the buffered audio first (a retry). */
  #open(feedStart: number, replay: boolean): void {
    const language = this.#language as string;
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const live: LiveStream = {
      no: nextStreamNo++,
      feedStart,
      language,
      finalBefore: replay ? new Map(this.#finalEnd) : new Map(),
      stream: undefined,
      acceptedAt: undefined,
      ending: false,
      closed: false,
      flushTimer: undefined,
      done,
      resolveDone,
    };
    this.#current = live;
    const { engine, clock, sampleRate, partialResults, sessionId } = this.#context;
    live.stream = engine.startStream(
      {
        language,
        sampleRate,
        channels: this.#options.channels.length === 2 ? 2 : 1,
        partialResults,
        ...(sessionId === undefined ? {} : { sessionId }),
        ...this.#context.streamOptions(language),
      },
      {
        ready: () => (live.acceptedAt ??= clock.now()),
        result: (result) => this.#onResult(live, result),
        closed: (error) => this.#onClosed(live, error),
      },
    );
    if (live.closed) return;
    for (const chunk of this.#buffer.from(feedStart)) {
      live.stream.write(chunk.pcm);
      chunk.sent = true;
    }
  }

  #end(live: LiveStream): void {
    if (this.#current === live) this.#current = undefined;
    if (live.closed || live.ending) return;
    live.ending = true;
    this.#ending.add(live);
    live.flushTimer = this.#context.clock.setTimeout(() => {
      live.flushTimer = undefined;
      if (live.closed) return;
      this.#context.logger.warn(
        { streamNo: live.no, timeoutMs: this.#context.flushTimeoutMs },
        'transcription stream did not finish in time; aborted',
      );
      live.stream?.abort();
    }, this.#context.flushTimeoutMs);
    live.stream?.end();
  }

  #onResult(live: LiveStream, result: SpeechResult): void {
    if (live.closed) return;
    const { channels } = this.#options;
    try {
      checkResult(result, channels.length);
    } catch (error) {
      this.#context.logger.warn(
        { streamNo: live.no, err: (error as Error).message },
        'transcription result ignored',
      );
      return;
    }
    const channel = channels[result.channel] as number;
    const end = live.feedStart + result.endNs;
    const finalBefore = live.finalBefore.get(channel);
    // A replayed stream recognises again what the failed one had finalised: drop that.
    if (finalBefore !== undefined && end <= finalBefore) return;
    if (result.isFinal) {
      this.#finalEnd.set(channel, Math.max(end, this.#finalEnd.get(channel) ?? 0));
      const finished = Math.min(...channels.map((c) => this.#finalEnd.get(c) ?? live.feedStart));
      this.#buffer.trimBefore(finished);
    }
    this.#options.onResult({
      result: { ...result, channel },
      feedStart: live.feedStart,
      streamNo: live.no,
      language: live.language,
    });
  }

  /** Marks a stream closed: its flush timer cleared, its `done` resolved. False if it was. */
  #settle(live: LiveStream): boolean {
    if (live.closed) return false;
    live.closed = true;
    if (live.flushTimer !== undefined) this.#context.clock.clearTimeout(live.flushTimer);
    live.flushTimer = undefined;
    this.#ending.delete(live);
    live.resolveDone();
    return true;
  }

  #onClosed(live: LiveStream, error: SpeechError | undefined): void {
    if (!this.#settle(live)) return;
    if (live.ending) {
      if (error !== undefined) {
        this.#context.logger.warn(
          { streamNo: live.no, err: error.toJSON() },
          'transcription stream failed while finishing',
        );
      }
      return;
    }
    if (this.#current !== live) return;
    this.#current = undefined;
    if (this.#language === undefined) return;
    this.#retry(
      live,
      error ??
        new SpeechError(SpeechErrorCode.EngineUnavailable, 'the engine ended the stream early'),
    );
  }

  #retry(live: LiveStream, error: SpeechError): void {
    const { retry, onFailure, onRetry } = this.#options;
    const { clock, logger } = this.#context;
    const stable = live.acceptedAt !== undefined && clock.now() - live.acceptedAt >= retry.stableMs;
    const delay = error.retryable ? retry.fail(stable) : undefined;
    if (delay === undefined) {
      logger.error(
        { streamNo: live.no, err: error.toJSON(), attempts: retry.failures },
        'transcription failed',
      );
      this.#language = undefined;
      this.#buffer.clear();
      onFailure(error);
      return;
    }
    logger.warn(
      { streamNo: live.no, err: error.toJSON(), attempt: retry.failures, delayMs: delay },
      'transcription stream failed; retrying',
    );
    onRetry(error, retry.failures, delay);
    this.#retryTimer = clock.setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#language === undefined || this.#current !== undefined) return;
      this.#open(this.#buffer.start ?? this.#context.feedEnd(), true);
    }, delay);
  }

  #cancelRetry(): void {
    if (this.#retryTimer !== undefined) this.#context.clock.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }
}

// A session's transcription: audio in (with its place on the AudioHook timeline), transcripts out
// (on that timeline). It runs one lane for both channels when the engine identifies channels, or
// one lane per channel; restarts streams on a new language and after pauses; throttles partial
// results; and reports a failure once, when an engine cannot go on.

import { randomUUID } from 'node:crypto';
import { deinterleave } from '@org/audio';
import type { RedactionMode, SpeechEngine, SpeechStreamOptions } from './engine';
import { checkRange, SpeechError, SpeechErrorCode } from './errors';
import { Lane, type LaneContext, type LaneResult } from './lane';
import { RetryBudget, type RetryOptions } from './retry';
import {
  silentLogger,
  SpeechEmitter,
  systemClock,
  type Clock,
  type SpeechLogger,
  type TimerHandle,
} from './runtime';
import { FeedTimeline } from './timeline';
import { placeResult, type TimedTranscript } from './transcript';

/** Options of {@link StreamingTranscriber}. */
export interface TranscriberOptions {
  readonly engine: SpeechEngine;
  /** Channels of the session's audio. */
  readonly channels: 1 | 2;
  /** Sample rate of the PCM written, Hz. @default 8000 */
  readonly sampleRate?: number;
  /** Pass partial results on. @default false */
  readonly partialResults?: boolean;
  /** At most one partial per channel this often (the latest wins), ms. @default 1000 */
  readonly partialIntervalMs?: number;
  /**
   * Audio kept per lane for a stream that is still connecting or is being retried, ms. Past it
   * the oldest audio is dropped (`dropped` event) and transcripts go on after the gap.
   * @default 30000
   */
  readonly bufferMs?: number;
  readonly retry?: RetryOptions;
  /** How long an ended stream may take to deliver its last results, ms. @default 5000 */
  readonly flushTimeoutMs?: number;
  readonly clock?: Clock;
  readonly logger?: SpeechLogger;
  /** Jitter source for back-off delays. @default Math.random */
  readonly random?: () => number;
  /** Utterance ids. @default crypto.randomUUID */
  readonly newId?: () => string;
  /** Passed to the engine with each stream. */
  readonly sessionId?: string;
  /**
   * Custom vocabulary names by language tag (any case); `*` applies to every language without
   * its own entry. Passed to each stream.
   */
  readonly vocabularies?: Readonly<Record<string, string>>;
  /** Content redaction of every stream. @default 'off' */
  readonly redaction?: RedactionMode;
}

/** Events of {@link StreamingTranscriber}. */
export type TranscriberEvents = {
  /** A transcript on the session timeline (partial or final). */
  transcript: [transcript: TimedTranscript];
  /** Transcription gave up (not retryable, or the retry budget is spent). Sent once. */
  failed: [error: SpeechError];
  /** Audio that never reached an engine was dropped at the buffer bound, ns. */
  dropped: [unsentNs: number];
  /** A stream failed and another one starts after `delayMs`. */
  retry: [error: SpeechError, attempt: number, delayMs: number];
};

/** `idle`: not transcribing (before `start`, while paused); `failed` and `closed` are final. */
export type TranscriberState = 'idle' | 'running' | 'failed' | 'closed';

interface PendingPartial {
  transcript: TimedTranscript;
  timer: TimerHandle;
}

/** Vocabulary (the language's, else `*`) and redaction of a stream in `language`. */
function streamOptions(
  options: TranscriberOptions,
  language: string,
): Pick<SpeechStreamOptions, 'vocabulary' | 'redaction'> {
  const lower = language.toLowerCase();
  const vocabularies = options.vocabularies ?? {};
  const key = Object.keys(vocabularies).find((k) => k.toLowerCase() === lower) ?? '*';
  const vocabulary = vocabularies[key];
  return {
    ...(vocabulary === undefined ? {} : { vocabulary }),
    ...(options.redaction === undefined ? {} : { redaction: options.redaction }),
  };
}

/** How far a chunk's declared duration may be from its PCM's duration: rounding, nothing more. */
const DURATION_TOLERANCE_NS = 1000;

/** Largest `bufferMs` accepted: ten minutes. */
const MAX_BUFFER_MS = 600_000;

/** Most utterance ids of unfinished results remembered (oldest forgotten first). */
const MAX_OPEN_IDS = 256;

/**
 * @example
 * ```ts
 * const transcriber = new StreamingTranscriber({ engine, channels: 2, sessionId });
 * transcriber.on('transcript', (t) => session.sendEvent([toTranscriptEntity(t)]));
 * transcriber.on('failed', (e) => session.disconnect('error', `Transcription failed: ${e.code}`));
 * transcriber.start('en-US');
 * session.on('audio', (frame) =>
 *   transcriber.write(frame.toLinear(), session.position - frame.duration, frame.duration));
 * session.addCloseHandler(() => transcriber.close());
 * ```
 */
export class StreamingTranscriber extends SpeechEmitter<TranscriberEvents> {
  readonly #options: TranscriberOptions;
  readonly #clock: Clock;
  readonly #logger: SpeechLogger;
  readonly #newId: () => string;
  readonly #sampleRate: number;
  readonly #timeline = new FeedTimeline();
  readonly #lanes: Lane[];
  readonly #ids = new Map<string, string>();
  readonly #lastPartialAt = new Map<number, number>();
  readonly #pendingPartials = new Map<number, PendingPartial>();
  #state: TranscriberState = 'idle';
  #language: string | undefined;
  #droppedNs = 0;

  constructor(options: TranscriberOptions) {
    super();
    const sampleRate = options.sampleRate ?? 8000;
    if (options.channels !== 1 && options.channels !== 2) {
      throw new SpeechError(SpeechErrorCode.InvalidArgument, 'channels must be 1 or 2');
    }
    if (!Number.isInteger(sampleRate) || sampleRate <= 0 || sampleRate > 384000) {
      throw new SpeechError(SpeechErrorCode.InvalidArgument, 'invalid sample rate');
    }
    checkRange('bufferMs', options.bufferMs ?? 30_000, 1, MAX_BUFFER_MS);
    checkRange('partialIntervalMs', options.partialIntervalMs ?? 1000, 0, 3_600_000);
    checkRange('flushTimeoutMs', options.flushTimeoutMs ?? 5000, 0, 3_600_000);
    this.#sampleRate = sampleRate;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#newId = options.newId ?? randomUUID;
    const context: LaneContext = {
      engine: options.engine,
      clock: this.#clock,
      logger: this.#logger,
      sampleRate,
      partialResults: options.partialResults ?? false,
      sessionId: options.sessionId,
      flushTimeoutMs: options.flushTimeoutMs ?? 5000,
      feedEnd: () => this.#timeline.feedEnd,
      streamOptions: (language) => streamOptions(options, language),
    };
    const groups =
      options.engine.maxChannels >= options.channels
        ? [options.channels === 2 ? [0, 1] : [0]]
        : [[0], [1]];
    this.#lanes = groups.map((channels) => this.#lane(context, channels));
  }

  get state(): TranscriberState {
    return this.#state;
  }

  /** The language being transcribed (the last `start`), if any. */
  get language(): string | undefined {
    return this.#language;
  }

  /** Streams the engine runs per session: 1 with channel identification, else one per channel. */
  get lanes(): number {
    return this.#lanes.length;
  }

  /**
   * Starts transcribing in `language`, or switches to it: running streams end (and still deliver
   * their results) and new ones start with the audio that follows. Ignored after a failure.
   *
   * @throws SpeechError `SPEECH_ERR_INVALID_STATE` after `close()`.
   */
  start(language: string): void {
    if (this.#state === 'closed') {
      throw new SpeechError(SpeechErrorCode.InvalidState, 'the transcriber is closed');
    }
    if (this.#state === 'failed') return;
    this.#state = 'running';
    this.#language = language;
    for (const lane of this.#lanes) lane.run(language);
  }

  /**
   * Audio: interleaved 16-bit PCM of every channel, starting at session position
   * `sessionStartNs` and lasting `durationNs`, which must be the PCM's own duration
   * (`frames × 1e9 / sampleRate`, within 1 µs of rounding). Empty audio is ignored, and so is
   * everything unless running.
   *
   * @throws SpeechError `SPEECH_ERR_INVALID_ARGUMENT` for a buffer that is not whole frames, a
   * `durationNs` that does not match it, or an invalid session position.
   */
  write(pcm: Int16Array, sessionStartNs: number, durationNs: number): void {
    if (this.#state !== 'running') return;
    const channels = this.#options.channels;
    if (pcm.length % channels !== 0) {
      throw new SpeechError(SpeechErrorCode.InvalidArgument, 'audio is not whole frames');
    }
    const frames = pcm.length / channels;
    const pcmNs = Math.round((frames * 1e9) / this.#sampleRate);
    if (!Number.isFinite(durationNs) || Math.abs(durationNs - pcmNs) > DURATION_TOLERANCE_NS) {
      // The buffer bound and the timeline count declared durations: they must be the audio's.
      throw new SpeechError(
        SpeechErrorCode.InvalidArgument,
        `durationNs ${String(durationNs)} is not the duration of ${frames} frames at ${this.#sampleRate} Hz (${pcmNs} ns)`,
      );
    }
    if (frames === 0) return;
    const feed = this.#timeline.append(sessionStartNs, durationNs);
    if (this.#lanes.length === 1) {
      (this.#lanes[0] as Lane).write({ feed, durationNs, pcm, sent: false });
      return;
    }
    const split = deinterleave(pcm, channels);
    this.#lanes.forEach((lane, i) =>
      lane.write({ feed, durationNs, pcm: split[i] as Int16Array, sent: false }),
    );
  }

  /**
   * Stops transcribing (a pause): streams end and deliver their final results; resolves then.
   * `start` begins again.
   */
  async stop(): Promise<void> {
    if (this.#state === 'running') this.#state = 'idle';
    this.#dropPartials();
    await Promise.all(this.#lanes.map((lane) => lane.stop()));
  }

  /** Stops for good: like `stop`, and nothing starts again. */
  async close(): Promise<void> {
    if (this.#state !== 'failed') this.#state = 'closed';
    await this.stop();
  }

  /** Stops at once without waiting for results (the session is gone). */
  abort(): void {
    if (this.#state !== 'failed') this.#state = 'closed';
    this.#dropPartials();
    for (const lane of this.#lanes) lane.abort();
  }

  #lane(context: LaneContext, channels: readonly number[]): Lane {
    return new Lane(context, {
      channels,
      bufferNs: (this.#options.bufferMs ?? 30_000) * 1_000_000,
      retry: new RetryBudget(this.#options.retry ?? {}, this.#options.random ?? Math.random),
      onResult: (result) => this.#onResult(result),
      onFailure: (error) => this.#fail(error),
      onDropped: (ns) => this.#onDropped(ns),
      onRetry: (error, attempt, delayMs) => this.#emit('retry', error, attempt, delayMs),
    });
  }

  /** Logs the first drop and then one line per 10 s of audio dropped, not one per chunk. */
  #onDropped(ns: number): void {
    const before = this.#droppedNs;
    this.#droppedNs += ns;
    if (before === 0 || Math.floor(before / 10e9) !== Math.floor(this.#droppedNs / 10e9)) {
      this.#logger.warn(
        { droppedMs: Math.round(this.#droppedNs / 1e6) },
        'transcription buffer full; oldest audio dropped',
      );
    }
    this.#emit('dropped', ns);
  }

  #emit<K extends keyof TranscriberEvents>(event: K, ...args: TranscriberEvents[K]): void {
    for (const error of this.emit(event, ...args)) {
      this.#logger.error({ event, err: error.message }, 'transcriber listener failed');
    }
  }

  #fail(error: SpeechError): void {
    if (this.#state === 'failed' || this.#state === 'closed') return;
    this.#state = 'failed';
    this.#dropPartials();
    for (const lane of this.#lanes) lane.abort();
    this.#emit('failed', error);
  }

  #onResult({ result, feedStart, streamNo, language }: LaneResult): void {
    const key = `${streamNo}/${result.channel}/${result.id}`;
    let id = this.#ids.get(key);
    if (id === undefined) {
      id = this.#newId();
      this.#ids.set(key, id);
      if (this.#ids.size > MAX_OPEN_IDS) this.#ids.delete(this.#ids.keys().next().value as string);
    }
    if (result.isFinal) this.#ids.delete(key);
    const timed = placeResult(result, (ns) => this.#timeline.toSession(feedStart + ns), {
      id,
      channelId: result.channel === 1 ? 1 : 0,
      language,
    });
    if (result.isFinal) {
      this.#cancelPartial(result.channel);
      this.#emit('transcript', timed);
      return;
    }
    if (!(this.#options.partialResults ?? false) || this.#state !== 'running') return;
    this.#partial(result.channel, timed);
  }

  /** At most one partial per channel per interval; a newer one replaces one still waiting. */
  #partial(channel: number, timed: TimedTranscript): void {
    const interval = this.#options.partialIntervalMs ?? 1000;
    const now = this.#clock.now();
    const last = this.#lastPartialAt.get(channel);
    const pending = this.#pendingPartials.get(channel);
    if (pending !== undefined) {
      pending.transcript = timed;
      return;
    }
    if (last === undefined || now - last >= interval) {
      this.#lastPartialAt.set(channel, now);
      this.#emit('transcript', timed);
      return;
    }
    const timer = this.#clock.setTimeout(
      () => {
        const due = this.#pendingPartials.get(channel);
        this.#pendingPartials.delete(channel);
        if (due === undefined || this.#state !== 'running') return;
        this.#lastPartialAt.set(channel, this.#clock.now());
        this.#emit('transcript', due.transcript);
      },
      last + interval - now,
    );
    this.#pendingPartials.set(channel, { transcript: timed, timer });
  }

  #cancelPartial(channel: number): void {
    const pending = this.#pendingPartials.get(channel);
    if (pending === undefined) return;
    this.#clock.clearTimeout(pending.timer);
    this.#pendingPartials.delete(channel);
  }

  #dropPartials(): void {
    for (const channel of [...this.#pendingPartials.keys()]) this.#cancelPartial(channel);
  }
}

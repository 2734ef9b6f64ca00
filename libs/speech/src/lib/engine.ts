// The streaming ASR contract: what an engine (Amazon Transcribe, a simulator, any other service)
// implements so that the transcriber can drive it. An engine starts streams; a stream takes
// 16-bit PCM and reports results with times relative to its own first sample.

import { SpeechError, SpeechErrorCode } from './errors';

/**
 * Content redaction asked of the engine: `redact` replaces personal information in results,
 * `identify` only marks it (engines without the feature ignore it).
 */
export type RedactionMode = 'off' | 'redact' | 'identify';

/** How a stream is started. */
export interface SpeechStreamOptions {
  /** The language as the caller has it (an AudioHook / BCP 47 tag, e.g. `en-US`). */
  readonly language: string;
  /** Sample rate of the PCM written, in Hz. */
  readonly sampleRate: number;
  /** Channels of the PCM written (interleaved); results carry the channel index. */
  readonly channels: 1 | 2;
  /** Whether partial (not final) results are wanted; an engine may drop them itself. */
  readonly partialResults: boolean;
  /** The caller's session id, for the engine's logs and correlation. */
  readonly sessionId?: string;
  /** Name of a custom vocabulary the engine holds for this language. */
  readonly vocabulary?: string;
  /** Redact (or only identify) personal information in the results. @default 'off' */
  readonly redaction?: RedactionMode;
}

/** One recognised word, times relative to the stream's first sample. */
export interface SpeechWord {
  /** The word as displayed (punctuation attached, e.g. `John,`). */
  readonly text: string;
  readonly startNs: number;
  readonly endNs: number;
  /** 0..1; absent when the engine gives none. */
  readonly confidence?: number;
  /** The word's language, when the engine reports one per word. */
  readonly language?: string;
}

/** One hypothesis of a result. */
export interface SpeechAlternative {
  readonly transcript: string;
  /** 0..1; absent: the mean of the words' confidences. */
  readonly confidence?: number;
  readonly words: readonly SpeechWord[];
}

/** A partial or final result, times relative to the stream's first sample. */
export interface SpeechResult {
  /** The engine's id of the utterance: the same for its partial updates and its final result. */
  readonly id: string;
  /** Index of the channel in the stream's audio (0 for mono). */
  readonly channel: number;
  readonly isFinal: boolean;
  readonly startNs: number;
  readonly endNs: number;
  /** The language the engine recognised, when it says. */
  readonly language?: string;
  /** Best first; at least one. */
  readonly alternatives: readonly SpeechAlternative[];
}

/** What a stream reports to the one who started it. */
export interface SpeechStreamListener {
  /** The engine accepted the stream (e.g. its response headers arrived). Optional to report. */
  ready(): void;
  /** A result. Results of one channel arrive in time order. */
  result(result: SpeechResult): void;
  /**
   * The stream is over and reports nothing more: without an error after `end()` (every result
   * delivered) or `abort()`, with one when it failed. Called exactly once.
   */
  closed(error?: SpeechError): void;
}

/** One running stream. Never throws from its methods: failures go to `listener.closed`. */
export interface SpeechStream {
  /**
   * Audio: interleaved 16-bit PCM of the stream's channel count. The stream may queue it until
   * the engine takes it, within its own bound (past it the stream fails, retryably).
   */
  write(pcm: Int16Array): void;
  /** No more audio: the engine finishes, delivers its last results, then `closed()`. */
  end(): void;
  /** Stops at once; `closed()` follows without an error. */
  abort(): void;
}

/**
 * A streaming speech recogniser. Implementing this (one file) is all a new engine needs.
 *
 * @example
 * ```ts
 * const stream = engine.startStream(
 *   { language: 'en-US', sampleRate: 8000, channels: 2, partialResults: false },
 *   { ready: () => undefined, result: (r) => show(r), closed: (e) => e && log(e) },
 * );
 * stream.write(pcm);
 * stream.end();
 * ```
 */
export interface SpeechEngine {
  /** Short name for logs and metrics (`simulator`, `transcribe`). */
  readonly name: string;
  /** Channels one stream carries: 2 = both channels of a call in one stream. */
  readonly maxChannels: 1 | 2;
  /** Starts a stream at once; the connection, if any, is made in the background. */
  startStream(options: SpeechStreamOptions, listener: SpeechStreamListener): SpeechStream;
  /** Releases what the engine holds (clients, connections). */
  close(): Promise<void>;
}

function invalid(message: string): never {
  throw new SpeechError(SpeechErrorCode.InvalidResult, message);
}

function checkTimes(what: string, startNs: number, endNs: number): void {
  if (!Number.isSafeInteger(startNs) || !Number.isSafeInteger(endNs)) {
    invalid(`${what}: times must be whole nanoseconds`);
  }
  if (startNs < 0 || endNs < startNs) invalid(`${what}: times out of order or negative`);
}

function checkConfidence(what: string, confidence: number | undefined): void {
  if (confidence === undefined) return;
  if (!Number.isFinite(confidence) || confidence < 0 || confidence > 1) {
    invalid(`${what}: confidence must be within 0..1`);
  }
}

/**
 * Checks that an engine's result keeps the contract (the engine's data is external input).
 *
 * @throws SpeechError `SPEECH_ERR_INVALID_RESULT` naming what is wrong.
 * @example
 * ```ts
 * checkResult(result, 2); // before mapping it onto the timeline
 * ```
 */
export function checkResult(result: SpeechResult, channels: number): void {
  if (typeof result.id !== 'string' || result.id.length === 0) invalid('result: id missing');
  if (!Number.isInteger(result.channel) || result.channel < 0 || result.channel >= channels) {
    invalid(`result: channel ${String(result.channel)} is not one of ${channels}`);
  }
  checkTimes('result', result.startNs, result.endNs);
  if (result.alternatives.length === 0) invalid('result: no alternatives');
  for (const alternative of result.alternatives) {
    if (typeof alternative.transcript !== 'string') invalid('alternative: transcript missing');
    checkConfidence('alternative', alternative.confidence);
    for (const word of alternative.words) {
      if (typeof word.text !== 'string') invalid('word: text missing');
      checkTimes('word', word.startNs, word.endNs);
      checkConfidence('word', word.confidence);
    }
  }
}

// Amazon Transcribe streaming as a speech engine (`TRANSCRIPTION_ENGINE=transcribe`): one
// `StartStreamTranscription` HTTP/2 stream per transcriber lane, 16-bit PCM in AudioEvents, with
// channel identification for both channels of a call (one stream, billed once) unless turned
// off; partial and final results; custom vocabulary and PII redaction from the settings.

import {
  StartStreamTranscriptionCommand,
  type AudioStream,
  type StartStreamTranscriptionCommandInput,
  type TranscribeStreamingClient,
  type TranscriptResultStream,
} from '@aws-sdk/client-transcribe-streaming';
import { int16ToL16 } from '@org/audio';
import {
  SpeechError,
  SpeechErrorCode,
  toTranscribeLanguage,
  type SpeechEngine,
  type SpeechStream,
  type SpeechStreamListener,
  type SpeechStreamOptions,
} from '@org/speech';
import { fromTranscribeResult, toSpeechError } from './transcribe-mapping';

/** Settings of {@link TranscribeEngine}. */
export interface TranscribeEngineOptions {
  /** The client (region, endpoint override, credentials); one for every stream. */
  readonly client: TranscribeStreamingClient;
  /** One stream for both channels (`true`) or one per channel. @default true */
  readonly channelIdentification?: boolean;
  /** `PiiEntityTypes` with redaction (e.g. `NAME,SSN`); all types when absent. */
  readonly piiEntityTypes?: readonly string[];
  /**
   * Audio queued per stream while the service does not take it (connecting, flow control),
   * in chunks (one per AudioHook frame, 200 ms). Past it the stream fails retryably and the
   * transcriber starts another. @default 150
   */
  readonly maxQueuedChunks?: number;
  /**
   * How long a stream may wait for the service to answer its request (an unreachable endpoint
   * otherwise waits for TCP to give up, minutes). Past it the stream fails retryably and the
   * transcriber starts another, replaying the audio it kept. @default 10000
   */
  readonly startTimeoutMs?: number;
}

/** Turns written audio into the `AudioStream` the SDK pulls from, with an end. */
class AudioQueue {
  readonly #chunks: Uint8Array[] = [];
  readonly #max: number;
  #ended = false;
  #wake: (() => void) | undefined;

  constructor(max: number) {
    this.#max = max;
  }

  /** False when the queue is full (the service is not taking audio). */
  push(chunk: Uint8Array): boolean {
    if (this.#ended) return true;
    if (this.#chunks.length >= this.#max) return false;
    this.#chunks.push(chunk);
    this.#notify();
    return true;
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  async *events(): AsyncGenerator<AudioStream> {
    for (;;) {
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        yield { AudioEvent: { AudioChunk: chunk } };
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

class TranscribeStream implements SpeechStream {
  readonly #listener: SpeechStreamListener;
  readonly #queue: AudioQueue;
  readonly #abort = new AbortController();
  #ending = false;
  #closed = false;
  readonly #startTimeoutMs: number;
  /** Fails the stream if the service has not answered its request in time. */
  #startTimer: NodeJS.Timeout | undefined;

  constructor(listener: SpeechStreamListener, maxQueued: number, startTimeoutMs: number) {
    this.#listener = listener;
    this.#queue = new AudioQueue(maxQueued);
    this.#startTimeoutMs = startTimeoutMs;
  }

  write(pcm: Int16Array): void {
    if (this.#closed || this.#ending) return;
    // Transcribe's `pcm` is signed 16-bit little-endian.
    if (!this.#queue.push(int16ToL16(pcm, 'le'))) {
      this.#fail(
        new SpeechError(SpeechErrorCode.EngineUnavailable, 'Transcribe is not taking audio'),
      );
    }
  }

  end(): void {
    this.#ending = true;
    this.#queue.end();
  }

  abort(): void {
    if (this.#closed) return;
    this.#abort.abort();
    this.#queue.end();
    this.#close(undefined);
  }

  /**
   * Sends the request and reads results until the service ends the stream or it fails; a
   * service that has not answered within `startTimeoutMs` fails the stream.
   */
  async run(client: TranscribeStreamingClient, input: StartStreamTranscriptionCommandInput) {
    this.#startTimer = setTimeout(() => {
      this.#fail(
        new SpeechError(
          SpeechErrorCode.EngineUnavailable,
          `Transcribe did not answer the stream request within ${this.#startTimeoutMs} ms`,
        ),
      );
    }, this.#startTimeoutMs);
    this.#startTimer.unref();
    try {
      const response = await client.send(
        new StartStreamTranscriptionCommand({ ...input, AudioStream: this.#queue.events() }),
        { abortSignal: this.#abort.signal },
      );
      clearTimeout(this.#startTimer);
      if (this.#closed) return;
      this.#listener.ready();
      for await (const event of response.TranscriptResultStream ?? []) {
        if (this.#closed) return;
        this.#onEvent(event);
      }
      this.#close(
        this.#ending
          ? undefined
          : new SpeechError(SpeechErrorCode.EngineUnavailable, 'Transcribe ended the stream'),
      );
    } catch (error) {
      this.#fail(toSpeechError(error));
    }
  }

  #onEvent(event: TranscriptResultStream): void {
    if (event.TranscriptEvent === undefined) {
      // Exceptions are thrown by the SDK's reader; an event of an unknown kind is skipped.
      return;
    }
    for (const raw of event.TranscriptEvent.Transcript?.Results ?? []) {
      const result = fromTranscribeResult(raw);
      if (result !== undefined) this.#listener.result(result);
    }
  }

  #fail(error: SpeechError): void {
    if (this.#closed) return;
    this.#abort.abort();
    this.#queue.end();
    this.#close(error);
  }

  #close(error: SpeechError | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#startTimer);
    this.#listener.closed(error);
  }
}

/**
 * @example
 * ```ts
 * const engine = new TranscribeEngine({ client: transcribeClient(config.transcription.transcribe) });
 * const transcriber = new StreamingTranscriber({ engine, channels: 2 });
 * ```
 */
export class TranscribeEngine implements SpeechEngine {
  readonly name = 'transcribe';
  readonly maxChannels: 1 | 2;
  readonly #options: TranscribeEngineOptions;
  readonly #maxQueued: number;
  readonly #startTimeoutMs: number;

  constructor(options: TranscribeEngineOptions) {
    this.#options = options;
    this.maxChannels = options.channelIdentification === false ? 1 : 2;
    this.#maxQueued = options.maxQueuedChunks ?? 150;
    this.#startTimeoutMs = options.startTimeoutMs ?? 10_000;
    if (!Number.isInteger(this.#startTimeoutMs) || this.#startTimeoutMs < 1) {
      throw new RangeError(
        `startTimeoutMs must be a positive integer, got ${this.#startTimeoutMs}`,
      );
    }
  }

  startStream(options: SpeechStreamOptions, listener: SpeechStreamListener): SpeechStream {
    const stream = new TranscribeStream(listener, this.#maxQueued, this.#startTimeoutMs);
    const languageCode = toTranscribeLanguage(options.language);
    if (languageCode === undefined) {
      const error = new SpeechError(
        SpeechErrorCode.UnsupportedLanguage,
        `Transcribe has no language ${options.language}`,
      );
      queueMicrotask(() => listener.closed(error));
      return { write: () => undefined, end: () => undefined, abort: () => undefined };
    }
    void stream.run(this.#options.client, this.#input(options, languageCode));
    return stream;
  }

  async close(): Promise<void> {
    this.#options.client.destroy();
  }

  #input(options: SpeechStreamOptions, languageCode: string): StartStreamTranscriptionCommandInput {
    const pii = this.#options.piiEntityTypes;
    const redaction = options.redaction ?? 'off';
    return {
      LanguageCode: languageCode as StartStreamTranscriptionCommandInput['LanguageCode'],
      MediaEncoding: 'pcm',
      MediaSampleRateHertz: options.sampleRate,
      AudioStream: undefined,
      ...(options.channels === 2 ? { EnableChannelIdentification: true, NumberOfChannels: 2 } : {}),
      ...(options.vocabulary === undefined ? {} : { VocabularyName: options.vocabulary }),
      ...(redaction === 'redact' ? { ContentRedactionType: 'PII' as const } : {}),
      ...(redaction === 'identify' ? { ContentIdentificationType: 'PII' as const } : {}),
      ...(redaction !== 'off' && pii !== undefined && pii.length > 0
        ? { PiiEntityTypes: pii.join(',') }
        : {}),
    };
  }
}

// A speech engine driven by the test: every stream records what it is given, and the test decides
// when it is accepted, what it recognises and how it ends. It implements the public contract, as
// any third-party engine would.

import type {
  SpeechEngine,
  SpeechResult,
  SpeechStream,
  SpeechStreamListener,
  SpeechStreamOptions,
} from '../../src';
import { SpeechError, type SpeechErrorCode } from '../../src';

export class ScriptedStream implements SpeechStream {
  readonly options: SpeechStreamOptions;
  readonly listener: SpeechStreamListener;
  readonly written: Int16Array[] = [];
  ended = false;
  aborted = false;
  closed = false;

  constructor(options: SpeechStreamOptions, listener: SpeechStreamListener) {
    this.options = options;
    this.listener = listener;
  }

  write(pcm: Int16Array): void {
    if (!this.ended && !this.aborted) this.written.push(pcm);
  }

  end(): void {
    this.ended = true;
  }

  abort(): void {
    this.aborted = true;
    this.close();
  }

  /** Samples per channel written so far. */
  samples(): number {
    return this.written.reduce((n, pcm) => n + pcm.length, 0) / this.options.channels;
  }

  /** Every sample written, one channel's (or the only one's) values, in order. */
  values(): number[] {
    return this.written.flatMap((pcm) => [...pcm]);
  }

  accept(): void {
    this.listener.ready();
  }

  /** A result with one alternative of one word per space-separated token, evenly spread. */
  say(
    text: string,
    at: { channel?: number; startMs: number; endMs: number; final?: boolean; id?: string },
  ): void {
    const words = text.split(' ');
    const step = ((at.endMs - at.startMs) * 1e6) / words.length;
    const result: SpeechResult = {
      id: at.id ?? `${at.channel ?? 0}-${at.startMs}`,
      channel: at.channel ?? 0,
      isFinal: at.final ?? true,
      startNs: at.startMs * 1e6,
      endNs: at.endMs * 1e6,
      alternatives: [
        {
          transcript: text,
          words: words.map((word, i) => ({
            text: word,
            startNs: Math.round(at.startMs * 1e6 + i * step),
            endNs: Math.round(at.startMs * 1e6 + (i + 1) * step),
            confidence: 0.8,
          })),
        },
      ],
    };
    this.listener.result(result);
  }

  fail(code: SpeechErrorCode, message = 'scripted failure'): void {
    if (this.closed) return;
    this.closed = true;
    this.listener.closed(new SpeechError(code, message));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listener.closed();
  }
}

export class ScriptedEngine implements SpeechEngine {
  readonly name = 'scripted';
  readonly maxChannels: 1 | 2;
  readonly streams: ScriptedStream[] = [];
  closed = false;

  constructor(maxChannels: 1 | 2 = 2) {
    this.maxChannels = maxChannels;
  }

  startStream(options: SpeechStreamOptions, listener: SpeechStreamListener): SpeechStream {
    const stream = new ScriptedStream(options, listener);
    this.streams.push(stream);
    return stream;
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  stream(index: number): ScriptedStream {
    const stream = this.streams[index];
    if (stream === undefined) throw new Error(`no stream ${index} (have ${this.streams.length})`);
    return stream;
  }

  last(): ScriptedStream {
    return this.stream(this.streams.length - 1);
  }
}

/** 200 ms of 8 kHz stereo PCM, each channel's samples set to its own marker value. */
export function stereoFrame(left: number, right: number, samples = 1600): Int16Array {
  const pcm = new Int16Array(samples * 2);
  for (let i = 0; i < samples; i++) {
    pcm[2 * i] = left;
    pcm[2 * i + 1] = right;
  }
  return pcm;
}

/** ns of `ms` milliseconds. */
export const ms = (value: number): number => Math.round(value * 1_000_000);

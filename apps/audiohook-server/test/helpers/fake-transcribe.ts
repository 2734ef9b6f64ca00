// A local fake of Amazon Transcribe streaming (`StartStreamTranscription`) speaking its wire format
// over a real HTTP/2 socket (cleartext, on loopback): `POST /stream-transcription` with the
// `x-amzn-transcribe-*` headers and a SigV4 `authorization`, a request body of AWS event-stream
// messages (each a signed envelope with `:date` and `:chunk-signature` around an `AudioEvent`,
// then an empty envelope that ends the audio), and a response body of `TranscriptEvent` messages
// or an exception message. Tests script what it answers; the SDK reaches it through its endpoint
// override.

import {
  constants,
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { EventStreamCodec, type Message } from '@smithy/eventstream-codec';

const codec = new EventStreamCodec(
  (bytes) => Buffer.from(bytes).toString('utf8'),
  (text) => new Uint8Array(Buffer.from(text, 'utf8')),
);

/** One item of a result as Transcribe sends it. */
export interface FakeItem {
  readonly Content: string;
  readonly StartTime: number;
  readonly EndTime: number;
  readonly Type?: 'pronunciation' | 'punctuation';
  readonly Confidence?: number;
}

/** A result to send: times in seconds from the stream's first sample. */
export interface FakeResult {
  readonly ResultId: string;
  readonly StartTime: number;
  readonly EndTime: number;
  readonly IsPartial: boolean;
  readonly ChannelId?: string;
  readonly Alternatives: readonly {
    readonly Transcript: string;
    readonly Items: readonly FakeItem[];
  }[];
}

/** Words spread evenly over `[start, end]` s, confidence 0.9 (a `.` is punctuation). */
export function fakeResult(
  id: string,
  transcript: string,
  start: number,
  end: number,
  options: { partial?: boolean; channel?: 0 | 1 } = {},
): FakeResult {
  const words = transcript.replace(/\.$/, '').split(' ');
  const step = (end - start) / words.length;
  const items: FakeItem[] = words.map((w, i) => ({
    Content: w,
    StartTime: Number((start + i * step).toFixed(3)),
    EndTime: Number((start + (i + 1) * step).toFixed(3)),
    Type: 'pronunciation',
    Confidence: 0.9,
  }));
  if (transcript.endsWith('.'))
    items.push({ Content: '.', StartTime: end, EndTime: end, Type: 'punctuation' });
  return {
    ResultId: id,
    StartTime: start,
    EndTime: end,
    IsPartial: options.partial ?? false,
    ...(options.channel === undefined ? {} : { ChannelId: `ch_${options.channel}` }),
    Alternatives: [{ Transcript: transcript, Items: items }],
  };
}

/** One `StartStreamTranscription` call as the fake saw it. */
export class FakeCall {
  readonly headers: IncomingHttpHeaders;
  /** Audio bytes received (16-bit little-endian PCM, interleaved with channel identification). */
  readonly audio: Buffer[] = [];
  /** Envelopes received, and how many carried `:date` and a 32-byte `:chunk-signature`. */
  envelopes = 0;
  signedEnvelopes = 0;
  /** The client sent the empty envelope that ends the audio. */
  audioEnded = false;
  closed = false;
  readonly #stream: ServerHttp2Stream;
  #waiters: (() => void)[] = [];

  constructor(stream: ServerHttp2Stream, headers: IncomingHttpHeaders) {
    this.#stream = stream;
    this.headers = headers;
  }

  /** A request header as a string. */
  header(name: string): string | undefined {
    const value = this.headers[name];
    return Array.isArray(value) ? value[0] : value;
  }

  /** Bytes of audio received so far. */
  get audioBytes(): number {
    return this.audio.reduce((n, b) => n + b.length, 0);
  }

  /** The audio as 16-bit samples. */
  samples(): Int16Array {
    const all = Buffer.concat(this.audio);
    const out = new Int16Array(all.length >> 1);
    for (let i = 0; i < out.length; i++) out[i] = all.readInt16LE(i * 2);
    return out;
  }

  /** Resolves once `predicate` holds (checked on every envelope). */
  async until(predicate: (call: FakeCall) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) throw new Error('fake Transcribe: condition not met in time');
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50).unref();
      });
    }
  }

  /** Sends a `TranscriptEvent` with these results. */
  send(...results: FakeResult[]): void {
    this.#write({
      headers: {
        ':message-type': { type: 'string', value: 'event' },
        ':event-type': { type: 'string', value: 'TranscriptEvent' },
        ':content-type': { type: 'string', value: 'application/json' },
      },
      body: Buffer.from(JSON.stringify({ Transcript: { Results: results } })),
    });
  }

  /** Sends an exception message (e.g. `LimitExceededException`) and ends the response. */
  fail(type: string, message = `${type} from the fake`): void {
    this.#write({
      headers: {
        ':message-type': { type: 'string', value: 'exception' },
        ':exception-type': { type: 'string', value: type },
        ':content-type': { type: 'string', value: 'application/json' },
      },
      body: Buffer.from(JSON.stringify({ Message: message })),
    });
    this.end();
  }

  /** Ends the response stream (the service is done). */
  end(): void {
    if (!this.#stream.destroyed && !this.#stream.writableEnded) this.#stream.end();
  }

  /** Resets the HTTP/2 stream (a connection-level failure mid-call). */
  reset(): void {
    if (!this.#stream.destroyed) this.#stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }

  /** @internal */
  receive(envelope: Message): void {
    this.envelopes++;
    const signature = envelope.headers[':chunk-signature'];
    if (
      envelope.headers[':date']?.type === 'timestamp' &&
      signature?.type === 'binary' &&
      signature.value.length === 32
    ) {
      this.signedEnvelopes++;
    }
    if (envelope.body.length === 0) this.audioEnded = true;
    else {
      const inner = codec.decode(envelope.body);
      if (inner.headers[':event-type']?.value === 'AudioEvent') {
        this.audio.push(Buffer.from(inner.body));
      }
    }
    this.notify();
  }

  /** @internal */
  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #write(message: Message): void {
    if (!this.#stream.destroyed && !this.#stream.writableEnded) {
      this.#stream.write(codec.encode(message));
    }
  }
}

/** What the fake does with a new call: accept it (default) or refuse it with an HTTP error. */
export type Admission =
  | { readonly accept: true }
  | { readonly status: number; readonly errorType: string; readonly message?: string };

export interface FakeTranscribeOptions {
  /** Decides per call (numbered from 1). @default accept every call */
  readonly admit?: (callNo: number, headers: IncomingHttpHeaders) => Admission;
  /** Called for every accepted call. */
  readonly onCall?: (call: FakeCall) => void;
  /** After the client ends its audio: end the response (default), or leave it to the test. */
  readonly endWithAudio?: boolean;
  /** Accepted calls get their response headers only once this resolves (a slow service). */
  readonly answerAfter?: Promise<void>;
}

export class FakeTranscribe {
  readonly calls: FakeCall[] = [];
  /** Every request, refused ones included. */
  requests = 0;
  readonly #server: Http2Server;
  readonly #options: FakeTranscribeOptions;
  #waiters: (() => void)[] = [];

  private constructor(options: FakeTranscribeOptions) {
    this.#options = options;
    this.#server = createServer();
    this.#server.on('stream', (stream, headers) => this.#onStream(stream, headers));
  }

  static async start(options: FakeTranscribeOptions = {}): Promise<FakeTranscribe> {
    const fake = new FakeTranscribe(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Resolves with call `n` (1-based) once it arrived. */
  async call(n: number, timeoutMs = 5000): Promise<FakeCall> {
    const deadline = Date.now() + timeoutMs;
    while (this.calls.length < n) {
      if (Date.now() > deadline) throw new Error(`fake Transcribe: no call ${n} in time`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50).unref();
      });
    }
    return this.calls[n - 1] as FakeCall;
  }

  async stop(): Promise<void> {
    for (const call of this.calls) call.reset();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    this.requests++;
    stream.on('error', () => undefined);
    const valid =
      headers[':method'] === 'POST' &&
      headers[':path'] === '/stream-transcription' &&
      /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/transcribe\/aws4_request/.test(
        String(headers['authorization'] ?? ''),
      ) &&
      typeof headers['x-amzn-transcribe-language-code'] === 'string';
    const admission: Admission = !valid
      ? { status: 400, errorType: 'BadRequestException', message: 'not a signed stream request' }
      : (this.#options.admit?.(this.requests, headers) ?? { accept: true });
    if (!('accept' in admission)) {
      stream.respond({
        ':status': admission.status,
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-errortype': `${admission.errorType}:http://internal.amazon.com/coral/com.amazonaws.transcribe.streaming/`,
        'x-amzn-requestid': `fake-${this.requests}`,
      });
      stream.end(JSON.stringify({ Message: admission.message ?? admission.errorType }));
      stream.resume();
      return;
    }
    const gate = this.#options.answerAfter;
    if (gate === undefined) this.#accept(stream, headers);
    else void gate.then(() => this.#accept(stream, headers));
  }

  #accept(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    if (stream.destroyed) return;
    stream.respond({
      ':status': 200,
      'content-type': 'application/vnd.amazon.eventstream',
      'x-amzn-request-id': `fake-${this.requests}`,
      'x-amzn-transcribe-session-id': `session-${this.requests}`,
      'x-amzn-transcribe-language-code': String(headers['x-amzn-transcribe-language-code']),
      'x-amzn-transcribe-sample-rate': String(headers['x-amzn-transcribe-sample-rate'] ?? ''),
      'x-amzn-transcribe-media-encoding': 'pcm',
    });
    const call = new FakeCall(stream, headers);
    this.calls.push(call);
    this.#readEnvelopes(stream, call);
    stream.on('close', () => {
      call.closed = true;
      call.notify();
    });
    this.#options.onCall?.(call);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Splits the request body into event-stream messages (4-byte big-endian total length). */
  #readEnvelopes(stream: ServerHttp2Stream, call: FakeCall): void {
    let pending = Buffer.alloc(0);
    stream.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const length = pending.readUInt32BE(0);
        if (pending.length < length) break;
        const envelope = codec.decode(pending.subarray(0, length));
        pending = pending.subarray(length);
        call.receive(envelope);
        if (call.audioEnded && this.#options.endWithAudio !== false) call.end();
      }
    });
  }
}

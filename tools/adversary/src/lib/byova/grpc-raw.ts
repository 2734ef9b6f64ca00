// A hostile gRPC client on plain HTTP/2: it frames messages itself (5-byte prefix), so it can send
// garbage, lie about lengths, send messages past the server's limit, never half-close, or drop the
// TCP connection in the middle of a stream. Valid messages are encoded with the contract's own
// serializers from @org/byova.

import { connect, constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { connect as tcpConnect, type Socket } from 'node:net';
import { loadByovaGrpcObject, PROCESS_CALLER_INPUT_PATH } from '@org/byova';

type Serializer = (value: unknown) => Buffer;
export type Deserializer = (bytes: Buffer) => unknown;

const contract = loadByovaGrpcObject();
const service = contract.com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent.service;
const method = service.ProcessCallerInput as unknown as {
  requestSerialize: Serializer;
  responseDeserialize: Deserializer;
};

/** Encodes one `VoiceVARequest` (snake_case fields, as in the contract). */
export function encodeRequest(request: Record<string, unknown>): Buffer {
  return method.requestSerialize(request);
}

const WRITE_PIECE = 64 * 1024;

/** gRPC length-prefixed message framing. */
export function frame(message: Buffer, announcedLength = message.length, compressed = 0): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed;
  prefix.writeUInt32BE(announcedLength >>> 0, 1);
  return Buffer.concat([prefix, message]);
}

/** One HTTP/2 connection to the gateway. */
export class RawConnection {
  readonly session: ClientHttp2Session;
  /** Our own reference to the TCP socket (HTTP/2 hides it behind a proxy that forbids destroy). */
  #socket: Socket | undefined;

  constructor(address: string) {
    const [host, port] = address.split(':');
    this.session = connect(`http://${address}`, {
      createConnection: () => {
        this.#socket = tcpConnect(Number(port), host ?? '127.0.0.1');
        this.#socket.on('error', () => undefined);
        return this.#socket;
      },
    });
    this.session.on('error', () => undefined);
  }

  /** Opens a ProcessCallerInput stream (or any other path, with its response decoder). */
  stream(path = PROCESS_CALLER_INPUT_PATH, deserialize?: Deserializer): RawStream {
    return new RawStream(
      this.session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: path,
        [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
        te: 'trailers',
      }),
      deserialize,
    );
  }

  /** Closes gracefully. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.session.closed || this.session.destroyed) return resolve();
      this.session.close(() => resolve());
    });
  }

  /** Drops the TCP connection at once (no GOAWAY, no RST_STREAM). */
  drop(): void {
    this.#socket?.resetAndDestroy();
    this.session.destroy();
  }
}

/** How a stream ended. */
export interface StreamEnd {
  /** grpc-status (a number), or `undefined` when the stream ended without one. */
  readonly status: number | undefined;
  /** The HTTP/2 RST_STREAM code the stream ended with (0: none). */
  readonly reset: number;
  readonly message: string;
  readonly responses: number;
}

export class RawStream {
  readonly done: Promise<StreamEnd>;
  responses = 0;
  readonly decoded: Record<string, unknown>[] = [];
  #buffer = Buffer.alloc(0);

  constructor(
    readonly http: ClientHttp2Stream,
    readonly deserialize: Deserializer = method.responseDeserialize,
  ) {
    http.on('error', () => undefined);
    http.on('data', (chunk: Buffer) => this.#take(chunk));
    http.setMaxListeners(0);
    this.done = new Promise((resolve) => {
      let headers: Record<string, unknown> = {};
      http.on('response', (h) => (headers = { ...headers, ...h }));
      http.on('trailers', (t) => (headers = { ...headers, ...t }));
      http.on('close', () => {
        const status = headers['grpc-status'];
        resolve({
          status: status === undefined ? undefined : Number(status),
          reset: http.rstCode ?? 0,
          message: decodeURIComponent(String(headers['grpc-message'] ?? '')),
          responses: this.responses,
        });
      });
    });
  }

  #take(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    while (this.#buffer.length >= 5) {
      const length = this.#buffer.readUInt32BE(1);
      if (this.#buffer.length < 5 + length) return;
      const message = this.#buffer.subarray(5, 5 + length);
      this.#buffer = this.#buffer.subarray(5 + length);
      this.responses += 1;
      try {
        this.decoded.push(this.deserialize(message) as Record<string, unknown>);
      } catch {
        // A response we cannot decode is still counted.
      }
    }
  }

  /** Writes raw bytes (already framed, or not: the attack decides). Resolves when flushed. */
  async writeRaw(bytes: Buffer): Promise<void> {
    // In 64 KiB pieces with back-pressure, as gRPC clients write: one huge write makes Node's
    // HTTP/2 session buffer it all, and the server answers ENHANCE_YOUR_CALM.
    for (let offset = 0; offset < bytes.length || offset === 0; offset += WRITE_PIECE) {
      if (this.http.destroyed || this.http.writableEnded) return;
      if (!this.http.write(bytes.subarray(offset, offset + WRITE_PIECE))) {
        await Promise.race([
          new Promise<void>((resolve) => this.http.once('drain', () => resolve())),
          this.done,
        ]);
      }
      if (bytes.length === 0) return;
    }
  }

  /** Writes one `VoiceVARequest`. */
  send(request: Record<string, unknown>): Promise<void> {
    return this.writeRaw(frame(encodeRequest(request)));
  }

  /** Half-close: the caller has sent everything. */
  end(): void {
    if (!this.http.writableEnded && !this.http.destroyed) this.http.end();
  }

  /** RST_STREAM(CANCEL), as a client that gives up. */
  cancel(): void {
    if (!this.http.destroyed) this.http.close(constants.NGHTTP2_CANCEL);
  }

  /** Whether a response carried this output event. */
  hasEvent(name: string): boolean {
    return this.decoded.some((r) =>
      ((r['output_events'] as { event_type?: string }[] | undefined) ?? []).some(
        (e) => e.event_type === name,
      ),
    );
  }
}

/** A request of `conversationId` with one input. */
export function request(
  conversationId: string,
  input: Record<string, unknown>,
): Record<string, unknown> {
  return {
    conversation_id: conversationId,
    customer_org_id: 'adversary-org',
    virtual_agent_id: '',
    ...input,
  };
}

export const sessionStart = (id: string): Record<string, unknown> =>
  request(id, { event_input: { event_type: 'SESSION_START', name: 'start' } });

export const sessionEnd = (id: string): Record<string, unknown> =>
  request(id, { event_input: { event_type: 'SESSION_END', name: 'hangup' } });

/** `bytes` of u-law audio at 8 kHz (0xFF is digital silence; 0x80 is loud). */
export function audio(id: string, bytes: number, fill = 0xff): Record<string, unknown> {
  return request(id, {
    audio_input: {
      caller_audio: Buffer.alloc(bytes, fill),
      encoding: 'MULAW_FORMAT',
      sample_rate_hertz: 8000,
    },
  });
}

/** How a stream ended, in a few words. */
export function describeEnd(end: StreamEnd | undefined): string {
  if (end === undefined) return 'hung';
  if (end.status !== undefined) return `status ${end.status}`;
  return end.reset !== 0 ? `reset ${end.reset}` : 'closed without status';
}

/** Resolves `done` or `undefined` after `timeoutMs`. */
export async function ended(stream: RawStream, timeoutMs: number): Promise<StreamEnd | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  const result = await Promise.race([stream.done, timeout]);
  clearTimeout(timer);
  return result;
}

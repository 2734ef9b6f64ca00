// A hostile Genesys: a man in the middle in front of the event collector's faithful fake of
// Genesys Cloud (apps/event-collector/test/fakes, run as its own process). REST calls pass
// through (with the channel's connectUri pointed back here); each channel WebSocket is relayed
// frame by frame, and an attack can inject frames (malformed, duplicated, oversized), repeat
// every event, or tear a frame in half and drop the connection.

import {
  createServer,
  request,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

interface Relay {
  readonly downstream: WebSocket;
  readonly upstream: WebSocket;
  readonly socket: Socket;
}

export class HostileGenesys {
  readonly #upstream: string;
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: 64 << 20 });
  readonly #relays = new Set<Relay>();
  readonly #sockets = new Set<Socket>();
  /** Every event frame from Genesys is sent this many times (1 = faithful). */
  repeat = 1;
  url = '';

  constructor(upstreamBaseUrl: string) {
    this.#upstream = upstreamBaseUrl;
    this.#server = createServer((req, res) => this.#forward(req, res));
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    this.#server.on('upgrade', (req, socket, head) => this.#upgrade(req, socket as Socket, head));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const relay of this.#relays) this.#end(relay);
    for (const socket of this.#sockets) socket.destroy();
    this.#wss.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Channel sockets currently relayed. */
  get connections(): number {
    return this.#relays.size;
  }

  /** Sends a frame to the collector on every relayed channel. */
  inject(data: string | Buffer, binary = false): void {
    for (const relay of this.#relays) {
      if (relay.downstream.readyState === WebSocket.OPEN) relay.downstream.send(data, { binary });
    }
  }

  /**
   * Tears the connection: a text frame header announcing `announced` bytes, only half of them,
   * then the TCP connection is dropped (as a crashed proxy or a cut cable would).
   */
  tear(announced = 4000): void {
    for (const relay of [...this.#relays]) {
      const header = Buffer.from([0x81, 126, (announced >> 8) & 0xff, announced & 0xff]);
      relay.socket.write(Buffer.concat([header, Buffer.alloc(announced / 2, 0x7b)]));
      relay.socket.destroy();
      this.#end(relay);
    }
  }

  #end(relay: Relay): void {
    this.#relays.delete(relay);
    relay.downstream.terminate();
    relay.upstream.terminate();
  }

  #forward(req: IncomingMessage, res: ServerResponse): void {
    const target = new URL(req.url ?? '/', this.#upstream);
    const out = request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host }, agent: false },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          // Channels point the collector back here, so their WebSocket passes through too.
          const body = Buffer.concat(chunks)
            .toString('utf8')
            .replaceAll(
              this.#upstream.replace('http://', 'ws://'),
              this.url.replace('http://', 'ws://'),
            );
          const headers = { ...answer.headers };
          delete headers['content-length'];
          delete headers['transfer-encoding'];
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(body);
        });
      },
    );
    out.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(out);
  }

  #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    socket.on('error', () => undefined);
    const upstream = new WebSocket(
      `${this.#upstream.replace('http://', 'ws://')}${req.url ?? '/'}`,
    );
    upstream.on('error', () => socket.destroy());
    upstream.on('unexpected-response', (_r, answer) => {
      socket.end(
        `HTTP/1.1 ${answer.statusCode ?? 502} Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
      );
      upstream.terminate();
    });
    upstream.on('open', () => {
      this.#wss.handleUpgrade(req, socket, head, (downstream) => {
        const relay: Relay = { downstream, upstream, socket };
        this.#relays.add(relay);
        upstream.on('message', (data, binary) => {
          const event = !binary && String(data).includes('"topicName":"v2.operations.');
          const frames = event ? this.repeat : 1;
          for (let i = 0; i < frames; i += 1) {
            if (downstream.readyState === WebSocket.OPEN) downstream.send(data, { binary });
          }
        });
        downstream.on('message', (data, binary) => {
          if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
        });
        // A close passes through with its code (1005/1006 cannot be sent: the peer sees a drop).
        upstream.on('close', (code, reason) => {
          this.#relays.delete(relay);
          if (code === 1005 || code === 1006) downstream.terminate();
          else downstream.close(code, reason);
        });
        downstream.on('close', (code, reason) => {
          this.#relays.delete(relay);
          if (code === 1005 || code === 1006) upstream.terminate();
          else upstream.close(code, reason);
        });
        downstream.on('error', () => this.#end(relay));
      });
    });
  }
}

// A minimal AudioHook server for the client's tests: the protocol library's ServerSession over
// a real `ws` server on a free loopback port, counting audio bytes per session.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fromWebSocket, ServerSession } from '@org/audiohook-protocol';
import { WebSocketServer } from 'ws';

export interface MiniServer {
  readonly url: string;
  readonly sessions: ServerSession[];
  readonly audioBytes: Map<ServerSession, number>;
  readonly headers: Record<string, string | string[] | undefined>[];
  close(): Promise<void>;
}

export async function startMiniServer(): Promise<MiniServer> {
  const sessions: ServerSession[] = [];
  const audioBytes = new Map<ServerSession, number>();
  const headers: Record<string, string | string[] | undefined>[] = [];
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket, request) => {
    headers.push(request.headers);
    const session = new ServerSession({
      transport: fromWebSocket(socket),
      id: String(request.headers['audiohook-session-id']),
    });
    sessions.push(session);
    audioBytes.set(session, 0);
    session.on('audio', (frame) =>
      audioBytes.set(session, (audioBytes.get(session) ?? 0) + frame.data.length),
    );
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/api/v1/audiohook/ws`,
    sessions,
    audioBytes,
    headers,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/* eslint-disable @nx/enforce-module-boundaries -- written as a consumer of the package */
// A minimal AudioHook server on `ws`: checks the upgrade request's headers and signature, runs a
// ServerSession per connection and prints one line per session. Run: node server.js [port]
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  AudioHookError,
  NonceCache,
  ServerSession,
  fromWebSocket,
  parseAudioHookHeaders,
  verifySignature,
} from '@org/audiohook-protocol';

const secrets = new Map([['my-api-key', 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=']]);
const nonceStore = new NonceCache(); // one process; share a NonceStore across instances

function handleConnection(socket: WebSocket, request: IncomingMessage): void {
  let ids;
  try {
    ids = parseAudioHookHeaders(request.headers);
  } catch (error) {
    socket.close(1008, error instanceof AudioHookError ? error.code : 'bad request');
    return;
  }
  const { sessionId, organizationId } = ids;
  const signed = { url: request.url ?? '/', headers: request.headers };
  const verified = verifySignature(signed, {
    resolveSecret: (key) => secrets.get(key),
    nonceStore,
  });
  const session = new ServerSession({
    transport: fromWebSocket(socket),
    id: sessionId,
    organizationId,
  });
  session.addAuthenticator(async () => {
    const result = await verified; // answer with the code only: reasons help attackers
    return result.ok || result.code;
  });
  let samples = 0;
  session.on('audio', (frame) => (samples += frame.samples));
  session.addOpenHandler(({ selectedMedia, isProbe }) => {
    if (isProbe || selectedMedia === undefined) return; // probes: answer, never record
    return () => console.log(JSON.stringify({ sessionId, samples }));
  });
}

const server = new WebSocketServer({
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? 8080),
  path: '/api/v1/audiohook/ws',
});
server.on('connection', handleConnection);
server.on('listening', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening on ws://127.0.0.1:${port}/api/v1/audiohook/ws`);
});
process.on('SIGTERM', () => server.close());

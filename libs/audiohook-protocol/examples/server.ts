/* eslint-disable @nx/enforce-module-boundaries -- written as a consumer of the package */
import type { IncomingMessage } from 'node:http';
import {
  NonceCache,
  ServerSession,
  fromWebSocket,
  parseAudioHookHeaders,
  verifySignature,
} from '@org/audiohook-protocol';
import type { WebSocketLike } from '@org/audiohook-protocol';

const secrets = new Map([['my-api-key', 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=']]);
const nonceStore = new NonceCache(); // one process; share a NonceStore across instances

/** wss.on('connection', handleConnection): one ServerSession per accepted WebSocket. */
export function handleConnection(socket: WebSocketLike, request: IncomingMessage): ServerSession {
  const { sessionId, organizationId } = parseAudioHookHeaders(request.headers); // throws on bad headers
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
    const result = await verified; // reject with the code only: reasons help attackers
    return result.ok || result.code;
  });
  session.addOpenHandler(({ selectedMedia, isProbe }) => {
    if (isProbe || selectedMedia === undefined) return; // probes: answer, never record
    let samples = 0;
    session.on('audio', (frame) => (samples += frame.samples));
    return () => console.log(`session ${sessionId}: ${samples} samples per channel`);
  });
  return session;
}

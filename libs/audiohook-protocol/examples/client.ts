/* eslint-disable @nx/enforce-module-boundaries -- written as a consumer of the package */
import { randomUUID } from 'node:crypto';
import {
  ClientSession,
  createAudioHookHeaders,
  fromWebSocket,
  toneMediaSource,
} from '@org/audiohook-protocol';
import type { ClientSessionResult, WebSocketLike } from '@org/audiohook-protocol';

type Connect = (url: URL, headers: Record<string, string>) => Promise<WebSocketLike>;

/** Streams 5 s of tone to `url`; `connect` opens the socket, e.g. with `new WebSocket(url, { headers })`. */
export async function runClient(url: URL, connect: Connect): Promise<ClientSessionResult> {
  const organizationId = 'd7934305-0972-4844-938e-9060eef73d05';
  const sessionId = randomUUID();
  const headers = createAudioHookHeaders({
    organizationId,
    sessionId,
    correlationId: randomUUID(),
    apiKey: 'my-api-key',
    clientSecret: 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=',
    requestTarget: url.pathname + url.search,
    authority: url.host,
  });
  const transport = fromWebSocket(await connect(url, headers));
  const media = toneMediaSource({ durationMs: 5000 });
  const client = new ClientSession({
    transport,
    sessionId,
    organizationId,
    media,
    language: 'en-US',
  });
  client.on('transcript', (t) => console.log(t.alternatives[0]?.interpretations[0]?.transcript));
  const opened = await client.start(); // undefined if the server never opened
  console.log('selected media', opened?.parameters.media);
  return client.finished; // rtts, clean, closeReason, error, disconnect, audioBytes
}

/* eslint-disable @nx/enforce-module-boundaries -- written as a consumer of the package */
// An AudioHook client on `ws`: opens a signed session, streams a tone, closes and prints the
// outcome. Run: node client.js ws://127.0.0.1:8080/api/v1/audiohook/ws [seconds]
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import {
  ClientSession,
  createAudioHookHeaders,
  fromWebSocket,
  toneMediaSource,
} from '@org/audiohook-protocol';

async function main(url: URL, seconds: number): Promise<boolean> {
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
  const socket = new WebSocket(url, { headers });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const client = new ClientSession({
    transport: fromWebSocket(socket),
    sessionId,
    organizationId,
    media: toneMediaSource({ durationMs: seconds * 1000 }),
    language: 'en-US',
  });
  client.on('transcript', (t) => console.log(t.alternatives[0]?.interpretations[0]?.transcript));
  const opened = await client.start(); // undefined if the server never opened
  console.log(`selected media ${JSON.stringify(opened?.parameters.media)}`);
  const { clean, closeReason, audioBytes } = await client.finished;
  console.log(JSON.stringify({ sessionId, clean, closeReason, audioBytes }));
  return clean;
}

main(
  new URL(process.argv[2] ?? 'ws://127.0.0.1:8080/api/v1/audiohook/ws'),
  Number(process.argv[3] ?? 5),
)
  .then((clean) => (process.exitCode = clean ? 0 : 1))
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });

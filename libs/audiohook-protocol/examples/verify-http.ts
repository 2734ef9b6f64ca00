/* eslint-disable @nx/enforce-module-boundaries -- written as a consumer of the package */
// Signature verification without a WebSocket library, on plain node:http: every request's
// AudioHook headers and HTTP message signature are checked before anything else happens (here
// the answer is 200 or 401 with the result code; a server would accept the upgrade instead).
// Run: node verify-http.js [port]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AudioHookError,
  NonceCache,
  parseAudioHookHeaders,
  verifySignature,
} from '@org/audiohook-protocol';

const secrets = new Map([['my-api-key', 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=']]);
const nonceStore = new NonceCache();

const server = createServer((request, response) => {
  const reply = (status: number, code: string): void => {
    response
      .writeHead(status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ code }));
  };
  try {
    parseAudioHookHeaders(request.headers);
  } catch (error) {
    reply(400, error instanceof AudioHookError ? error.code : 'BAD_REQUEST');
    return;
  }
  const signed = { url: request.url ?? '/', headers: request.headers };
  verifySignature(signed, {
    resolveSecret: (key) => secrets.get(key),
    nonceStore,
    allowUnsigned: 'never',
  })
    .then((result) => reply(result.ok ? 200 : 401, result.code))
    .catch(() => reply(500, 'INTERNAL'));
});
server.listen(Number(process.argv[2] ?? 8080), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`listening on http://127.0.0.1:${port}/`);
});
process.on('SIGTERM', () => server.close());

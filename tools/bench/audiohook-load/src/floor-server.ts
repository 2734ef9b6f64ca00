// The floor of the benchmark (`--floor`): the least a Node.js WebSocket server can do for the
// driver's sessions, on the same `ws` library and socket settings as the AudioHook server but with
// no authentication, validation, protocol state, logging, metrics or recording. It answers
// `open` with `opened`, `ping` with `pong` and `close` with `closed`, and drops audio. What the
// benchmark measures against it is what Node.js, `ws` and the kernel cost on the machine: no
// server can do a session for less.

import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

interface Incoming {
  readonly id?: string;
  readonly type?: string;
  readonly seq?: number;
  readonly parameters?: { readonly media?: readonly unknown[] };
}

let sessions = 0;
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

function serve(socket: WebSocket): void {
  sessions++;
  let seq = 0;
  const reply = (to: Incoming, type: string, parameters: Record<string, unknown>): void => {
    seq++;
    socket.send(
      JSON.stringify({ version: '2', id: to.id, type, seq, clientseq: to.seq, parameters }),
    );
  };
  socket.on('message', (data, isBinary) => {
    if (isBinary) return;
    const message = JSON.parse(String(data)) as Incoming;
    if (message.type === 'open') {
      reply(message, 'opened', {
        startPaused: false,
        media: message.parameters?.media?.slice(0, 1),
      });
    } else if (message.type === 'ping') reply(message, 'pong', {});
    else if (message.type === 'close') reply(message, 'closed', {});
  });
  socket.on('close', () => sessions--);
}

const server = createServer((_request, response) => {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify({ sessions }));
});
server.on('upgrade', (request, socket, head) => {
  socket.on('error', () => socket.destroy());
  wss.handleUpgrade(request, socket, head, serve);
});
server.listen(Number(process.env['SERVERPORT'] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  // The benchmark reads the port from this line, as from the AudioHook server's log.
  process.stdout.write(`${JSON.stringify({ address: `127.0.0.1:${port}` })}\n`);
});
process.once('SIGTERM', () => {
  for (const client of wss.clients) client.terminate();
  server.close(() => process.exit(0));
});

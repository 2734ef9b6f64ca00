// The README's examples are the files under examples/ (type-checked by the typecheck target);
// this spec checks the README shows them verbatim and runs them against each other.

import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { type WebSocketLike } from '../src';
import { createTransportPair, type InMemoryTransport } from '../src/testing';
import { runClient } from '../examples/client';
import { handleConnection } from '../examples/server';

const root = join(__dirname, '..');

/** A `ws`-shaped socket over one end of an in-memory transport pair. */
function socketOver(end: InMemoryTransport): WebSocketLike {
  const events = new EventEmitter();
  end.attach({
    onText: (text) => events.emit('message', Buffer.from(text), false),
    onBinary: (data) => events.emit('message', Buffer.from(data), true),
    onClose: (code, reason) => events.emit('close', code, Buffer.from(reason)),
  });
  return {
    send: (data, callback) => {
      if (typeof data === 'string') end.sendText(data);
      else end.sendBinary(data);
      callback?.();
    },
    close: (code, reason) => end.close(code, reason),
    on: (event: string, listener: (...args: unknown[]) => void) => events.on(event, listener),
  } as WebSocketLike;
}

describe('README examples', () => {
  it('shows examples/server.ts and examples/client.ts verbatim', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const file of ['examples/server.ts', 'examples/client.ts']) {
      const code = readFileSync(join(root, file), 'utf8').replace(
        /^\/\* eslint-disable[^\n]*\n/,
        '',
      );
      expect(readme).toContain('```ts\n' + code + '```');
    }
  });

  it('runs the client example against the server example', async () => {
    const [serverEnd, clientEnd] = createTransportPair();
    const logs: string[] = [];
    jest
      .spyOn(console, 'log')
      .mockImplementation((...args: unknown[]) => void logs.push(args.join(' ')));
    let finished: Promise<void> | undefined;
    const result = await runClient(
      new URL('ws://127.0.0.1:9/api/v1/audiohook/ws'),
      async (url, headers) => {
        const request = {
          url: url.pathname,
          headers: { ...headers, host: url.host },
        } as unknown as IncomingMessage;
        finished = handleConnection(socketOver(serverEnd), request).finished;
        return socketOver(clientEnd);
      },
    ).catch((error: unknown) => {
      throw error;
    });
    await finished;
    expect(result).toMatchObject({ clean: true, closeReason: 'end', audioBytes: 80_000 });
    expect(logs.some((l) => /: 40000 samples per channel$/.test(l))).toBe(true);
  }, 15_000);
});

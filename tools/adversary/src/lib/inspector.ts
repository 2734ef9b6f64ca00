// A full garbage collection in a service before its memory is measured. V8 collects lazily: after
// an attack a process may sit on tens of megabytes of garbage for minutes, which is not a leak.
// Services run with `--inspect=127.0.0.1:0`; the suite connects to that inspector, asks for a
// full collection (HeapProfiler.collectGarbage) and reads the heap in use (Runtime.getHeapUsage),
// then disconnects.

import WebSocket from 'ws';
import { captured } from './util';

/** The node flag that opens an inspector on a free loopback port. */
export const INSPECT_FLAG = '--inspect=127.0.0.1:0';

/** The inspector's address, from the line Node prints to stderr at start. */
export const INSPECTOR_LINE = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]+)/;

interface Reply {
  readonly id?: number;
  readonly result?: { usedSize?: number };
  readonly error?: { message?: string };
}

/**
 * Runs a full collection in the process whose inspector is at `url`; resolves with the heap in
 * use afterwards, in bytes.
 */
export async function collectGarbage(url: string, timeoutMs = 10_000): Promise<number> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const replies = new Map<number, (reply: Reply) => void>();
    socket.on('message', (data) => {
      const reply = JSON.parse(String(data)) as Reply;
      if (reply.id !== undefined) replies.get(reply.id)?.(reply);
    });
    const call = (id: number, method: string): Promise<Reply> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${method}: no reply in ${timeoutMs} ms`)),
          timeoutMs,
        );
        replies.set(id, (reply) => {
          clearTimeout(timer);
          if (reply.error !== undefined)
            reject(new Error(`${method}: ${reply.error.message ?? '?'}`));
          else resolve(reply);
        });
        socket.send(JSON.stringify({ id, method }));
      });
    await call(1, 'HeapProfiler.collectGarbage');
    const usage = await call(2, 'Runtime.getHeapUsage');
    return usage.result?.usedSize ?? NaN;
  } finally {
    socket.terminate();
  }
}

/** The inspector address printed in `output`, if any. */
export function inspectorUrl(output: string): string | undefined {
  const match = INSPECTOR_LINE.exec(output);
  return match === null ? undefined : captured(match);
}

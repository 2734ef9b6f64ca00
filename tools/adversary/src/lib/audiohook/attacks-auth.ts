// Attacks on the AudioHook server's front door: signatures (bad, missing, made up, replayed),
// malformed upgrade requests, and slowloris upgrades that never finish.

import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { checkHealth } from '../checks';
import { sleep } from '../proc';
import type { Attack, Verdict } from '../suite';
import { HookSession, pool, signedHeaders, stream, WS_PATH } from './client';
import { verifyRecordings, type Expectation } from './recordings';
import type { AudioHookService } from './server';
import { cycle } from '../util';

/** A `disconnect` info longer than this echoes the attacker (the server cuts reasons to 120). */
const MAX_INFO_CHARS = 200;

type HeaderVariant = (port: number) => Record<string, string>;

/** Ways to fail authentication; the first makes up a new component name every time (defect 1). */
const BAD_AUTH: readonly [string, HeaderVariant][] = [
  [
    'made-up component',
    (port) => {
      const h = signedHeaders({ port });
      const name = `x-${randomUUID()}-${'a'.repeat(8000)}`;
      h['Signature-Input'] = (h['Signature-Input'] ?? '').replace('"@request-target"', `"${name}"`);
      return h;
    },
  ],
  ['missing signature', (port) => signedHeaders({ port, secret: null })],
  [
    'wrong MAC',
    (port) => {
      const h = signedHeaders({ port });
      h['Signature'] = `sig1=:${randomBytes(32).toString('base64')}:`;
      return h;
    },
  ],
  ['unknown key', (port) => signedHeaders({ port, apiKey: randomBytes(24).toString('base64') })],
  [
    'unknown parameter',
    (port) => {
      const h = signedHeaders({ port });
      h['Signature-Input'] = `${h['Signature-Input']};tag="${randomUUID()}"`;
      return h;
    },
  ],
  [
    'garbage signature-input',
    (port) => {
      const h = signedHeaders({ port });
      h['Signature-Input'] = randomBytes(3000)
        .toString('latin1')
        .replace(/[^\x21-\x7e]/g, '(');
      return h;
    },
  ],
];

function isUnauthorized(session: HookSession): boolean {
  if (session.httpStatus === 401) return true;
  return session.disconnect?.['reason'] === 'unauthorized';
}

export const badSignatures: Attack<AudioHookService> = {
  name: 'bad, missing and made-up signatures',
  expected:
    'every upgrade refused as unauthorized with a short info (no echo), no recording, /metrics not growing',
  async run(service, mode) {
    const n = mode.audiohook.badSignatures;
    const kinds = new Map<string, number>();
    let refused = 0;
    let longestInfo = 0;
    const sessions = await pool(
      Array.from({ length: n }, (_, i) => i),
      100,
      async (i) => {
        // Every other upgrade makes up a new component name: each one a new /metrics series
        // while defect 1 of issue 15 was open.
        const [kind, make] = cycle(
          BAD_AUTH,
          i % 2 === 0 ? 0 : 1 + ((i >> 1) % (BAD_AUTH.length - 1)),
        );
        const session = new HookSession(service.port, make(service.port));
        await session.open(5000);
        await session.until(() => session.socket.readyState === session.socket.CLOSED, 3000);
        session.kill();
        if (isUnauthorized(session)) refused += 1;
        else kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        longestInfo = Math.max(longestInfo, String(session.disconnect?.['info'] ?? '').length);
        return session;
      },
    );
    const recordings = await verifyRecordings(
      service.recordings,
      sessions.map((s): Expectation => ({ sessionId: s.id, bytes: undefined })),
      1000,
    );
    const accepted = [...kinds].map(([k, c]) => `${c} ${k}`).join(', ');
    const ok = refused === n && longestInfo <= MAX_INFO_CHARS && recordings.ok;
    return {
      ok,
      observed:
        `${refused}/${n} refused${accepted ? ` (not refused: ${accepted})` : ''}, ` +
        `longest disconnect info ${longestInfo} chars; ${recordings.text}`,
    };
  },
};

export const replayedSignature: Attack<AudioHookService> = {
  name: 'replayed signed upgrade',
  expected: 'the original session records; every replay of its headers is refused as unauthorized',
  async run(service, mode) {
    const headers = signedHeaders({ port: service.port });
    const original = new HookSession(service.port, headers);
    const opened = await original.open();
    if (opened !== 'opened') return { ok: false, observed: `the original session got ${opened}` };
    await stream([original], 25);
    await original.close();
    let refused = 0;
    let opens = 0;
    await pool(
      Array.from({ length: mode.audiohook.replays }, (_, i) => i),
      50,
      async () => {
        const replay = new HookSession(service.port, headers);
        const outcome = await replay.open(5000);
        if (outcome === 'opened') opens += 1;
        await replay.close(3000);
        if (isUnauthorized(replay)) refused += 1;
      },
    );
    const recordings = await verifyRecordings(
      service.recordings,
      [{ sessionId: original.id, bytes: original.audioBytes }],
      10_000,
    );
    const copies = service.recordings.count(original.id);
    return {
      ok: refused === mode.audiohook.replays && opens === 0 && recordings.ok && copies === 1,
      observed:
        `${refused}/${mode.audiohook.replays} replays refused, ${opens} opened; ` +
        `${recordings.text}; ${copies} recording(s) of that session id`,
    };
  },
};

/** Raw requests a browser or Genesys would never send. */
export const MALFORMED_UPGRADES: readonly [string, (port: number) => string][] = [
  ['bad session id', (p) => upgrade(p, { 'Audiohook-Session-Id': 'not-a-uuid' })],
  ['no organization id', (p) => upgrade(p, { 'Audiohook-Organization-Id': undefined })],
  ['80 KB header', (p) => upgrade(p, { 'X-Padding': 'p'.repeat(80_000) })],
  ['garbage bytes', () => `${randomBytes(512).toString('latin1')}\r\n\r\n`],
  ['unknown route', (p) => upgrade(p, {}, '/api/v1/../../etc/passwd')],
  ['no upgrade', (p) => `GET ${WS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${p}\r\n\r\n`],
];

export function upgrade(
  port: number,
  overrides: Record<string, string | undefined>,
  path = WS_PATH,
): string {
  const headers: Record<string, string | undefined> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    ...signedHeaders({ port }),
    ...overrides,
  };
  const lines = Object.entries(headers)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${v}`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** Sends `request` on a new connection; resolves with the HTTP status line's code (0: none). */
export function rawRequest(port: number, request: string, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const finish = (code: number): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(code);
    };
    const timer = setTimeout(() => finish(0), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (match !== null) finish(Number(match[1]));
    });
    socket.on('error', () => finish(0));
    socket.on('close', () => finish(0));
    socket.write(request);
  });
}

export const malformedUpgrades: Attack<AudioHookService> = {
  name: 'malformed upgrade requests',
  expected: 'every request answered with an HTTP 4xx status (no hang, no crash)',
  async run(service, mode) {
    const n = mode.audiohook.malformedSessions * MALFORMED_UPGRADES.length;
    const wrong = new Map<string, string>();
    let ok = 0;
    await pool(
      Array.from({ length: n }, (_, i) => i),
      50,
      async (i) => {
        const [kind, make] = cycle(MALFORMED_UPGRADES, i);
        const status = await rawRequest(service.port, make(service.port));
        if (status >= 400 && status < 500) ok += 1;
        else wrong.set(kind, status === 0 ? 'no answer' : `HTTP ${status}`);
      },
    );
    const detail = [...wrong].map(([k, s]) => `${k}: ${s}`).join(', ');
    return { ok: ok === n, observed: `${ok}/${n} answered 4xx${detail ? `; ${detail}` : ''}` };
  },
};

export const slowloris: Attack<AudioHookService> = {
  name: 'slowloris upgrades',
  expected: 'health answers within 200 ms while the slow upgrades are held open',
  async run(service, mode) {
    const sockets: Socket[] = [];
    let closedByServer = 0;
    for (let i = 0; i < mode.audiohook.slowloris; i += 1) {
      const socket = connect(service.port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.on('close', () => (closedByServer += 1));
      socket.write(`GET ${WS_PATH} HTTP/1.1\r\nHost: 127.0.0.1:${service.port}\r\nX-Slow: `);
      sockets.push(socket);
    }
    const until = performance.now() + mode.audiohook.slowlorisMs;
    let during = { ok: true, text: '' };
    let probed = false;
    while (performance.now() < until) {
      for (const socket of sockets) if (!socket.destroyed) socket.write('a');
      await sleep(200);
      if (!probed && performance.now() > until - mode.audiohook.slowlorisMs / 2) {
        probed = true;
        during = await checkHealth(service);
      }
    }
    const open = sockets.filter((s) => !s.destroyed).length;
    const before = closedByServer;
    for (const socket of sockets) socket.destroy();
    const verdict: Verdict = {
      ok: during.ok,
      observed: `${mode.audiohook.slowloris} slow upgrades (${open} still open after ${mode.audiohook.slowlorisMs} ms, ${before} closed by the server); health during: ${during.text}`,
    };
    return verdict;
  },
};

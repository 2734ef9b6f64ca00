// Attacks inside signed sessions: malformed and huge frames, sessions killed mid-stream, ping and
// pause/resume storms, and a SIGTERM with sessions streaming (defect 2 of issue 15).

import { formatDuration } from '@org/audiohook-protocol';
import { sleep } from '../proc';
import type { Attack, Verdict } from '../suite';
import { FRAME_BYTES, HookSession, pool, signedHeaders, stream, toneFrame } from './client';
import { PING_STORM_SIDECAR_LIMIT_BYTES, verifyRecordings, type Expectation } from './recordings';
import { DRAIN_TIMEOUT_MS, type AudioHookService } from './server';
import { cycle } from '../util';

async function openSessions(service: AudioHookService, n: number): Promise<HookSession[]> {
  const sessions = await pool(
    Array.from({ length: n }, () => 0),
    50,
    async () => {
      const session = new HookSession(service.port, signedHeaders({ port: service.port }));
      const outcome = await session.open();
      if (outcome !== 'opened') throw new Error(`a signed session got ${outcome}`);
      return session;
    },
  );
  return sessions;
}

function expectations(sessions: readonly HookSession[]): Expectation[] {
  return sessions.map((s) => ({ sessionId: s.id, bytes: s.audioBytes }));
}

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** What each malformed session sends after five good frames. */
export const MALFORMED: readonly [string, (s: HookSession) => void][] = [
  ['invalid JSON', (s) => s.sendRaw('{"version":"2","type":"ping",')],
  ['wrong seq', (s) => s.sendUncounted('ping', {}, { seq: 9999 })],
  ['unknown type', (s) => s.send('explode', { now: true })],
  [
    '5,000-deep JSON',
    (s) => s.sendRaw(`{"version":"2","type":"ping","parameters":${nested(5000)}}`),
  ],
  ['partial audio frame', (s) => s.sendRaw(Buffer.alloc(FRAME_BYTES + 1, 0xff))],
  ['empty binary frame', (s) => s.sendRaw(Buffer.alloc(0))],
  [
    '__proto__ parameters',
    (s) =>
      s.sendRaw(
        `{"version":"2","id":"${s.id}","type":"ping","seq":${++s.seq},"serverseq":${s.serverSeq},"position":"PT0S","parameters":{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":1}}}}`,
      ),
  ],
  [
    'another session id',
    (s) => s.sendUncounted('ping', {}, { id: '00000000-0000-4000-8000-000000000000' }),
  ],
  ['NUL and control characters', (s) => s.send('ping', { note: '\u0000\u0001\u001b[2J\ud800' })],
  [
    'huge numbers',
    (s) =>
      s.sendRaw(
        `{"version":"2","id":"${s.id}","type":"ping","seq":1e309,"serverseq":-1,"position":"PT99999999999999999999S","parameters":{}}`,
      ),
  ],
  [
    'audio after close',
    (s) => {
      s.send('close', { reason: 'end' });
      s.sendRaw(toneFrame());
    },
  ],
  [
    'binary text',
    (s) => s.sendRaw(Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1]).toString('latin1')),
  ],
];

export const malformedFrames: Attack<AudioHookService> = {
  name: 'malformed frames in signed sessions',
  expected:
    'each session ends (disconnect error or closed) without affecting a concurrent session; every session recorded with the audio sent',
  async run(service, mode) {
    const n = mode.audiohook.malformedSessions;
    const sessions = await openSessions(service, n + 1);
    const control = cycle(sessions, n);
    const attackers = sessions.slice(0, n);
    await stream(sessions, 5);
    attackers.forEach((session, i) => cycle(MALFORMED, i)[1](session));
    await stream([control], 25);
    await Promise.all(
      attackers.map((s) => s.until(() => s.disconnect !== undefined || s.has('closed'), 1500)),
    );
    const ended = attackers.filter((s) => s.disconnect !== undefined || s.has('closed')).length;
    const closed = (await Promise.all(sessions.map((s) => s.close(1500)))).filter(Boolean).length;
    const controlClean = control.disconnect === undefined;
    const recordings = await verifyRecordings(service.recordings, expectations(sessions), 15_000);
    return {
      ok: controlClean && recordings.ok,
      observed:
        `${ended}/${n} sessions ended by the server at once, ${closed}/${n + 1} got closed; ` +
        `concurrent session ${controlClean ? 'unaffected' : `got disconnect ${JSON.stringify(control.disconnect)}`}; ${recordings.text}`,
    };
  },
};

export const hugeFrames: Attack<AudioHookService> = {
  name: 'huge frames',
  expected:
    '200 KB text → disconnect error; 2 MB text or binary → close 1009; a 960 KB audio frame is recorded; the server stays up',
  async run(service) {
    const all = await openSessions(service, 4);
    const [text200k, binary2m, text2m, audio960k] = [0, 1, 2, 3].map((i) => cycle(all, i)) as [
      HookSession,
      HookSession,
      HookSession,
      HookSession,
    ];
    await stream(all, 5);
    text200k.sendUncounted('ping', { padding: 'x'.repeat(200_000) });
    binary2m.sendRaw(Buffer.alloc(2 << 20, 0xff));
    text2m.sendRaw(`{"pad":"${'y'.repeat(2 << 20)}"}`);
    audio960k.audio(toneFrame(960_000));
    await audio960k.flushed();
    const enders = [text200k, binary2m, text2m];
    await Promise.all(
      enders.map((s) =>
        s.until(() => s.socket.readyState !== s.socket.OPEN || s.disconnect !== undefined, 5000),
      ),
    );
    const got = {
      text200k: text200k.disconnect?.['reason'] ?? `close ${text200k.closeCode ?? '-'}`,
      binary2m: binary2m.closeCode,
      text2m: text2m.closeCode,
    };
    await Promise.all(all.map((s) => s.close(5000)));
    const recordings = await verifyRecordings(service.recordings, expectations(all), 15_000);
    const ok =
      got.text200k === 'error' && got.binary2m === 1009 && got.text2m === 1009 && recordings.ok;
    return {
      ok,
      observed: `200 KB text: ${got.text200k}; 2 MB binary: close ${got.binary2m ?? '-'}; 2 MB text: close ${got.text2m ?? '-'}; ${recordings.text}`,
    };
  },
};

export const killedMidStream: Attack<AudioHookService> = {
  name: 'sessions killed mid-stream',
  expected:
    'every killed session finalized: WAV parses and holds every byte sent; half-open kills leave no handle',
  async run(service, mode) {
    const n = mode.audiohook.killedSessions;
    const sessions = await openSessions(service, n);
    await stream(sessions, mode.audiohook.framesPerSession);
    await Promise.all(sessions.map((s) => s.flushed()));
    // Give the kernel the bytes before the reset: a kill loses nothing the client had sent.
    await sleep(100);
    for (const session of sessions) session.kill();
    // Half-open kills: during the upgrade, and between `open` and `opened`.
    const half = await pool(
      Array.from({ length: n }, (_, i) => i),
      50,
      async (i) => {
        const session = new HookSession(service.port, signedHeaders({ port: service.port }));
        if (i % 2 === 0) {
          session.kill();
        } else if (await session.connected(5000)) {
          session.send('open', { organizationId: session.organizationId });
          session.kill();
        }
        await session.ended;
      },
    );
    const recordings = await verifyRecordings(service.recordings, expectations(sessions), 20_000);
    return {
      ok: recordings.ok,
      observed: `${n} sessions killed after ${mode.audiohook.framesPerSession} frames, ${half.length} killed half-open; ${recordings.text}`,
    };
  },
};

export const pingStorm: Attack<AudioHookService> = {
  name: 'ping storm',
  expected:
    'pongs (or a rate-limit disconnect), the session closes cleanly, sidecar under 1 MiB, WAV intact',
  async run(service, mode) {
    const s = cycle(await openSessions(service, 1), 0);
    const frame = toneFrame();
    for (let i = 0; i < mode.audiohook.pingStorm && s.disconnect === undefined; i += 1) {
      s.send('ping', {});
      if (i % 100 === 99) {
        s.audio(frame);
        await s.flushed();
      }
    }
    await sleep(300);
    const pongs = s.received.filter((m) => m.type === 'pong').length;
    const disconnect = s.disconnect;
    const clean = await s.close(10_000);
    const recordings = await verifyRecordings(
      service.recordings,
      expectations([s]),
      15_000,
      PING_STORM_SIDECAR_LIMIT_BYTES,
    );
    const ok = (clean || disconnect?.['reason'] !== undefined) && recordings.ok;
    return {
      ok,
      observed:
        `${mode.audiohook.pingStorm} pings → ${pongs} pongs` +
        `${disconnect ? `, disconnect ${String(disconnect['reason'])}` : ''}, ` +
        `closed ${clean ? 'cleanly' : 'without closed'}; ${recordings.text}`,
    };
  },
};

export const pauseResumeStorm: Attack<AudioHookService> = {
  name: 'pause/resume storm',
  expected:
    'the session keeps recording: every frame sent while resumed is in the WAV, clean close',
  async run(service, mode) {
    const sessions = await openSessions(service, 3);
    const frame = toneFrame();
    for (let i = 0; i < mode.audiohook.pauseResumeCycles; i += 1) {
      for (const s of sessions) {
        s.audio(frame);
        const start = formatDuration(s.samples * 125_000);
        s.send('paused', {});
        s.send('resumed', { start, discarded: 'PT0S' });
      }
      if (i % 20 === 19) await Promise.all(sessions.map((s) => s.flushed()));
    }
    const disconnects = sessions.filter((s) => s.disconnect !== undefined).length;
    const clean = (await Promise.all(sessions.map((s) => s.close(10_000)))).filter(Boolean).length;
    const recordings = await verifyRecordings(service.recordings, expectations(sessions), 15_000);
    return {
      ok: disconnects === 0 && clean === sessions.length && recordings.ok,
      observed: `${sessions.length} sessions × ${mode.audiohook.pauseResumeCycles} pause/resume cycles: ${disconnects} disconnected, ${clean} closed cleanly; ${recordings.text}`,
    };
  },
};

/** Streams in real time (20 ms frames) until `stop()` is called or the server disconnects. */
function realTime(sessions: readonly HookSession[]): { stop(): void } {
  const frame = toneFrame();
  const timer = setInterval(() => {
    for (const s of sessions) s.audio(frame);
  }, 20);
  return { stop: () => clearInterval(timer) };
}

export const drainUnderLoad: Attack<AudioHookService> = {
  name: 'SIGTERM while sessions stream',
  expected:
    'the server drains: every session gets disconnect, closes, and its WAV holds every byte sent (also audio sent for 100 ms after the disconnect, before the client read it); exit 0',
  after: 'none',
  async run(service, mode): Promise<Verdict> {
    const sessions = await openSessions(service, mode.audiohook.drainSessions);
    // Like Genesys under load: audio keeps coming for a moment after the server's disconnect.
    for (const s of sessions) s.readsLateMs = 100;
    const streaming = realTime(sessions);
    await sleep(500);
    const t0 = performance.now();
    const exited = service.child.stop(DRAIN_TIMEOUT_MS + 15_000);
    await Promise.all(
      sessions.map((s) => s.until(() => s.has('closed'), DRAIN_TIMEOUT_MS + 10_000)),
    );
    streaming.stop();
    const tClosed = performance.now() - t0;
    const disconnected = sessions.filter((s) => s.disconnect !== undefined).length;
    const { code, signal } = await exited;
    const tExit = performance.now() - t0;
    for (const s of sessions) s.kill();
    const recordings = await verifyRecordings(service.recordings, expectations(sessions), 5000);
    return {
      ok: code === 0 && recordings.ok,
      observed: `${disconnected}/${sessions.length} got disconnect, all closed after ${(tClosed / 1000).toFixed(1)} s; server exit ${code ?? signal} after ${(tExit / 1000).toFixed(1)} s; ${recordings.text}`,
    };
  },
};

// The load driver: N concurrent stereo PCMU sessions in real time (200 ms frames, a ping every
// 5 s), in a process of its own so its CPU is not counted as the server's. It is deliberately
// lean: one precomputed frame, one 5 ms scheduler tick for all sessions, messages built with the
// protocol library's serializer.

import { randomUUID } from 'node:crypto';
import {
  createAudioHookHeaders,
  formatDuration,
  serializeMessage,
  type ClientMessage,
} from '@org/audiohook-protocol';
import WebSocket from 'ws';

/** What the orchestrator passes to the driver. */
export interface DriverConfig {
  readonly url: string;
  readonly sessions: number;
  /** Sessions are opened evenly over this many ms. */
  readonly rampMs: number;
  readonly apiKey: string;
  readonly clientSecret: string | null;
  readonly frameMs: number;
  readonly pingIntervalMs: number;
}

/** What the driver reports. */
export interface DriverResult {
  readonly sessions: number;
  readonly opened: number;
  readonly closedCleanly: number;
  /** Disconnects, unexpected closes, refused upgrades, server messages out of place. */
  readonly protocolErrors: number;
  readonly errorSamples: readonly string[];
  readonly openLatencyMs: readonly number[];
  readonly rttMs: readonly number[];
  readonly framesSent: number;
  /** Largest lateness of the scheduler tick, ms (a driver overload shows here). */
  readonly maxTickLagMs: number;
}

const SLOT_MS = 5;

/** One 200 ms stereo frame of a 1 kHz tone in μ-law (the 8-sample pattern repeats exactly). */
function toneFrame(frameMs: number): Uint8Array {
  const pattern = [0xff, 0x0d, 0x06, 0x0d, 0xff, 0x8d, 0x86, 0x8d];
  const samples = (frameMs * 8000) / 1000;
  const frame = new Uint8Array(samples * 2);
  for (let i = 0; i < samples; i++) {
    const value = pattern[i % 8] as number;
    frame[2 * i] = value;
    frame[2 * i + 1] = value;
  }
  return frame;
}

interface DriverSession {
  readonly id: string;
  readonly orgId: string;
  readonly slot: number;
  socket: WebSocket | undefined;
  seq: number;
  serverSeq: number;
  samples: number;
  state: 'connecting' | 'opening' | 'active' | 'closing' | 'done';
  openSentAt: number;
  pingSentAt: number | undefined;
  lastPingAt: number;
  clean: boolean;
}

/**
 * Runs the load until `stop` resolves, then closes every session (`close` → `closed`).
 * `onRamped` fires once every session has opened (or failed).
 */
export async function drive(
  config: DriverConfig,
  stop: Promise<void>,
  onRamped: () => void,
): Promise<DriverResult> {
  const frame = toneFrame(config.frameMs);
  const slots = Math.max(1, Math.round(config.frameMs / SLOT_MS));
  const samplesPerFrame = (config.frameMs * 8000) / 1000;
  const url = new URL(config.url);
  const openLatencyMs: number[] = [];
  const rttMs: number[] = [];
  const errorSamples: string[] = [];
  let protocolErrors = 0;
  let framesSent = 0;
  let settled = 0;
  let opened = 0;
  let closedCleanly = 0;
  let ramped = false;
  const sessions: DriverSession[] = [];

  const error = (session: DriverSession, what: string) => {
    protocolErrors++;
    if (errorSamples.length < 20) errorSamples.push(`${session.id}: ${what}`);
  };
  const settle = () => {
    settled++;
    if (!ramped && settled === config.sessions) {
      ramped = true;
      onRamped();
    }
  };
  const send = (session: DriverSession, type: string, parameters: Record<string, unknown>) => {
    session.seq++;
    const message = {
      version: '2',
      id: session.id,
      type,
      seq: session.seq,
      serverseq: session.serverSeq,
      position: formatDuration(session.samples * 125_000),
      parameters,
    } as unknown as ClientMessage;
    session.socket?.send(serializeMessage(message));
  };

  const start = (session: DriverSession) => {
    const headers = createAudioHookHeaders({
      organizationId: session.orgId,
      sessionId: session.id,
      correlationId: randomUUID(),
      apiKey: config.apiKey,
      clientSecret: config.clientSecret,
      requestTarget: `${url.pathname}${url.search}`,
      authority: url.host,
    });
    const socket = new WebSocket(url, { headers, perMessageDeflate: false });
    session.socket = socket;
    socket.on('open', () => {
      session.state = 'opening';
      session.openSentAt = performance.now();
      send(session, 'open', {
        organizationId: session.orgId,
        conversationId: randomUUID(),
        participant: {
          id: randomUUID(),
          ani: '+15555551234',
          aniName: 'Load',
          dnis: '+18005556789',
        },
        media: [
          { type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 },
          { type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 },
        ],
      });
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return error(session, 'binary from server');
      const message = JSON.parse(String(data)) as {
        type: string;
        seq: number;
        parameters: Record<string, unknown>;
      };
      session.serverSeq = message.seq;
      switch (message.type) {
        case 'opened':
          session.state = 'active';
          session.lastPingAt = performance.now();
          openLatencyMs.push(performance.now() - session.openSentAt);
          opened++;
          settle();
          break;
        case 'pong':
          if (session.pingSentAt !== undefined) rttMs.push(performance.now() - session.pingSentAt);
          session.pingSentAt = undefined;
          break;
        case 'closed':
          session.clean = true;
          closedCleanly++;
          socket.close();
          break;
        case 'disconnect':
          error(session, `disconnect ${JSON.stringify(message.parameters)}`);
          if (session.state === 'opening') settle();
          session.state = 'closing';
          send(session, 'close', { reason: 'disconnect' });
          break;
        case 'event':
          break;
        default:
          error(session, `unexpected ${message.type}`);
      }
    });
    socket.on('unexpected-response', (_req, res) => {
      error(session, `upgrade refused: HTTP ${res.statusCode ?? '?'}`);
      res.resume();
      socket.terminate();
    });
    socket.on('error', (e) => {
      if (session.state === 'connecting') error(session, `connect: ${e.message}`);
    });
    socket.on('close', (code) => {
      const wasOpening = session.state === 'connecting' || session.state === 'opening';
      if (!session.clean && session.state !== 'done') error(session, `socket closed (${code})`);
      session.state = 'done';
      if (wasOpening) settle();
      if (session.clean || !wasOpening) finishedWaiters.forEach((w) => w());
    });
  };

  const finishedWaiters: (() => void)[] = [];
  for (let i = 0; i < config.sessions; i++) {
    const session: DriverSession = {
      id: randomUUID(),
      orgId: randomUUID(),
      slot: i % slots,
      socket: undefined,
      seq: 0,
      serverSeq: 0,
      samples: 0,
      state: 'connecting',
      openSentAt: 0,
      pingSentAt: undefined,
      lastPingAt: 0,
      clean: false,
    };
    sessions.push(session);
  }
  const startTimers = sessions.map((session, i) =>
    setTimeout(() => start(session), (config.rampMs * i) / Math.max(1, config.sessions)),
  );

  // One tick every 5 ms serves one slot of sessions: frames spread evenly over each 200 ms.
  let tick = 0;
  let maxTickLagMs = 0;
  const t0 = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const due = t0 + tick * SLOT_MS;
    maxTickLagMs = Math.max(maxTickLagMs, now - due - SLOT_MS);
    // Catch up on missed slots so every session keeps real time.
    while (t0 + tick * SLOT_MS <= now) {
      const slot = tick % slots;
      tick++;
      for (const session of sessions) {
        if (session.slot !== slot || session.state !== 'active') continue;
        session.socket?.send(frame);
        session.samples += samplesPerFrame;
        framesSent++;
        if (now - session.lastPingAt >= config.pingIntervalMs && session.pingSentAt === undefined) {
          session.lastPingAt = now;
          session.pingSentAt = performance.now();
          send(session, 'ping', rttMs.length === 0 ? {} : { rtt: 'PT0.001S' });
        }
      }
    }
  }, SLOT_MS);

  await stop;
  startTimers.forEach((t) => clearTimeout(t));
  clearInterval(timer);
  for (const session of sessions) {
    if (session.state === 'active') {
      session.state = 'closing';
      send(session, 'close', { reason: 'end' });
    } else if (session.state === 'connecting' || session.state === 'opening') {
      session.socket?.terminate();
    }
  }
  // Wait for every `closed` (or 15 s).
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(resolve, 15_000);
    const check = () => {
      if (sessions.every((s) => s.state === 'done')) {
        clearTimeout(deadline);
        resolve();
      }
    };
    finishedWaiters.push(check);
    check();
  });
  for (const session of sessions) {
    if (session.state !== 'done') {
      error(session, 'no closed within 15 s');
      session.socket?.terminate();
    }
  }
  return {
    sessions: config.sessions,
    opened,
    closedCleanly,
    protocolErrors,
    errorSamples,
    openLatencyMs,
    rttMs,
    framesSent,
    maxTickLagMs: Math.round(maxTickLagMs * 10) / 10,
  };
}

/** Entry point when run as the driver process: config as JSON in argv[2]; "stop" on stdin. */
export async function driverMain(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as DriverConfig;
  const stop = new Promise<void>((resolve) => {
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (text: string) => {
      if (text.includes('stop')) resolve();
    });
    process.stdin.on('end', () => resolve());
  });
  const result = await drive(config, stop, () => {
    process.stdout.write(`${JSON.stringify({ event: 'ramped' })}\n`);
  });
  process.stdin.pause();
  process.stdout.write(`${JSON.stringify({ event: 'done', result })}\n`);
}

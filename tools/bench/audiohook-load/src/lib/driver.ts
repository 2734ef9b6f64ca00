// The load driver: N stereo PCMU sessions in real time (200 ms frames, a ping every 5 s), in a
// process of its own so its CPU is not counted as the server's. It is deliberately lean: one
// precomputed frame, one 5 ms scheduler tick serving one slot of sessions, messages built with
// the protocol library's serializer.
//
// Two shapes: steady (sessions opened over the ramp, streaming until told to stop, then closed)
// and churn (sessions opened at a fixed rate, each closing itself `sessionMs` after `opened`).

import { DriverSession, newTally, type DriverContext, type DriverTally } from './driver-session';

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
  /**
   * Churn: each session closes itself this long after `opened` (0: right away, no audio), and the
   * driver finishes once every session has. Absent: steady state until "stop".
   */
  readonly sessionMs?: number;
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
  /** `close` → `closed`. */
  readonly closeLatencyMs: readonly number[];
  readonly rttMs: readonly number[];
  readonly framesSent: number;
  /** Largest lateness of the scheduler tick, ms (a driver overload shows here). */
  readonly maxTickLagMs: number;
  /** CPU the driver process used (user + system) over `wallMs`, ms. */
  readonly cpuMs: number;
  readonly wallMs: number;
}

const SLOT_MS = 5;
/** How long the driver waits for every `closed` once it stops (or the last churn session). */
const CLOSE_WAIT_MS = 15_000;

/** One 200 ms stereo frame of a 1 kHz tone in μ-law (the 8-sample pattern repeats exactly). */
export function toneFrame(frameMs: number): Uint8Array {
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

/**
 * One tick every 5 ms serves one slot of sessions, so frames are spread evenly over each frame
 * period; missed slots are caught up so every session keeps real time.
 */
class Scheduler {
  readonly #slots: DriverSession[][];
  readonly #t0 = performance.now();
  #tick = 0;
  #timer: NodeJS.Timeout | undefined;
  maxLagMs = 0;

  constructor(sessions: readonly DriverSession[], slotCount: number) {
    this.#slots = Array.from({ length: slotCount }, () => []);
    for (const session of sessions) this.#slots[session.slot]?.push(session);
  }

  start(): void {
    this.#timer = setInterval(() => this.#run(), SLOT_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #run(): void {
    const now = performance.now();
    this.maxLagMs = Math.max(this.maxLagMs, now - (this.#t0 + this.#tick * SLOT_MS) - SLOT_MS);
    while (this.#t0 + this.#tick * SLOT_MS <= now) {
      const slot = this.#slots[this.#tick % this.#slots.length] as DriverSession[];
      this.#tick++;
      for (const session of slot) session.tick(now);
    }
  }
}

/** Resolves once `done()` holds (checked at every session end), or after `timeoutMs`. */
function whenDone(done: () => boolean, waiters: (() => void)[], timeoutMs?: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const deadline = timeoutMs === undefined ? undefined : setTimeout(finish, timeoutMs);
    function finish(): void {
      clearTimeout(deadline);
      resolve();
    }
    const check = (): void => {
      if (done()) finish();
    };
    waiters.push(check);
    check();
  });
}

function result(
  config: DriverConfig,
  tally: DriverTally,
  scheduler: Scheduler,
  started: { readonly cpu: NodeJS.CpuUsage; readonly wall: number },
): DriverResult {
  const cpu = process.cpuUsage(started.cpu);
  return {
    sessions: config.sessions,
    opened: tally.opened,
    closedCleanly: tally.closedCleanly,
    protocolErrors: tally.protocolErrors,
    errorSamples: tally.errorSamples,
    openLatencyMs: tally.openLatencyMs,
    closeLatencyMs: tally.closeLatencyMs,
    rttMs: tally.rttMs,
    framesSent: tally.framesSent,
    maxTickLagMs: Math.round(scheduler.maxLagMs * 10) / 10,
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    wallMs: Math.round(performance.now() - started.wall),
  };
}

/**
 * Runs the load until `stop` resolves (steady) or every session has closed itself (churn), then
 * closes what is still open (`close` → `closed`). `onRamped` fires once every session has opened
 * (or failed).
 */
export async function drive(
  config: DriverConfig,
  stop: Promise<void>,
  onRamped: () => void,
): Promise<DriverResult> {
  const started = { cpu: process.cpuUsage(), wall: performance.now() };
  const tally = newTally();
  const waiters: (() => void)[] = [];
  let settled = 0;
  const context: DriverContext = {
    url: new URL(config.url),
    apiKey: config.apiKey,
    clientSecret: config.clientSecret,
    frame: toneFrame(config.frameMs),
    samplesPerFrame: (config.frameMs * 8000) / 1000,
    pingIntervalMs: config.pingIntervalMs,
    sessionMs: config.sessionMs,
    tally,
    onSettled: () => {
      if (++settled === config.sessions) onRamped();
    },
    onDone: () => waiters.forEach((w) => w()),
  };
  const slotCount = Math.max(1, Math.round(config.frameMs / SLOT_MS));
  const sessions = Array.from(
    { length: config.sessions },
    (_, i) => new DriverSession(context, i % slotCount),
  );
  const spacing = config.rampMs / Math.max(1, config.sessions);
  const startTimers = sessions.map((session, i) => setTimeout(() => session.start(), spacing * i));
  const scheduler = new Scheduler(sessions, slotCount);
  scheduler.start();

  let ended = 0;
  waiters.push(() => ended++);
  // Churn sessions close themselves; the driver is done when the last one has.
  const churnDone = whenDone(() => ended === config.sessions, waiters);
  await (config.sessionMs === undefined ? stop : Promise.race([stop, churnDone]));
  startTimers.forEach((t) => clearTimeout(t));
  scheduler.stop();
  const neverStarted = sessions.filter((s) => s.state === 'idle').length;
  for (const session of sessions) {
    if (session.state === 'active') session.close('end');
    else if (session.state === 'connecting' || session.state === 'opening') session.terminate();
  }
  await whenDone(() => ended + neverStarted === config.sessions, waiters, CLOSE_WAIT_MS);
  for (const session of sessions) session.abandon(`no closed within ${CLOSE_WAIT_MS / 1000} s`);
  return result(config, tally, scheduler, started);
}

/**
 * Entry point when run as the driver process: config as JSON in argv[2]. It says `ready`, starts
 * on "go" and, in the steady shape, stops on "stop" (both on stdin).
 */
export async function driverMain(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as DriverConfig;
  let go!: () => void;
  let stop!: () => void;
  const started = new Promise<void>((resolve) => (go = resolve));
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (text: string) => {
    if (text.includes('go')) go();
    if (text.includes('stop')) stop();
  });
  process.stdin.on('end', () => stop());
  process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
  await started;
  const outcome = await drive(config, stopped, () => {
    process.stdout.write(`${JSON.stringify({ event: 'ramped' })}\n`);
  });
  process.stdin.pause();
  process.stdout.write(`${JSON.stringify({ event: 'done', result: outcome })}\n`);
}

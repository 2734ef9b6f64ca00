// Throws malformed frames at ServerSession instances and counts crashes: exceptions escaping a
// session's frame handlers, unhandled rejections, and sessions left in an impossible state.

import {
  ServerSession,
  type AudioHookTransport,
  type Clock,
  type TransportHandlers,
} from '@org/audiohook-protocol/session';
import { flushMicrotasks } from '@org/audiohook-protocol/testing';
import { CATEGORIES, GENERATORS, createRandom, validOpen } from './frames';

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  /** Malformed frames to deliver. */
  readonly frames: number;
  /** PRNG seed. */
  readonly seed: number;
  /** Frames between pauses that let async session work (open pipelines) run. @default 1000 */
  readonly batch?: number;
  /** Opened sessions kept ready to replace a session that stopped accepting input. @default 500 */
  readonly poolSize?: number;
}

/** What a run found. */
export interface FuzzReport {
  readonly frames: number;
  readonly seconds: number;
  /** Frames per second of the whole run (generating frames and sessions included). */
  readonly framesPerSecond: number;
  /** Time spent inside the sessions' frame handlers. */
  readonly handlerSeconds: number;
  /** Frames per second of handler time only (what a server spends per malformed frame). */
  readonly handledPerSecond: number;
  readonly crashes: number;
  readonly crashSamples: string[];
  readonly sessions: number;
  readonly disconnects: number;
  readonly byCategory: Record<string, number>;
  readonly byInfo: Record<string, number>;
}

/** A clock whose timers never fire: the fuzz run measures frame handling, not timeouts. */
const inertClock: Clock = {
  now: () => Date.now(),
  setTimeout: () => 0,
  clearTimeout: () => undefined,
};

class DirectTransport implements AudioHookTransport {
  handlers: TransportHandlers | undefined;
  readonly sent: string[] = [];
  attach(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }
  sendText(text: string): void {
    if (this.sent.length < 8) this.sent.push(text);
  }
  sendBinary(): void {
    // Audio replies are not inspected by the fuzzer.
  }
  close(): void {
    // Sessions are dropped, not closed: the fuzzer only drives their frame handlers.
  }
  pause(): void {
    // Frames are pushed by the fuzzer itself; nothing to stop reading.
  }
  resume(): void {
    // See pause().
  }
}

interface Target {
  readonly session: ServerSession;
  readonly transport: DirectTransport;
  seq: number;
}

const ACCEPTING = new Set(['PREPARING', 'OPENING', 'ACTIVE', 'PAUSED']);
const KNOWN_STATES = new Set([
  'PREPARING',
  'OPENING',
  'ACTIVE',
  'PAUSED',
  'CLOSING',
  'CLOSED',
  'FINALIZING',
  'DISCONNECTED',
  'DISCONNECTING',
  'SIGNALED-ERROR',
  'UNAUTHORIZED',
]);

/** Counters of one run, filled as it goes. */
interface Tally {
  crashes: number;
  readonly crashSamples: string[];
  sessions: number;
  disconnects: number;
  readonly byCategory: Record<string, number>;
  readonly byInfo: Record<string, number>;
}

function crashRecorder(tally: Tally): (what: string) => void {
  return (what) => {
    tally.crashes++;
    if (tally.crashSamples.length < 10) tally.crashSamples.push(what);
  };
}

/** Creates sessions (opened ones get a valid `open`) and counts their `disconnect` infos. */
function targetFactory(tally: Tally): (open: boolean) => Target {
  return (open) => {
    tally.sessions++;
    const transport = new DirectTransport();
    const session = new ServerSession({
      transport,
      id: '6e1c4f3a-2b5d-4c8e-9f01-23456789abcd',
      clock: inertClock,
      unauthorizedDelayMs: 0,
      disconnectTimeoutMs: 0,
      closedLingerMs: 0,
    });
    session.on('serverMessage', (message) => {
      if (message.type !== 'disconnect') return;
      tally.disconnects++;
      const info = (message.parameters as { info?: string }).info ?? '';
      const key = info
        .replace(/\d+/g, 'N')
        .replace(/'[^']*'/g, "'…'")
        .slice(0, 80);
      tally.byInfo[key] = (tally.byInfo[key] ?? 0) + 1;
    });
    const target = { session, transport, seq: 0 };
    if (open) {
      transport.handlers?.onText(validOpen());
      target.seq = 1;
    }
    return target;
  };
}

/** Opened sessions need a few microtask turns to reach ACTIVE; keeps a pool of them ready. */
function targetPool(
  newTarget: (open: boolean) => Target,
  random: () => number,
  poolSize: number,
): { refill(): Promise<void>; replace(): Target } {
  const ready: Target[] = [];
  return {
    refill: async () => {
      while (ready.length < poolSize) ready.push(newTarget(true));
      await flushMicrotasks(5);
    },
    replace: () => {
      const fromPool = random() < 0.5 ? ready.pop() : undefined;
      return fromPool !== undefined && fromPool.session.state === 'ACTIVE'
        ? fromPool
        : newTarget(false);
    },
  };
}

/**
 * Runs the fuzzer. Every session starts either fresh (PREPARING) or opened (ACTIVE); a session
 * that stopped accepting input is replaced, so every frame exercises live validation.
 *
 * @example
 * ```ts
 * const report = await runFuzz({ frames: 1_000_000, seed: 1 });
 * ```
 */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const random = createRandom(options.seed);
  const batch = options.batch ?? 1000;
  const tally: Tally = {
    crashes: 0,
    crashSamples: [],
    sessions: 0,
    disconnects: 0,
    byCategory: Object.fromEntries(CATEGORIES.map((c) => [c, 0])),
    byInfo: {},
  };
  const crash = crashRecorder(tally);
  const onRejection = (reason: unknown): void => crash(`unhandled rejection: ${String(reason)}`);
  const onException = (error: Error): void => crash(`uncaught exception: ${error.message}`);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  const pool = targetPool(targetFactory(tally), random, options.poolSize ?? 500);

  await pool.refill();
  let target = pool.replace();
  let handlerNanos = 0n;
  const started = process.hrtime.bigint();
  for (let i = 0; i < options.frames; i++) {
    if (i % batch === 0) {
      await pool.refill();
      if (!ACCEPTING.has(target.session.state)) target = pool.replace();
    }
    const category = CATEGORIES[Math.floor(random() * CATEGORIES.length)] as string;
    tally.byCategory[category] = (tally.byCategory[category] ?? 0) + 1;
    const frame = (
      GENERATORS[category] as (
        r: () => number,
        s: number,
      ) => ReturnType<(typeof GENERATORS)[string]>
    )(random, target.seq + 1);
    const before = process.hrtime.bigint();
    try {
      if (frame.kind === 'text') target.transport.handlers?.onText(frame.text);
      else target.transport.handlers?.onBinary(frame.data);
      handlerNanos += process.hrtime.bigint() - before;
    } catch (error) {
      crash(
        `${category}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
    const state = target.session.state;
    if (!KNOWN_STATES.has(state)) crash(`${category}: impossible state ${String(state)}`);
    if (!ACCEPTING.has(state)) target = pool.replace();
    else if (frame.kind === 'text') target.seq = target.session.clientSeq;
  }
  await flushMicrotasks(20);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const handlerSeconds = Number(handlerNanos) / 1e9;
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
  return {
    frames: options.frames,
    seconds,
    framesPerSecond: options.frames / seconds,
    handlerSeconds,
    handledPerSecond: options.frames / handlerSeconds,
    ...tally,
  };
}

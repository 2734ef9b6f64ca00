// The two processes of a benchmark run: the server under test (the built bundle, recording into a
// temporary LOG_ROOT_DIR, optionally under V8's CPU profiler) and the load driver.

import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DriverConfig, DriverResult } from './driver';

export const BENCH_API_KEY = 'bench-key';
export const BENCH_SECRET = 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=';

/** How to start the processes. */
export interface ProcessOptions {
  /** Command that starts the server (argv); it must log its listening address as JSON. */
  readonly serverCommand: readonly string[];
  /** Command that runs the driver (argv before the JSON config). */
  readonly driverCommand: readonly string[];
  readonly cwd: string;
  readonly recording: boolean;
  /** MAX_SESSIONS of the server. */
  readonly maxSessions: number;
  /** Extra server environment. */
  readonly serverEnv?: Record<string, string>;
  /** Write a V8 CPU profile of the server (`--cpu-prof`) into this folder. */
  readonly profileDir?: string;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function lines(child: ChildProcess, onLine: (line: string) => void): void {
  if (child.stdout !== null) createInterface({ input: child.stdout }).on('line', onLine);
}

/** Starts the server under test with the benchmark's settings (recording into `directory`). */
export function spawnServer(options: ProcessOptions, directory: string): ChildProcess {
  const [serverBin, ...serverArgs] = options.serverCommand;
  const profile =
    options.profileDir === undefined
      ? []
      : ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`, '--cpu-prof-interval=250'];
  return spawn(serverBin as string, [...profile, ...serverArgs], {
    cwd: options.cwd,
    env: {
      ...process.env,
      SERVERPORT: '0',
      SERVERHOST: '127.0.0.1',
      LOG_ROOT_DIR: directory,
      LOG_LEVEL: 'info',
      RECORDING_ENABLED: String(options.recording),
      MAX_SESSIONS: String(options.maxSessions),
      STATIC_API_KEY_MAP: JSON.stringify({ [BENCH_API_KEY]: BENCH_SECRET }),
      DRAIN_TIMEOUT_MS: '5000',
      // The bundle keeps `bufferutil` external (native); a copy of it outside the repository
      // (`--server /tmp/x/main.js`) would not find it and `ws` would unmask every frame in
      // JavaScript (about 3 µs more per 3,200-byte frame), skewing a comparison of builds.
      NODE_PATH: join(options.cwd, 'node_modules'),
      ...options.serverEnv,
    },
    // The server's log lines are read here (the listening address) and otherwise dropped.
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Resolves with the port the server logs once it listens. */
export function listeningPort(server: ChildProcess): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    lines(server, (line) => {
      const match = /"address":"[^"]*:(\d+)"/.exec(line);
      if (match !== null) resolve(Number(match[1]));
    });
    server.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
  });
}

/** Stops the server with SIGTERM and waits for it to exit (and write its profile). */
export async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.kill('SIGTERM');
  await exited;
}

/**
 * A running driver: `ready` once it can start (then `go()`), `ramped` once every session opened
 * (or failed), `done` with its result.
 */
export interface DriverRun {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** Starts the sessions. */
  go(): void;
  readonly ramped: Promise<void>;
  readonly done: Promise<DriverResult>;
  /** Tells a steady-state driver to close its sessions and finish. */
  stop(): void;
}

/** Spawns the driver process with `config`. */
export function spawnDriver(options: ProcessOptions, config: DriverConfig): DriverRun {
  const [driverBin, ...driverArgs] = options.driverCommand;
  const child = spawn(driverBin as string, [...driverArgs, JSON.stringify(config)], {
    cwd: options.cwd,
    // tsx resolves the @org/* paths through the bench's tsconfig.
    env: { ...process.env, TSX_TSCONFIG_PATH: 'tools/bench/audiohook-load/tsconfig.json' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let resolveReady!: () => void;
  let rejectReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  let resolveRamped!: () => void;
  let rejectRamped!: (error: Error) => void;
  const ramped = new Promise<void>((resolve, reject) => {
    resolveRamped = resolve;
    rejectRamped = reject;
  });
  const done = new Promise<DriverResult>((resolve, reject) => {
    lines(child, (line) => {
      const message = JSON.parse(line) as { event: string; result?: DriverResult };
      if (message.event === 'ready') resolveReady();
      if (message.event === 'ramped') resolveRamped();
      if (message.event === 'done' && message.result !== undefined) resolve(message.result);
    });
    child.once('exit', (code) => {
      const error = new Error(`driver exited (${code}) without a result`);
      rejectReady(error);
      rejectRamped(error);
      reject(error);
    });
  });
  ready.catch(() => undefined);
  ramped.catch(() => undefined);
  done.catch(() => undefined);
  return {
    child,
    ready,
    ramped,
    done,
    go: () => child.stdin?.write('go\n'),
    stop: () => child.stdin?.write('stop\n'),
  };
}

/** Finished recordings (sidecars) in LOG_ROOT_DIR itself. */
export async function finishedRecordings(directory: string): Promise<number> {
  const names = await readdir(directory);
  let count = 0;
  for (const name of names) if (name.endsWith('.json')) count++;
  return count;
}

/** `GET /health` of the server: its number of connected sessions. */
export async function serverSessions(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  const body = (await response.json()) as { sessions?: number };
  return body.sessions ?? 0;
}

/**
 * Waits until the server holds no session and, with recording on, `expected` recordings are
 * finished (moved out of the work folder), or `timeoutMs` passes. Resolves true when they were.
 */
export async function whenServerIdle(
  port: number,
  directory: string,
  expected: number | undefined,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  // Directory listings cost the server nothing; the health request is made once they match.
  while (performance.now() < deadline) {
    if (expected === undefined || (await finishedRecordings(directory)) >= expected) {
      if ((await serverSessions(port)) === 0) return true;
    }
    await sleep(20);
  }
  return false;
}

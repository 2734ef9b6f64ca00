// Child processes of the suite: every service, fake and Lambda host runs as a process of its own,
// in a process group of its own, so that stopping it (or the whole suite on SIGINT) ends its whole
// tree, never a process the suite did not start.

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collectGarbage, INSPECT_FLAG, inspectorUrl } from './inspector';

/** The workspace root, from tools/adversary/src/lib. */
export const ROOT = join(__dirname, '../../../..');

let distRoot = join(ROOT, 'dist');

/** Attack the builds in another `dist` folder (e.g. one built from an older commit). */
export function setDist(dir: string): void {
  distRoot = dir;
}

/** A path in the build output, e.g. `built('apps/audiohook-server/main.js')`. */
export function built(path: string): string {
  return join(distRoot, path);
}

/** Marks every process of this run (in its environment), so a test can prove none is left. */
export const RUN_ID = randomUUID();
export const RUN_ID_VARIABLE = 'ADVERSARY_RUN_ID';

/** What a child process left on stdout/stderr is kept up to this many characters. */
const OUTPUT_TAIL = 256 * 1024;

export interface ChildOptions {
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** Start under `ulimit -n <n>` (a lower open-file limit makes handle leaks show early). */
  readonly maxOpenFiles?: number;
  /** An IPC channel for `process.send` (Lambda hosts). */
  readonly ipc?: boolean;
  /** Open an inspector on a free loopback port (node only), for {@link Child.collectGarbage}. */
  readonly inspect?: boolean;
}

/** A running child process and what it printed. */
export class Child {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #output = '';
  #inspector: string | undefined;
  readonly #listeners = new Set<(text: string) => void>();

  constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    const take = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      this.#output = (this.#output + text).slice(-OUTPUT_TAIL);
      // Kept apart: the tail of a busy service's log soon loses its first lines.
      this.#inspector ??= inspectorUrl(this.#output);
      for (const listener of this.#listeners) listener(text);
    };
    process.stdout?.on('data', take);
    process.stderr?.on('data', take);
    this.exited = new Promise((resolve) => {
      process.once('exit', (code, signal) => {
        live.delete(this);
        resolve({ code, signal });
      });
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The last output (stdout and stderr interleaved). */
  output(): string {
    return this.#output;
  }

  /** Lines printed from now on that match `pattern`, counted. */
  countFrom(pattern: RegExp): () => number {
    let count = 0;
    let partial = '';
    this.#listeners.add((text) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (pattern.test(line)) count += 1;
    });
    return () => count;
  }

  /** Resolves with the first match of `pattern` in the output (also output printed before). */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const now = pattern.exec(this.#output);
    if (now !== null) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
      };
      const listener = (): void => {
        const match = pattern.exec(this.#output);
        if (match === null) return;
        done();
        resolve(match);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      this.#listeners.add(listener);
      void this.exited.then(({ code, signal }) => {
        if (!this.#listeners.has(listener)) return;
        done();
        reject(
          new Error(`${this.name} exited (${code ?? signal}) before ${pattern}:\n${this.tail()}`),
        );
      });
    });
  }

  /** The last lines of output, for error messages. */
  tail(characters = 2000): string {
    return this.#output.slice(-characters);
  }

  /**
   * A full garbage collection in the process (started with `inspect`); the heap in use after it,
   * in bytes, or `undefined` without an inspector.
   */
  async collectGarbage(): Promise<number | undefined> {
    const url = this.#inspector;
    return url === undefined || !this.running ? undefined : collectGarbage(url);
  }

  /** SIGTERM, then SIGKILL of the whole group after `graceMs`. Resolves once it exited. */
  async stop(graceMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) {
      signal(this.pid, 'SIGTERM', false);
      const timer = setTimeout(() => this.kill(), graceMs);
      const result = await this.exited;
      clearTimeout(timer);
      signal(this.pid, 'SIGKILL', true);
      return result;
    }
    signal(this.pid, 'SIGKILL', true);
    return this.exited;
  }

  /** SIGKILL to the whole process group (the process and everything it started). */
  kill(): void {
    signal(this.pid, 'SIGKILL', true);
  }
}

function signal(pid: number, name: NodeJS.Signals, group: boolean): void {
  if (pid <= 0) return;
  try {
    process.kill(group ? -pid : pid, name);
  } catch {
    // Already gone.
  }
}

const live = new Set<Child>();

/**
 * Starts `command args` in a new process group, with the run marker in its environment.
 *
 * @example
 * ```ts
 * const server = startChild('audiohook-server', process.execPath, ['dist/apps/audiohook-server/main.js']);
 * await server.waitFor(/listening/, 10_000);
 * await server.stop();
 * ```
 */
export function startChild(
  name: string,
  command: string,
  args: readonly string[],
  options: ChildOptions = {},
): Child {
  const env = { ...process.env, ...options.env, [RUN_ID_VARIABLE]: RUN_ID };
  const stdio: StdioOptions = options.ipc
    ? ['ignore', 'pipe', 'pipe', 'ipc']
    : ['ignore', 'pipe', 'pipe'];
  // `exec` keeps the pid: the limit applies to the service itself, not to a shell around it.
  const all = options.inspect === true ? [INSPECT_FLAG, ...args] : [...args];
  const [bin, argv] =
    options.maxOpenFiles === undefined
      ? [command, all]
      : ['/bin/sh', ['-c', `ulimit -n ${options.maxOpenFiles} && exec "$0" "$@"`, command, ...all]];
  const proc = spawn(bin, argv, { cwd: options.cwd ?? ROOT, env, stdio, detached: true });
  proc.on('error', () => undefined);
  const child = new Child(name, proc);
  live.add(child);
  return child;
}

/** Starts a TypeScript file with tsx (fakes and hosts that are not built). */
export function startTsx(
  name: string,
  script: string,
  tsconfig: string,
  options: ChildOptions & { readonly args?: readonly string[] } = {},
): Child {
  return startChild(name, process.execPath, ['--import', 'tsx', script, ...(options.args ?? [])], {
    ...options,
    env: { TSX_TSCONFIG_PATH: tsconfig, ...options.env },
  });
}

const temporary = new Set<string>();

/** A new temporary folder, removed by {@link removeTemporary} (also when the suite is interrupted). */
export async function temporaryDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  temporary.add(dir);
  return dir;
}

/** Removes a folder made by {@link temporaryDir}. */
export async function removeTemporary(dir: string): Promise<void> {
  temporary.delete(dir);
  await rm(dir, { recursive: true, force: true });
}

/** Kills every child still running and removes the temporary folders (synchronous, for exit). */
export function killAll(): void {
  for (const child of live) child.kill();
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
  temporary.clear();
}

/** Stops every child still running, gracefully first. */
export async function stopAll(graceMs = 5000): Promise<void> {
  await Promise.all([...live].map((child) => child.stop(graceMs)));
}

/**
 * On SIGINT/SIGTERM (and at exit), kill every child before this process ends. Returns a function
 * that removes the handlers.
 */
export function killChildrenOnExit(): () => void {
  const onSignal = (name: NodeJS.Signals): void => {
    killAll();
    process.exit(name === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', killAll);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', killAll);
  };
}

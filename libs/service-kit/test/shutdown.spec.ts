import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import {
  createLogger,
  installShutdown,
  runService,
  type ProcessLike,
  type ShutdownTimers,
} from '../src';
import { captureLogs } from '../src/testing';

class FakeProcess extends EventEmitter {
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
    this.emit('exited', code);
  }
  exited(): Promise<number> {
    return new Promise((resolve) => this.once('exited', resolve));
  }
}

class FakeTimers implements ShutdownTimers {
  readonly pending = new Map<number, { callback: () => void; ms: number }>();
  #next = 0;
  setTimeout(callback: () => void, ms: number): unknown {
    this.#next += 1;
    this.pending.set(this.#next, { callback, ms });
    return this.#next;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fireAll(): void {
    for (const [id, timer] of [...this.pending]) {
      this.pending.delete(id);
      timer.callback();
    }
  }
}

function setup(stop: () => Promise<void>, options: { unhandledRejection?: 'exit' | 'log' } = {}) {
  const logs = captureLogs();
  const logger = createLogger({ service: 's', destination: logs.destination });
  const proc = new FakeProcess();
  const timers = new FakeTimers();
  const handle = installShutdown({
    logger,
    stop,
    deadlineMs: 5000,
    process: proc as ProcessLike,
    timers,
    ...options,
  });
  return { logs, proc, timers, handle };
}

describe('installShutdown', () => {
  it('runs stop once on SIGTERM, logs, and exits 0', async () => {
    let stops = 0;
    const { logs, proc, timers, handle } = setup(async () => {
      stops += 1;
    });
    const exited = proc.exited();
    proc.emit('SIGTERM', 'SIGTERM');
    expect(timers.pending.size).toBe(1);
    expect([...timers.pending.values()][0]?.ms).toBe(5000);
    expect(await exited).toBe(0);
    expect(stops).toBe(1);
    expect(handle.stopping).toBe(true);
    expect(timers.pending.size).toBe(0);
    expect(logs.lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'shutting down'],
      ['info', 'stopped'],
    ]);
    expect(logs.lines[0]).toMatchObject({ reason: 'SIGTERM', deadlineMs: 5000 });
    handle.dispose();
    expect(proc.listenerCount('SIGTERM')).toBe(0);
    expect(proc.listenerCount('uncaughtException')).toBe(0);
  });

  it('exits 1 at once on a second signal while stopping', async () => {
    let stops = 0;
    const { logs, proc } = setup(() => {
      stops += 1;
      return new Promise<void>(() => undefined);
    });
    proc.emit('SIGINT', 'SIGINT');
    const exited = proc.exited();
    proc.emit('SIGTERM', 'SIGTERM');
    expect(await exited).toBe(1);
    expect(stops).toBe(1);
    expect(logs.find('second signal: exiting now')[0]).toMatchObject({
      level: 'warn',
      signal: 'SIGTERM',
    });
  });

  it('exits 1 when stop passes the deadline', async () => {
    const { logs, proc, timers } = setup(() => new Promise<void>(() => undefined));
    proc.emit('SIGTERM', 'SIGTERM');
    const exited = proc.exited();
    timers.fireAll();
    expect(await exited).toBe(1);
    expect(logs.find('shutdown deadline passed: exiting')[0]).toMatchObject({
      level: 'error',
      code: 'SVC_ERR_SHUTDOWN_TIMEOUT',
    });
    expect(proc.exits).toEqual([1]);
  });

  it('exits 1 when stop fails', async () => {
    const { logs, proc } = setup(async () => {
      throw new Error('disk full');
    });
    const exited = proc.exited();
    proc.emit('SIGTERM', 'SIGTERM');
    expect(await exited).toBe(1);
    expect(logs.find('shutdown failed')[0]).toMatchObject({
      code: 'SVC_ERR_SHUTDOWN_FAILED',
      err: { message: 'disk full' },
    });
  });

  it('logs an uncaught exception as fatal and exits 1 without running stop', async () => {
    let stops = 0;
    const { logs, proc } = setup(async () => {
      stops += 1;
    });
    const exited = proc.exited();
    proc.emit('uncaughtException', new Error('boom'));
    expect(await exited).toBe(1);
    expect(stops).toBe(0);
    expect(logs.lines[0]).toMatchObject({
      level: 'fatal',
      code: 'SVC_ERR_UNCAUGHT',
      msg: 'uncaught exception',
      err: { type: 'Error', message: 'boom' },
    });
  });

  it('exits 1 on an unhandled rejection, or only logs it when asked to', async () => {
    const exiting = setup(async () => undefined);
    const exited = exiting.proc.exited();
    exiting.proc.emit('unhandledRejection', new Error('lost'));
    expect(await exited).toBe(1);
    expect(exiting.logs.lines[0]).toMatchObject({ level: 'fatal', msg: 'unhandled rejection' });

    const logging = setup(async () => undefined, { unhandledRejection: 'log' });
    logging.proc.emit('unhandledRejection', 'plain reason');
    expect(logging.logs.lines[0]).toMatchObject({
      level: 'error',
      code: 'SVC_ERR_UNCAUGHT',
      err: 'plain reason',
    });
    expect(logging.proc.exits).toEqual([]);
  });

  it('rejects a deadline a Node.js timer cannot keep instead of exiting 1 after 1 ms', () => {
    const logger = createLogger({ service: 's', destination: captureLogs().destination });
    const proc = new FakeProcess();
    for (const deadlineMs of [2_592_005_000, 2 ** 31, Infinity, Number.NaN, 0, -5]) {
      expect(() =>
        installShutdown({
          logger,
          stop: () => undefined,
          deadlineMs,
          process: proc as ProcessLike,
        }),
      ).toThrow(
        expect.objectContaining({
          name: 'ServiceKitError',
          code: 'SVC_ERR_DURATION',
          message: expect.stringContaining('deadlineMs') as unknown as string,
        }) as unknown as Error,
      );
    }
    expect(proc.listenerCount('SIGTERM')).toBe(0); // nothing installed
    const handle = installShutdown({
      logger,
      stop: () => undefined,
      deadlineMs: 2_147_483_647,
      process: proc as ProcessLike,
    });
    handle.dispose();
  });

  it('keeps the process alive for the whole stop with the longest deadline (real timers)', async () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 's', destination: logs.destination });
    const proc = new FakeProcess();
    let stopped = false;
    const handle = installShutdown({
      logger,
      deadlineMs: 2_147_483_647,
      process: proc as ProcessLike,
      stop: () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            stopped = true;
            resolve();
          }, 100),
        ),
    });
    proc.emit('SIGTERM', 'SIGTERM');
    expect(await proc.exited()).toBe(0);
    expect(stopped).toBe(true);
    expect(logs.find('shutdown deadline passed: exiting')).toEqual([]);
    handle.dispose();
  });
});

describe('runService', () => {
  it('returns the start result', async () => {
    const proc = new FakeProcess();
    const logs = captureLogs();
    const { result, handle } = await runService({
      logger: createLogger({ service: 's', destination: logs.destination }),
      start: async () => 42,
      stop: async () => undefined,
      process: proc as ProcessLike,
      timers: new FakeTimers(),
    });
    expect(result).toBe(42);
    handle.dispose();
  });

  it('logs a failed start as fatal, runs stop, and exits 1', async () => {
    const proc = new FakeProcess();
    const logs = captureLogs();
    let stopped = false;
    const exited = proc.exited();
    const { result } = await runService({
      logger: createLogger({ service: 's', destination: logs.destination }),
      start: async () => {
        throw new Error('EADDRINUSE');
      },
      stop: async () => {
        stopped = true;
      },
      process: proc as ProcessLike,
      timers: new FakeTimers(),
    });
    expect(result).toBeUndefined();
    expect(await exited).toBe(1);
    expect(stopped).toBe(true);
    expect(logs.lines[0]).toMatchObject({
      level: 'fatal',
      code: 'SVC_ERR_START_FAILED',
      err: { message: 'EADDRINUSE' },
    });
  });
});

describe('a real service process', () => {
  const root = join(__dirname, '../../..');

  function run(mode: string, signal?: NodeJS.Signals) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'fixtures/service-process.ts'), mode],
      {
        cwd: root,
        env: { ...process.env, TSX_TSCONFIG_PATH: 'libs/service-kit/tsconfig.json' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (signal !== undefined && out.includes('"msg":"ready"') && child.exitCode === null) {
        child.kill(signal);
        signal = undefined;
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    return new Promise<{ code: number | null; lines: Record<string, unknown>[]; err: string }>(
      (resolve) =>
        child.once('close', (code) =>
          resolve({
            code,
            err,
            lines: out
              .split('\n')
              .filter((line) => line !== '')
              .map((line) => JSON.parse(line) as Record<string, unknown>),
          }),
        ),
    );
  }

  it('on SIGTERM drains, flushes every buffered line and exits 0', async () => {
    const { code, lines, err } = await run('graceful', 'SIGTERM');
    expect(err).toBe('');
    expect(code).toBe(0);
    const messages = lines.map((l) => l['msg']);
    expect(messages.filter((m) => m === 'started work')).toHaveLength(50);
    expect(messages.slice(-3)).toEqual(['shutting down', 'drained', 'stopped']);
    expect(lines.at(-1)).toMatchObject({ level: 'info', service: 'fixture', reason: 'SIGTERM' });
  }, 30_000);

  it('exits 1 when the stop passes the deadline', async () => {
    const { code, lines } = await run('hang', 'SIGTERM');
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatchObject({ code: 'SVC_ERR_SHUTDOWN_TIMEOUT' });
  }, 30_000);

  it('on a crash writes the fatal line after the buffered ones and exits 1', async () => {
    const { code, lines } = await run('crash');
    expect(code).toBe(1);
    expect(lines.filter((l) => l['msg'] === 'started work')).toHaveLength(50);
    expect(lines.at(-1)).toMatchObject({
      level: 'fatal',
      code: 'SVC_ERR_UNCAUGHT',
      msg: 'uncaught exception',
      err: { message: 'boom' },
    });
  }, 30_000);
});

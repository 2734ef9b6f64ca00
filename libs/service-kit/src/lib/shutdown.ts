// Graceful start and stop of a service process. SIGTERM/SIGINT run the app's stop once within a
// deadline, then the logger is flushed and the process exits 0; a second signal or the deadline
// forces exit 1. An uncaught exception or unhandled rejection is logged as fatal, flushed, exit 1.

import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ServiceKitErrorCode } from './errors';
import { flushLogger } from './logger';
import { checkTimerMs } from './timer-range';

/** The part of `process` the shutdown handler uses (tests pass an EventEmitter). */
export type ProcessLike = Pick<EventEmitter, 'on' | 'removeListener'> & {
  exit(code: number): void;
};

/** Timers the shutdown handler uses (tests pass fakes). */
export interface ShutdownTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: ShutdownTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Options of {@link installShutdown}. */
export interface ShutdownOptions {
  readonly logger: Logger;
  /** Stops the app: drain, close servers, finish files. Called at most once. */
  readonly stop: (reason: string) => Promise<void> | void;
  /**
   * Longest time `stop` may take before the process exits 1 anyway: 1..2147483647 (about 24.8
   * days; Node would run a longer timer after 1 ms).
   * @default 30000
   */
  readonly deadlineMs?: number;
  /** @default ['SIGTERM', 'SIGINT'] */
  readonly signals?: readonly NodeJS.Signals[];
  /**
   * What an unhandled promise rejection does: `exit` (fatal line, flush, exit 1) or `log` (an
   * error line; the process goes on, for servers where one session's bug must not end the others).
   * @default 'exit'
   */
  readonly unhandledRejection?: 'exit' | 'log';
  /** @default the real `process` */
  readonly process?: ProcessLike;
  /** @default the real timers */
  readonly timers?: ShutdownTimers;
}

/** An installed shutdown handler. */
export interface ShutdownHandle {
  /**
   * Starts the graceful stop (as a signal would); resolves when the stop has run and the process
   * was told to exit with `exitCode` (1 instead when the stop fails or passes the deadline).
   */
  shutdown(reason: string, exitCode?: number): Promise<void>;
  /** True once a stop has begun. */
  readonly stopping: boolean;
  /** Removes the process listeners (tests; a process that exits never needs it). */
  dispose(): void;
}

/**
 * Installs the signal and crash handlers of a service process.
 *
 * Exit codes: 0 after a clean stop; 1 when `stop` failed or passed `deadlineMs`, on a second
 * signal, and on a crash. Every path writes its log line first and flushes the logger.
 *
 * @throws {@link ServiceKitError} `SVC_ERR_DURATION` when `deadlineMs` is not a number of
 *   milliseconds in 1..2147483647 (`MAX_TIMER_MS`).
 * @example
 * ```ts
 * installShutdown({ logger, stop: () => app.stop(), deadlineMs: config.drainTimeoutMs + 5000 });
 * ```
 */
export function installShutdown(options: ShutdownOptions): ShutdownHandle {
  const proc: ProcessLike = options.process ?? process;
  const timers = options.timers ?? realTimers;
  const { logger } = options;
  const deadlineMs = checkTimerMs('installShutdown deadlineMs', options.deadlineMs ?? 30_000, 1);
  let stopping: Promise<void> | undefined;
  let exiting = false;

  const exit = async (code: number): Promise<void> => {
    if (exiting) return;
    exiting = true;
    await flushLogger(logger);
    proc.exit(code);
  };

  const runStop = async (reason: string, exitCode: number): Promise<void> => {
    logger.info({ reason, deadlineMs }, 'shutting down');
    const deadline = timers.setTimeout(() => {
      logger.error(
        { code: ServiceKitErrorCode.ShutdownTimeout, deadlineMs },
        'shutdown deadline passed: exiting',
      );
      void exit(1);
    }, deadlineMs);
    try {
      await options.stop(reason);
      timers.clearTimeout(deadline);
      logger.info({ reason }, 'stopped');
      await exit(exitCode);
    } catch (error) {
      timers.clearTimeout(deadline);
      logger.error({ code: ServiceKitErrorCode.ShutdownFailed, err: error }, 'shutdown failed');
      await exit(1);
    }
  };

  const shutdown = (reason: string, exitCode = 0): Promise<void> => {
    stopping ??= runStop(reason, exitCode);
    return stopping;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping !== undefined) {
      logger.warn({ signal }, 'second signal: exiting now');
      void exit(1);
      return;
    }
    void shutdown(signal);
  };

  const crash = (kind: string, error: unknown): void => {
    logger.fatal({ code: ServiceKitErrorCode.Uncaught, err: error }, kind);
    void exit(1);
  };
  const onUncaught = (error: Error): void => crash('uncaught exception', error);
  const onRejection = (reason: unknown): void => {
    if (options.unhandledRejection === 'log') {
      logger.error({ code: ServiceKitErrorCode.Uncaught, err: reason }, 'unhandled rejection');
      return;
    }
    crash('unhandled rejection', reason);
  };

  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  for (const signal of signals) proc.on(signal, onSignal);
  proc.on('uncaughtException', onUncaught);
  proc.on('unhandledRejection', onRejection);

  return {
    shutdown,
    get stopping() {
      return stopping !== undefined;
    },
    dispose() {
      for (const signal of signals) proc.removeListener(signal, onSignal);
      proc.removeListener('uncaughtException', onUncaught);
      proc.removeListener('unhandledRejection', onRejection);
    },
  };
}

/** Options of {@link runService}. */
export interface RunServiceOptions<T> extends ShutdownOptions {
  /** Starts the app (listen, connect); its result is returned. */
  readonly start: () => Promise<T>;
}

/**
 * Installs the shutdown handler, then starts the app. A failed start is logged as fatal
 * (`SVC_ERR_START_FAILED`), the app's `stop` runs (bounded by the deadline) and the process
 * exits 1.
 *
 * @example
 * ```ts
 * // the app's main.ts, given its environment
 * const config = loadConfig(environment);
 * const logger = createLogger({ service: 'event-collector', level: config.logLevel, buffered: true });
 * const app = createCollector(config, logger);
 * await runService({ logger, start: () => app.start(), stop: () => app.stop() });
 * ```
 */
export async function runService<T>(
  options: RunServiceOptions<T>,
): Promise<{ readonly result: T | undefined; readonly handle: ShutdownHandle }> {
  const handle = installShutdown(options);
  try {
    return { result: await options.start(), handle };
  } catch (error) {
    options.logger.fatal({ code: ServiceKitErrorCode.StartFailed, err: error }, 'start failed');
    await handle.shutdown('start failed', 1);
    return { result: undefined, handle };
  }
}

// The end of a server session: `disconnect` and its timeout, the close transaction (`close` → close handlers → queued events
// flushed → `closed`, under a deadline) and finalization when the transport closes (remaining
// close handlers, fini handlers, DISCONNECTED), so slow handlers never keep a session alive.

import type { NamedTimers } from '../clock';
import { toError } from '../errors';
import type { AudioHookLogger } from '../logger';
import type { ClientMessageOf, CloseParameters, DisconnectParameters } from '../schemas';
import type { AudioHookTransport } from '../transport';
import type { EventPacer } from './event-pacer';
import type { ServerSession } from './session';
import type { CloseHandler, FiniHandler, ServerSessionOptions, ServerSessionState } from './types';

/** What the close pipeline needs from its session. @internal */
export interface ClosePipelineHost {
  readonly session: ServerSession;
  readonly options: ServerSessionOptions;
  readonly transport: AudioHookTransport;
  /** The session's timers; the pipeline uses `close`, `disconnect`, `linger` and `finalize`. */
  readonly timers: NamedTimers;
  readonly pacer: EventPacer;
  state(): ServerSessionState;
  setState(state: ServerSessionState): void;
  /** Settles when the open pipeline has finished (however it ended). */
  openDone(): Promise<void>;
  /** Sends `closed` answering the `close` with this `seq`. */
  sendClosed(closeSeq: number): void;
  /** Sends `disconnect`; false when it could not be sent. */
  sendDisconnect(parameters: DisconnectParameters): boolean;
  /** Reports the end (DISCONNECTED, the `end` event, `finished`). */
  end(): void;
  log(level: keyof AudioHookLogger, message: string, fields: Record<string, unknown>): void;
}

/** Close and fini handlers of one server session, and the transactions that run them. @internal */
export class ClosePipeline {
  readonly closeHandlers: CloseHandler[] = [];
  readonly finiHandlers: FiniHandler[] = [];
  readonly #host: ClosePipelineHost;
  #closeHandlersDone: Promise<void> | undefined;

  constructor(host: ClosePipelineHost) {
    this.#host = host;
  }

  /**
   * Sends `disconnect` (the caller checked the state) and waits for the client's `close`,
   * closing the transport when it does not come in time. `sent` runs once it went out, before
   * the state changes.
   */
  disconnect(parameters: DisconnectParameters, sent: () => void): boolean {
    const host = this.#host;
    if (!host.sendDisconnect(parameters)) return false;
    sent();
    const { reason } = parameters;
    host.setState(
      reason === 'error'
        ? 'SIGNALED-ERROR'
        : reason === 'unauthorized'
          ? 'UNAUTHORIZED'
          : 'DISCONNECTING',
    );
    host.timers.clear('open');
    const wait = host.options.disconnectTimeoutMs ?? 10_000;
    if (wait > 0) {
      host.timers.set('disconnect', wait, () => {
        host.log('warn', 'client did not close after disconnect; closing the transport', {});
        host.transport.close(1000, 'disconnect timeout');
      });
    }
    return true;
  }

  /** The client's `close`: CLOSING, close handlers, queued events, then `closed`. */
  onClose(message: ClientMessageOf<'close'>): void {
    const host = this.#host;
    const state = host.state();
    if (state === 'CLOSING' || state === 'CLOSED') {
      host.log('debug', 'close ignored', { state });
      return;
    }
    host.setState('CLOSING');
    host.timers.clear('disconnect');
    const deadline = host.options.closeDeadlineMs ?? 5000;
    if (deadline > 0) {
      host.timers.set('close', deadline, () => {
        host.log('warn', 'close handlers are slow; sending closed at the deadline', {});
        this.sendClosed(message.seq);
      });
    }
    void (async () => {
      await host.openDone();
      // Close handlers flush final results (e.g. transcripts) as events; they go out before closed.
      await this.#runCloseHandlers(message.parameters);
      await host.pacer.whenFlushed();
      this.sendClosed(message.seq);
    })().catch((error: unknown) => {
      host.log('error', 'close handler failed', { err: toError(error).message });
      this.sendClosed(message.seq);
    });
  }

  /** Sends `closed` once (CLOSING → CLOSED) and closes the transport if the client lingers. */
  sendClosed(closeSeq: number): void {
    const host = this.#host;
    host.timers.clear('close');
    if (host.state() !== 'CLOSING') return;
    host.pacer.dropAll('session closed');
    host.sendClosed(closeSeq);
    host.setState('CLOSED');
    const linger = host.options.closedLingerMs ?? 5000;
    if (linger > 0) {
      host.timers.set('linger', linger, () => {
        host.log('debug', 'client did not close the connection after closed; closing it', {});
        host.transport.close(1000, 'session closed');
      });
    }
  }

  /** The transport closed: finish whatever handlers remain, then end the session. */
  async onTransportClose(code: number, reason: string): Promise<void> {
    const host = this.#host;
    const state = host.state();
    host.log('info', 'transport closed', { code, reason, state });
    host.timers.clearAll();
    const cleanEnd = state === 'CLOSED';
    host.pacer.dropAll('transport closed');
    host.setState('FINALIZING');
    if (!cleanEnd) host.log('warn', 'session ended without a close transaction', { code });
    // Slow open or close handlers must not keep a dead session alive forever.
    const settled = (async () => {
      await host.openDone();
      await this.#runCloseHandlers(null);
    })();
    const limit = host.options.closeDeadlineMs ?? 5000;
    const timedOut = await (limit > 0
      ? Promise.race([
          settled.then(() => false),
          new Promise<boolean>((resolve) =>
            host.timers.set('finalize', limit, () => resolve(true)),
          ),
        ])
      : settled.then(() => false));
    host.timers.clear('finalize');
    if (timedOut) host.log('warn', 'open/close handlers still running; finalizing anyway', {});
    for (const handler of this.finiHandlers) {
      try {
        await handler(host.session);
      } catch (error) {
        host.log('error', 'fini handler failed', { err: toError(error).message });
      }
    }
    host.end();
  }

  #runCloseHandlers(parameters: CloseParameters | null): Promise<void> {
    // Run once; a later caller (the transport closing mid-close) waits for the same run.
    this.#closeHandlersDone ??= (async () => {
      const session = this.#host.session;
      const results = await Promise.allSettled(
        this.closeHandlers.map(async (handler) => handler({ session, parameters })),
      );
      for (const result of results) {
        if (result.status === 'fulfilled' && typeof result.value === 'function') {
          this.finiHandlers.push(result.value);
        } else if (result.status === 'rejected') {
          this.#host.log('error', 'close handler failed', { err: toError(result.reason).message });
        }
      }
    })();
    return this.#closeHandlersDone;
  }
}

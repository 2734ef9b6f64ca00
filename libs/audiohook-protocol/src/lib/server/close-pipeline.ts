// The end of a server session: `disconnect` and its timeout, the close transaction (`close` → close handlers → queued events
// flushed → `closed`, under a deadline) and finalization when the transport closes (remaining
// close handlers, fini handlers, DISCONNECTED), so slow handlers never keep a session alive.

import { toError } from '../errors';
import type { ClientMessageOf, CloseParameters, DisconnectParameters } from '../schemas';
import type { ServerCore } from './core';
import type { CloseHandler, FiniHandler } from './types';

/** Close and fini handlers of one server session, and the transactions that run them. @internal */
export class ClosePipeline {
  readonly closeHandlers: CloseHandler[] = [];
  readonly finiHandlers: FiniHandler[] = [];
  readonly #core: ServerCore;
  #closeHandlersDone: Promise<void> | undefined;

  constructor(core: ServerCore) {
    this.#core = core;
  }

  /**
   * Sends `disconnect` (the caller checked the state) and waits for the client's `close`,
   * closing the transport when it does not come in time.
   */
  disconnect(parameters: DisconnectParameters): boolean {
    const core = this.#core;
    if (!core.send('disconnect', parameters)) return false;
    const { reason } = parameters;
    core.setState(
      reason === 'error'
        ? 'SIGNALED-ERROR'
        : reason === 'unauthorized'
          ? 'UNAUTHORIZED'
          : 'DISCONNECTING',
    );
    core.timers.clear('open');
    core.open.stopWait();
    const wait = core.options.disconnectTimeoutMs ?? 10_000;
    if (wait > 0) {
      core.timers.set('disconnect', wait, () => {
        core.log('warn', 'client did not close after disconnect; closing the transport', {});
        core.transport.close(1000, 'disconnect timeout');
      });
    }
    return true;
  }

  /** The client's `close`: CLOSING, close handlers, queued events, then `closed`. */
  onClose(message: ClientMessageOf<'close'>): void {
    const core = this.#core;
    const state = core.state;
    if (state === 'CLOSING' || state === 'CLOSED') {
      core.log('debug', 'close ignored', { state });
      return;
    }
    core.setState('CLOSING');
    core.timers.clear('disconnect');
    core.open.stopWait();
    const deadline = core.options.closeDeadlineMs ?? 5000;
    if (deadline > 0) {
      core.timers.set('close', deadline, () => {
        core.log('warn', 'close handlers are slow; sending closed at the deadline', {});
        this.sendClosed(message.seq);
      });
    }
    void (async () => {
      await core.open.done;
      // Close handlers flush final results (e.g. transcripts) as events; they go out before closed.
      await this.#runCloseHandlers(message.parameters);
      await core.events.whenFlushed();
      this.sendClosed(message.seq);
    })().catch((error: unknown) => {
      core.log('error', 'close handler failed', { err: toError(error).message });
      this.sendClosed(message.seq);
    });
  }

  /** Sends `closed` once (CLOSING → CLOSED) and closes the transport if the client lingers. */
  sendClosed(closeSeq: number): void {
    const core = this.#core;
    core.timers.clear('close');
    if (core.state !== 'CLOSING') return;
    core.events.dropAll('session closed');
    core.send('closed', {}, closeSeq);
    core.setState('CLOSED');
    const linger = core.options.closedLingerMs ?? 5000;
    if (linger > 0) {
      core.timers.set('linger', linger, () => {
        core.log('debug', 'client did not close the connection after closed; closing it', {});
        core.transport.close(1000, 'session closed');
      });
    }
  }

  /** The transport closed: finish whatever handlers remain, then end the session. */
  async onTransportClose(code: number, reason: string): Promise<void> {
    const core = this.#core;
    const state = core.state;
    core.log('info', 'transport closed', { code, reason, state });
    core.stopTimers();
    const cleanEnd = state === 'CLOSED';
    core.events.dropAll('transport closed');
    core.setState('FINALIZING');
    if (!cleanEnd) core.log('warn', 'session ended without a close transaction', { code });
    // Slow open or close handlers must not keep a dead session alive forever.
    const settled = (async () => {
      await core.open.done;
      await this.#runCloseHandlers(null);
    })();
    const limit = core.options.closeDeadlineMs ?? 5000;
    const timedOut = await (limit > 0
      ? Promise.race([
          settled.then(() => false),
          new Promise<boolean>((resolve) =>
            core.timers.set('finalize', limit, () => resolve(true)),
          ),
        ])
      : settled.then(() => false));
    core.timers.clear('finalize');
    if (timedOut) core.log('warn', 'open/close handlers still running; finalizing anyway', {});
    for (const handler of this.finiHandlers) {
      try {
        await handler(core.session);
      } catch (error) {
        core.log('error', 'fini handler failed', { err: toError(error).message });
      }
    }
    core.end();
  }

  #runCloseHandlers(parameters: CloseParameters | null): Promise<void> {
    // Run once; a later caller (the transport closing mid-close) waits for the same run.
    this.#closeHandlersDone ??= (async () => {
      const session = this.#core.session;
      const results = await Promise.allSettled(
        this.closeHandlers.map(async (handler) => handler({ session, parameters })),
      );
      for (const result of results) {
        if (result.status === 'fulfilled' && typeof result.value === 'function') {
          this.finiHandlers.push(result.value);
        } else if (result.status === 'rejected') {
          this.#core.log('error', 'close handler failed', { err: toError(result.reason).message });
        }
      }
    })();
    return this.#closeHandlersDone;
  }
}

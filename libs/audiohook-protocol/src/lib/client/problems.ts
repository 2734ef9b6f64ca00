// How a client session reports problems: each one is logged and emitted as `protocolError`
// with a typed error (`AUDIOHOOK_ERR_TIMEOUT` for a 408). Violations that come once the session
// no longer answers them (a close is under way) are counted; only the first
// MAX_LOGGED_LATE_VIOLATIONS are logged and emitted, and the count is summed up at the end, so
// that a hostile server cannot make the client log without bound.

import { AudioHookError, AudioHookErrorCode } from '../errors';
import { LogQuota } from '../log-quota';
import type { AudioHookLogger } from '../logger';

/** Late violations logged and emitted per session; the rest are only counted. @internal */
export const MAX_LOGGED_LATE_VIOLATIONS = 20;

/** Longest error text sent or logged; the text may quote server-controlled values. */
const MAX_ERROR_TEXT = 512;

/** `text` cut to 512 characters (ending in `...` when cut). @internal */
export function clip(text: string): string {
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT - 3)}...` : text;
}

/** What the reporter needs from its session. @internal */
export interface ProblemReporterHost {
  log(level: keyof AudioHookLogger, message: string, fields: Record<string, unknown>): void;
  /** Emits `protocolError`. */
  protocolError(error: AudioHookError, code: number): void;
}

/** Logs and emits the problems of one client session, boundedly. @internal */
export class ProblemReporter {
  readonly #host: ProblemReporterHost;
  readonly #late = new LogQuota(MAX_LOGGED_LATE_VIOLATIONS);

  constructor(host: ProblemReporterHost) {
    this.#host = host;
  }

  /** Logs the problem and emits `protocolError` (`cause`, or an error typed after `code`). */
  report(code: number, message: string, cause?: AudioHookError): void {
    const error =
      cause ??
      new AudioHookError(
        code === 408 ? AudioHookErrorCode.Timeout : AudioHookErrorCode.ProtocolViolation,
        message,
      );
    this.#host.log('warn', 'server protocol error', { code, message: clip(message) });
    this.#host.protocolError(error, code);
  }

  /** A violation the session no longer answers: reported while under the limit, else counted. */
  late(code: number, message: string, cause?: AudioHookError): void {
    const turn = this.#late.take();
    if (turn === 'skip') return;
    this.report(code, message, cause);
    if (turn === 'last') {
      this.#host.log('warn', 'further server protocol errors are counted, not logged', {
        limit: MAX_LOGGED_LATE_VIOLATIONS,
      });
    }
  }

  /** At the end of the session: how many late violations went unlogged, if any. */
  summarize(): void {
    const unlogged = this.#late.unlogged();
    if (unlogged !== undefined)
      this.#host.log('warn', 'server protocol errors not logged', unlogged);
  }
}

// Checks of what a caller asks a client session to send (`discard`, `sendError`, `update`, ...),
// before anything changes: a bad argument is an `AUDIOHOOK_ERR_INVALID_ARGUMENT` thrown to the
// caller, never a message the server would reject (spec §7.1, §11.1, §13) nor a stream position
// the session cannot format later.

import { validateParameters } from '../codec';
import { MAX_STREAM_POSITION_NANOS, formatDuration, millisToNanos } from '../duration';
import { AudioHookError, AudioHookErrorCode, invalidArgument } from '../errors';
import {
  CLOSE_REASONS,
  LANGUAGE_PATTERN,
  type ClientMessageType,
  type ClientParameters,
  type CloseReason,
} from '../schemas';

/** Lowest and highest `error.code` (spec §11.1: the validators take 400–9999). @internal */
export const MIN_ERROR_CODE = 400;
/** @internal */
export const MAX_ERROR_CODE = 9999;

/**
 * `discard(nanos)`: a safe integer ≥ 0 that keeps the stream position (now `position`) within
 * {@link MAX_STREAM_POSITION_NANOS}. @internal
 */
export function checkDiscard(nanos: number, position: number): void {
  if (typeof nanos !== 'number' || !Number.isSafeInteger(nanos) || nanos < 0) {
    invalidArgument(`discard() takes a whole number of nanoseconds ≥ 0, got ${String(nanos)}`);
  }
  if (nanos > MAX_STREAM_POSITION_NANOS - position) {
    invalidArgument(
      `discard(${nanos}) would take the stream position past ${MAX_STREAM_POSITION_NANOS} ns`,
    );
  }
}

/**
 * `sendError(code, message, retryAfterMs)`: `code` an integer from 400 to 9999, `message` a
 * string, `retryAfterMs` a duration ≥ 0. Returns the `error` parameters. @internal
 */
export function errorParameters(
  code: number,
  message: string,
  retryAfterMs: number | undefined,
): ClientParameters<'error'> {
  if (!Number.isInteger(code) || code < MIN_ERROR_CODE || code > MAX_ERROR_CODE) {
    invalidArgument(
      `an error code is an integer from ${MIN_ERROR_CODE} to ${MAX_ERROR_CODE}, got ${String(code)}`,
    );
  }
  if (typeof message !== 'string') {
    invalidArgument(`an error message is a string, got ${typeof message}`);
  }
  if (retryAfterMs === undefined) return { code, message };
  let retryAfter: string | undefined;
  try {
    retryAfter =
      typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs)
        ? formatDuration(millisToNanos(retryAfterMs))
        : undefined;
  } catch {
    retryAfter = undefined;
  }
  if (retryAfter === undefined) {
    invalidArgument(`retryAfterMs must be a duration ≥ 0 in ms, got ${String(retryAfterMs)}`);
  }
  return { code, message, retryAfter };
}

/**
 * A language tag for `open.language` or `update` (spec §13: any BCP 47-style tag, as the
 * library's lenient validation takes it). @internal
 */
export function checkLanguage(language: unknown, what: string): void {
  if (typeof language !== 'string' || !LANGUAGE_PATTERN.test(language)) {
    invalidArgument(
      `${what} must be a language tag such as en-US, got ${JSON.stringify(language)}`,
    );
  }
}

/** `close(reason)`: one of the documented reasons. @internal */
export function checkCloseReason(reason: unknown): asserts reason is CloseReason {
  if (!(CLOSE_REASONS as readonly unknown[]).includes(reason)) {
    invalidArgument(
      `close reason must be one of ${CLOSE_REASONS.join(', ')}, got ${String(reason)}`,
    );
  }
}

/** `sendPlayback(what)`: `started` or `completed`. @internal */
export function checkPlayback(what: unknown): void {
  if (what !== 'started' && what !== 'completed') {
    invalidArgument(`sendPlayback() takes 'started' or 'completed', got ${String(what)}`);
  }
}

/** `sendDtmf(digit)`: a non-empty string. @internal */
export function checkDigit(digit: unknown): void {
  if (typeof digit !== 'string' || digit.length === 0) {
    invalidArgument(`sendDtmf() takes a digit string, got ${JSON.stringify(digit)}`);
  }
}

/**
 * The last check of every outgoing message: its parameters must pass the library's own (lenient)
 * client-message schema, so that a server never has to reject them.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ARGUMENT` (with the schema's `path` and `issues`).
 * @internal
 */
export function checkOutgoing(type: ClientMessageType, parameters: unknown): void {
  try {
    validateParameters(type, parameters, 'client');
  } catch (error) {
    if (!(error instanceof AudioHookError)) throw error;
    throw new AudioHookError(AudioHookErrorCode.InvalidArgument, error.message, {
      cause: error,
      issues: error.issues,
      messageType: type,
    });
  }
}

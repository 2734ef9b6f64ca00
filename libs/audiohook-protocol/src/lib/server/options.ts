// Checks the options of a server session once, at construction, so a misconfiguration fails
// loudly at start-up instead of at the first call.

import { invalidArgument } from '../errors';
import { UUID_PATTERN } from '../schemas';
import type { AudioHookTransport } from '../transport';
import type { ServerSessionOptions } from './types';

/**
 * Throws `AUDIOHOOK_ERR_INVALID_ARGUMENT` for an option out of range or of the wrong kind.
 * @internal
 */
export function validateServerOptions(options: ServerSessionOptions): void {
  const transport = options.transport as Partial<AudioHookTransport> | undefined;
  if (
    typeof transport?.attach !== 'function' ||
    typeof transport.sendText !== 'function' ||
    typeof transport.sendBinary !== 'function' ||
    typeof transport.close !== 'function'
  ) {
    invalidArgument('transport must implement attach, sendText, sendBinary and close');
  }
  const durations = {
    openWaitTimeoutMs: options.openWaitTimeoutMs,
    openDeadlineMs: options.openDeadlineMs,
    closeDeadlineMs: options.closeDeadlineMs,
    idleTimeoutMs: options.idleTimeoutMs,
    disconnectTimeoutMs: options.disconnectTimeoutMs,
    closedLingerMs: options.closedLingerMs,
    unauthorizedDelayMs: options.unauthorizedDelayMs,
    'events.defaultRetryAfterMs': options.events?.defaultRetryAfterMs,
    'events.maxRetryAfterMs': options.events?.maxRetryAfterMs,
  };
  for (const [name, value] of Object.entries(durations)) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      invalidArgument(`${name} must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  for (const [name, value] of Object.entries({
    'events.maxQueued': options.events?.maxQueued,
    'events.max429': options.events?.max429,
  })) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      invalidArgument(`${name} must be an integer ≥ 0, got ${String(value)}`);
    }
  }
  const choices: [string, unknown, readonly unknown[]][] = [
    ['unknownMessageTypes', options.unknownMessageTypes, ['disconnect', 'ignore']],
    ['audioOutsideActive', options.audioOutsideActive, ['disconnect', 'ignore']],
    ['positionMode', options.positionMode, ['timeline', 'samples']],
    ['l16ByteOrder', options.l16ByteOrder, ['le', 'be']],
    ['probe.media', options.probe?.media, ['select', 'none']],
  ];
  for (const [name, value, allowed] of choices) {
    if (value !== undefined && !allowed.includes(value)) {
      invalidArgument(`${name} must be one of ${allowed.join(', ')}, got ${String(value)}`);
    }
  }
  if (options.id !== undefined && !UUID_PATTERN.test(options.id)) {
    invalidArgument(`id must be a UUID, got ${JSON.stringify(options.id)}`);
  }
}

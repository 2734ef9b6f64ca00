// Checks the options of a client session once, at construction.

import { invalidArgument } from '../errors';
import { UUID_PATTERN } from '../schemas';
import type { AudioHookTransport } from '../transport';
import { checkLanguage } from './arguments';
import type { ClientSessionOptions } from './types';

/**
 * Throws `AUDIOHOOK_ERR_INVALID_ARGUMENT` for an option out of range or of the wrong kind.
 * @internal
 */
export function validateClientOptions(options: ClientSessionOptions): void {
  const transport = options.transport as Partial<AudioHookTransport> | undefined;
  if (
    typeof transport?.attach !== 'function' ||
    typeof transport.sendText !== 'function' ||
    typeof transport.sendBinary !== 'function' ||
    typeof transport.close !== 'function'
  ) {
    invalidArgument('transport must implement attach, sendText, sendBinary and close');
  }
  for (const [name, value] of Object.entries({
    organizationId: options.organizationId,
    sessionId: options.sessionId,
    conversationId: options.conversationId,
  })) {
    if ((name === 'organizationId' || value !== undefined) && !UUID_PATTERN.test(String(value))) {
      invalidArgument(`${name} must be a UUID, got ${JSON.stringify(value)}`);
    }
  }
  for (const [name, value] of Object.entries({
    openTimeoutMs: options.openTimeoutMs,
    closeTimeoutMs: options.closeTimeoutMs,
    initialPingDelayMs: options.initialPingDelayMs,
    pingIntervalMs: options.pingIntervalMs,
    maxStreamDurationMs: options.maxStreamDurationMs,
  })) {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      invalidArgument(`${name} must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  if (options.language !== undefined) checkLanguage(options.language, 'language');
  if (options.onReconnect !== undefined && !['ignore', 'close'].includes(options.onReconnect)) {
    invalidArgument(`onReconnect must be ignore or close, got ${String(options.onReconnect)}`);
  }
}

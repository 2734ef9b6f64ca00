// The pure frame codec: text frame <-> validated message, binary frame -> audio view. No I/O.

import { type z } from 'zod';
import { AudioHookError, AudioHookErrorCode, type ValidationIssue } from './errors';
import { quickEnvelope, quickPingParameters } from './quick-check';
import {
  MAX_TEXT_MESSAGE_LENGTH,
  schemas,
  schemasFor,
  type AudioHookMessage,
  type ClientMessage,
  type ServerMessage,
  type ValidationOptions,
} from './schemas';

/** Converts zod issues to {@link ValidationIssue}s, with `prefix` put in front of each path. @internal */
export function toIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly (string | number)[] = [],
): ValidationIssue[] {
  return issues.map((issue) => ({
    path: [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
    message: issue.message,
  }));
}

function describe(issues: readonly ValidationIssue[]): string {
  const first = issues[0];
  if (first === undefined) return 'invalid';
  const where = first.path.length === 0 ? '(root)' : first.path.join('.');
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return `${where}: ${first.message}${more}`;
}

/**
 * Checks the size limit and parses JSON, without validating the message.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_MESSAGE_TOO_LARGE`, `AUDIOHOOK_ERR_INVALID_JSON`.
 *
 * @example
 * ```ts
 * const value = parseJsonFrame(text); // size-checked, then JSON.parse
 * ```
 */
export function parseJsonFrame(text: string): unknown {
  if (typeof text !== 'string') {
    throw new AudioHookError(AudioHookErrorCode.InvalidJson, 'text frame is not a string');
  }
  if (text.length > MAX_TEXT_MESSAGE_LENGTH) {
    throw new AudioHookError(
      AudioHookErrorCode.MessageTooLarge,
      `text message too large (>64K). Length: ${text.length}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new AudioHookError(AudioHookErrorCode.InvalidJson, 'text message not valid JSON', {
      cause,
    });
  }
}

/**
 * The envelope of a client message before its parameters are validated.
 *
 * @example
 * ```ts
 * const envelope: ClientEnvelope = validateEnvelope(JSON.parse(text), 'client');
 * logger.info(envelope.seq, envelope.position);
 * ```
 */
export interface ClientEnvelope {
  readonly version: '2';
  readonly id: string;
  readonly type: string;
  readonly seq: number;
  readonly serverseq: number;
  readonly position: string;
  readonly parameters: Record<string, unknown>;
}

/**
 * The envelope of a server message before its parameters are validated.
 *
 * @example
 * ```ts
 * const envelope: ServerEnvelope = validateEnvelope(JSON.parse(text), 'server');
 * logger.info(envelope.seq, envelope.clientseq);
 * ```
 */
export interface ServerEnvelope {
  readonly version: '2';
  readonly id: string;
  readonly type: string;
  readonly seq: number;
  readonly clientseq: number;
  readonly parameters: Record<string, unknown>;
}

/**
 * Validates only the envelope (version, id, type, seq, serverseq/clientseq, position,
 * parameters object) of a parsed JSON value.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ENVELOPE` with the failing path.
 *
 * @example
 * ```ts
 * const { type, seq } = validateEnvelope(JSON.parse(text), 'client');
 * ```
 */
export function validateEnvelope(
  value: unknown,
  direction: 'client',
  options?: ValidationOptions,
): ClientEnvelope;
export function validateEnvelope(
  value: unknown,
  direction: 'server',
  options?: ValidationOptions,
): ServerEnvelope;
export function validateEnvelope(
  value: unknown,
  direction: 'client' | 'server',
  options: ValidationOptions = {},
): ClientEnvelope | ServerEnvelope {
  const quick = quickEnvelope(value, direction, options.strict === true);
  if (quick !== undefined) return quick as unknown as ClientEnvelope | ServerEnvelope;
  const set = schemasFor(options);
  const envelopeSchema = direction === 'client' ? set.clientEnvelope : set.serverEnvelope;
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) {
    const issues = toIssues(envelope.error.issues);
    const typeValue =
      typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined;
    throw new AudioHookError(
      AudioHookErrorCode.InvalidEnvelope,
      `message not a well-formed ${direction} message: ${describe(issues)}`,
      { issues, ...(typeof typeValue === 'string' ? { messageType: typeValue } : {}) },
    );
  }
  return envelope.data as ClientEnvelope | ServerEnvelope;
}

/**
 * True when `type` is a message type this library knows for `direction`.
 *
 * @example
 * ```ts
 * isKnownMessageType('dtmf', 'client'); // true
 * ```
 */
export function isKnownMessageType(type: string, direction: 'client' | 'server'): boolean {
  const table = direction === 'client' ? schemas.clientParameters : schemas.serverParameters;
  return Object.prototype.hasOwnProperty.call(table, type);
}

/**
 * Validates the parameters of a message of `type`.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_UNKNOWN_MESSAGE_TYPE`,
 *   `AUDIOHOOK_ERR_INVALID_PARAMETERS` (paths start with `parameters`).
 *
 * @example
 * ```ts
 * const params = validateParameters('close', { reason: 'end' }, 'client');
 * ```
 */
export function validateParameters(
  type: string,
  parameters: unknown,
  direction: 'client' | 'server',
  options: ValidationOptions = {},
): unknown {
  const set = schemasFor(options);
  const table: Record<string, z.ZodType> =
    direction === 'client' ? set.clientParameters : set.serverParameters;
  if (!isKnownMessageType(type, direction)) {
    throw new AudioHookError(
      AudioHookErrorCode.UnknownMessageType,
      `'${type}' is not a supported ${direction} message`,
      {
        messageType: type,
        issues: [{ path: ['type'], message: `unsupported ${direction} message type` }],
      },
    );
  }
  if (direction === 'client' && type === 'ping') {
    const quick = quickPingParameters(parameters);
    if (quick !== undefined) return quick;
  }
  const result = (table[type] as z.ZodType).safeParse(parameters);
  if (!result.success) {
    const issues = toIssues(result.error.issues, ['parameters']);
    throw new AudioHookError(
      AudioHookErrorCode.InvalidParameters,
      `invalid/missing parameters of '${type}': ${describe(issues)}`,
      { issues, messageType: type },
    );
  }
  return result.data;
}

function validate(
  value: unknown,
  direction: 'client' | 'server',
  options: ValidationOptions,
): AudioHookMessage {
  const envelope =
    direction === 'client'
      ? validateEnvelope(value, 'client', options)
      : validateEnvelope(value, 'server', options);
  const parameters = validateParameters(envelope.type, envelope.parameters, direction, options);
  return { ...envelope, parameters } as AudioHookMessage;
}

/**
 * Validates an already-parsed JSON value as a client (Genesys → server) message.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ENVELOPE`, `AUDIOHOOK_ERR_UNKNOWN_MESSAGE_TYPE`,
 *   `AUDIOHOOK_ERR_INVALID_PARAMETERS` (with the failing `path`).
 *
 * @example
 * ```ts
 * const message = validateClientMessage(JSON.parse(text));
 * ```
 */
export function validateClientMessage(
  value: unknown,
  options: ValidationOptions = {},
): ClientMessage {
  return validate(value, 'client', options) as ClientMessage;
}

/**
 * Validates an already-parsed JSON value as a server (server → Genesys) message.
 *
 * @throws AudioHookError like {@link validateClientMessage}.
 *
 * @example
 * ```ts
 * const message = validateServerMessage(JSON.parse(text));
 * ```
 */
export function validateServerMessage(
  value: unknown,
  options: ValidationOptions = {},
): ServerMessage {
  return validate(value, 'server', options) as ServerMessage;
}

/**
 * Parses a text frame received by a server into a validated client message. The 65,535
 * character limit is enforced before the JSON is parsed.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_MESSAGE_TOO_LARGE`, `AUDIOHOOK_ERR_INVALID_JSON`, and the
 *   codes of {@link validateClientMessage}. Nothing else is ever thrown.
 *
 * @example
 * ```ts
 * const message = parseClientMessage(text);
 * if (message.type === 'open') chooseMedia(message.parameters.media);
 * ```
 */
export function parseClientMessage(text: string, options: ValidationOptions = {}): ClientMessage {
  return validateClientMessage(parseJsonFrame(text), options);
}

/**
 * Parses a text frame received by a client into a validated server message.
 *
 * @throws AudioHookError like {@link parseClientMessage}.
 *
 * @example
 * ```ts
 * const message = parseServerMessage(text);
 * if (message.type === 'event') handle(message.parameters.entities);
 * ```
 */
export function parseServerMessage(text: string, options: ValidationOptions = {}): ServerMessage {
  return validateServerMessage(parseJsonFrame(text), options);
}

/**
 * Serializes a message to the text of one frame.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_MESSAGE_TOO_LARGE` when the text would exceed 65,535
 *   characters (the peer would reject it), `AUDIOHOOK_ERR_INVALID_MESSAGE` when the value cannot
 *   be serialized as JSON.
 *
 * @example
 * ```ts
 * transport.sendText(serializeMessage(pong));
 * ```
 */
export function serializeMessage(message: AudioHookMessage): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(message);
  } catch (cause) {
    throw new AudioHookError(AudioHookErrorCode.InvalidMessage, 'message is not serializable', {
      cause,
      messageType: message.type,
    });
  }
  if (typeof text !== 'string') {
    throw new AudioHookError(AudioHookErrorCode.InvalidMessage, 'message is not a JSON object');
  }
  if (text.length > MAX_TEXT_MESSAGE_LENGTH) {
    throw new AudioHookError(
      AudioHookErrorCode.MessageTooLarge,
      `serialized '${message.type}' is ${text.length} characters; the limit is ${MAX_TEXT_MESSAGE_LENGTH}`,
      { messageType: message.type },
    );
  }
  return text;
}

// One log line per protocol message the session sends or receives: its type, seq, the peer's seq,
// the client's position and the key parameters, with the full message added at debug. Audio
// frames are binary, not messages, so they never get a line.

import type {
  AudioHookLogger,
  ClientMessage,
  ClientSession,
  ServerMessage,
} from '@org/audiohook-protocol';

/** Longest text value kept in a line; longer ones are cut with `…`. */
const MAX_TEXT = 200;
/** Most list items (or object keys) shown; longer lists are given as a count. */
const MAX_ITEMS = 10;

type Primitive = string | number | boolean | null;

function isPrimitive(value: unknown): value is Primitive {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean'
  );
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** A short form of a parameter value: texts clipped, lists and objects summarized. */
function brief(value: unknown): unknown {
  if (typeof value === 'string') return clip(value);
  if (isPrimitive(value)) return value;
  if (Array.isArray(value)) {
    return value.length <= MAX_ITEMS && value.every(isPrimitive)
      ? value.map(brief)
      : `${value.length} item(s)`;
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value as object);
    return keys.length <= MAX_ITEMS ? `{${keys.join(', ')}}` : `{${keys.length} keys}`;
  }
  return String(value);
}

/** `PCMU/8000/external+internal` for one media parameter. */
function formatMedia(media: unknown): unknown {
  if (media === null || typeof media !== 'object') return brief(media);
  const { format, rate, channels } = media as Record<string, unknown>;
  const list = Array.isArray(channels) ? channels.map(String).join('+') : String(channels);
  return `${String(format)}/${String(rate)}/${list}`;
}

/** The parameters worth a line: everything but the participant, in short form. */
function keyParameters(parameters: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parameters)) {
    if (value === undefined || key === 'participant') continue;
    if (key === 'media' && Array.isArray(value)) fields[key] = value.map(formatMedia);
    else if (key === 'entities' && Array.isArray(value)) {
      fields[key] = brief(value.map((e) => (e as { type?: unknown }).type));
    } else fields[key] = brief(value);
  }
  return fields;
}

/**
 * The fields of a message's log line: `type`, `seq`, `serverseq` (sent) or `clientseq`
 * (received), `position` (sent) and the key parameters (texts clipped to 200 characters, media as
 * `format/rate/channels`, entities as their types, lists and objects over 10 items as a count,
 * no participant).
 *
 * @example
 * ```ts
 * describeMessage(opened); // { type: 'opened', seq: 1, clientseq: 1, media: ['PCMU/8000/external+internal'] }
 * ```
 */
export function describeMessage(message: ClientMessage | ServerMessage): Record<string, unknown> {
  const sequence =
    'serverseq' in message
      ? { serverseq: message.serverseq, position: message.position }
      : { clientseq: message.clientseq };
  return {
    type: message.type,
    seq: message.seq,
    ...sequence,
    ...keyParameters(message.parameters as Readonly<Record<string, unknown>>),
  };
}

/**
 * Logs every message `session` sends (`sent <type>`) and receives (`received <type>`) at info,
 * one line each ({@link describeMessage}); with `withBody` the line also carries the whole
 * message as `body`.
 *
 * @example
 * ```ts
 * logMessages(session, logger, options.sessionLogLevel === 'debug');
 * ```
 */
export function logMessages(session: ClientSession, log: AudioHookLogger, withBody: boolean): void {
  const line = (message: ClientMessage | ServerMessage) =>
    withBody ? { ...describeMessage(message), body: message } : describeMessage(message);
  session.on('clientMessage', (message) => log.info(line(message), `sent ${message.type}`));
  session.on('serverMessage', (message) => log.info(line(message), `received ${message.type}`));
}

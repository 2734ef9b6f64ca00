import { type Envelope, envelopeSchema, systemMessageSchema } from './schemas';

/** What one text frame from the notification socket turned out to be. */
export type Frame =
  | { kind: 'heartbeat' }
  | { kind: 'pong' }
  | { kind: 'metadata'; message: string | undefined }
  | { kind: 'socket_closing' }
  | {
      kind: 'system';
      topic: string;
      systemTopicType: string | undefined;
      reason: string | undefined;
    }
  | { kind: 'result'; result: string; status: string | undefined }
  | { kind: 'event'; envelope: Envelope & { eventBody: Record<string, unknown> } }
  | { kind: 'malformed'; reason: string };

/**
 * Longest text taken from a control frame (result, status, system topic, type and reason). These
 * are only logged; a server that sends megabytes in them must not turn each frame into megabytes
 * of log.
 */
export const MAX_FRAME_TEXT = 200;

/** Genesys-controlled text as logged: at most {@link MAX_FRAME_TEXT} characters. */
export const clip = (v: string): string =>
  v.length > MAX_FRAME_TEXT ? `${v.slice(0, MAX_FRAME_TEXT)}…(${v.length} chars)` : v;
const clipOpt = (v: string | undefined): string | undefined =>
  v === undefined ? undefined : clip(v);

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Classifies one text frame. Pure and total: any input, however broken, yields a {@link Frame}
 * (garbage becomes `malformed`), so nothing a server sends can throw out of the read loop.
 *
 * @example
 * ```ts
 * parseFrame('{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}');
 * // { kind: 'heartbeat' }
 * ```
 */
export function parseFrame(text: string): Frame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'malformed', reason: 'not JSON' };
  }
  if (!isRecord(json)) return { kind: 'malformed', reason: 'not a JSON object' };

  if (json['topicName'] === undefined && json['result'] !== undefined) {
    return {
      kind: 'result',
      result: clip(String(json['result'])),
      status: typeof json['status'] === 'string' ? clip(json['status']) : undefined,
    };
  }
  const env = envelopeSchema.safeParse(json);
  if (!env.success) return { kind: 'malformed', reason: 'not a notification envelope' };
  const topic = env.data.topicName;
  const body = env.data.eventBody;

  if (topic === 'channel.metadata') {
    const message = isRecord(body) && typeof body['message'] === 'string' ? body['message'] : '';
    if (message === 'WebSocket Heartbeat') return { kind: 'heartbeat' };
    if (message === 'pong') return { kind: 'pong' };
    return { kind: 'metadata', message: clipOpt(message || undefined) };
  }
  if (topic === 'v2.system.socket_closing') return { kind: 'socket_closing' };
  if (topic.startsWith('v2.system.')) {
    const sys = systemMessageSchema.safeParse(body);
    return {
      kind: 'system',
      topic: clip(topic),
      systemTopicType: sys.success ? clipOpt(sys.data.systemTopicType) : undefined,
      reason: sys.success ? clipOpt(sys.data.reason) : undefined,
    };
  }
  if (!isRecord(body)) return { kind: 'malformed', reason: 'eventBody is not an object' };
  return { kind: 'event', envelope: { ...env.data, eventBody: body } };
}

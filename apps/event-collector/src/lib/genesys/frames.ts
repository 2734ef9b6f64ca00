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
      result: String(json['result']),
      status: typeof json['status'] === 'string' ? json['status'] : undefined,
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
    return { kind: 'metadata', message: message || undefined };
  }
  if (topic === 'v2.system.socket_closing') return { kind: 'socket_closing' };
  if (topic.startsWith('v2.system.')) {
    const sys = systemMessageSchema.safeParse(body);
    return {
      kind: 'system',
      topic,
      systemTopicType: sys.success ? sys.data.systemTopicType : undefined,
      reason: sys.success ? sys.data.reason : undefined,
    };
  }
  if (!isRecord(body)) return { kind: 'malformed', reason: 'eventBody is not an object' };
  return { kind: 'event', envelope: { ...env.data, eventBody: body } };
}

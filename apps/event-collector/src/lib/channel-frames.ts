import type { Connection } from './channel-types';
import { parseFrame } from './genesys/frames';
import type { Envelope } from './genesys/schemas';
import type { LagEstimate } from './lag';
import type { LogLimiter } from './log-limiter';
import type { Metrics } from './metrics';

/**
 * The per-frame log lines a server can repeat at will, each rate-limited on its own (see
 * {@link LogLimiter}): the first ones of a minute are logged, the rest counted.
 */
export type FrameWarning = 'binary_frame' | 'malformed_frame' | 'system_message' | 'result_frame';

/** What a frame makes the channel manager do; the handler itself holds no channel state. */
export interface FrameActions {
  metrics: Metrics;
  lag: LagEstimate;
  limit: LogLimiter<FrameWarning>;
  /** A frame arrived on `conn` (any kind, before it is read). */
  seen: (conn: Connection) => void;
  heartbeat: () => void;
  /** `v2.system.socket_closing` on `conn`. */
  socketClosing: (conn: Connection) => void;
  /** The channel of `conn` is gone (no_longer_subscribed, token_revoked, `{"result":"404"}`). */
  gone: (conn: Connection, why: string) => void;
  /** `token_revoked`: the token must be fetched again. */
  tokenRevoked: () => void;
  onEvent: (
    envelope: Envelope & { eventBody: Record<string, unknown> },
    ctx: { channelRef: string; receivedAt: number },
  ) => boolean;
  whenWritable: () => Promise<void>;
}

/**
 * Reads one frame of a channel socket (`null`: a binary frame): counts it, logs what is worth
 * logging, and hands events on. Returns false to pause reading until `whenWritable` resolves.
 */
export function handleFrame(a: FrameActions, conn: Connection, text: string | null): boolean {
  const m = a.metrics;
  m.inc('messages');
  a.seen(conn);
  if (text === null) {
    m.inc('malformed_messages');
    if (a.limit.allow('binary_frame')) conn.log.warn('skipped a binary frame');
    return true;
  }
  const frame = parseFrame(text);
  switch (frame.kind) {
    case 'heartbeat':
      m.inc('heartbeats');
      a.heartbeat();
      return true;
    case 'pong':
      m.inc('pongs');
      return true;
    case 'metadata':
      conn.log.debug({ message: frame.message }, 'channel metadata');
      return true;
    case 'socket_closing':
      m.inc('system_messages');
      if (a.limit.allow('system_message')) {
        conn.log.warn('socket_closing received; switching to a new channel');
      }
      a.socketClosing(conn);
      return true;
    case 'system':
      m.inc('system_messages');
      if (a.limit.allow('system_message')) {
        conn.log.warn(
          { topic: frame.topic, systemTopicType: frame.systemTopicType, reason: frame.reason },
          'system message',
        );
      }
      if (frame.systemTopicType === 'token_revoked') a.tokenRevoked();
      if (
        frame.systemTopicType === 'no_longer_subscribed' ||
        frame.systemTopicType === 'token_revoked'
      ) {
        a.gone(conn, frame.systemTopicType);
      }
      return true;
    case 'result':
      if (frame.result === '404') a.gone(conn, 'result 404');
      else if (a.limit.allow('result_frame')) {
        conn.log.info({ result: frame.result, status: frame.status }, 'result frame');
      }
      return true;
    case 'malformed':
      m.inc('malformed_messages');
      if (a.limit.allow('malformed_frame')) {
        conn.log.warn({ reason: frame.reason, bytes: text.length }, 'skipped a malformed frame');
      }
      return true;
    case 'event': {
      const receivedAt = Date.now();
      const ts = frame.envelope.eventBody['timestamp'];
      a.lag.sample(ts, receivedAt, conn.log);
      const keep = a.onEvent(frame.envelope, { channelRef: conn.ref, receivedAt });
      if (!keep) void a.whenWritable().then(() => conn.socket.resume());
      return keep;
    }
  }
}

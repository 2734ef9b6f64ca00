// Wires one accepted WebSocket to a protocol ServerSession: per-session logger (pino child plus
// sidecar entries), metrics, recording with back-pressure, and the end-of-session upload.

import type { IncomingMessage } from 'node:http';
import {
  fromWebSocket,
  ServerSession,
  type AudioHookLogger,
  type ServerSessionOptions,
} from '@org/audiohook-protocol';
import { sessionLogger as kitSessionLogger } from '@org/service-kit';
import { SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import type { WebSocket } from 'ws';
import type { AppLogger } from './logging';
import { disconnectLabels, type ServerMetrics } from './metrics';
import { attachRecording, recordingFormat } from './recording/session-recording';
import { SessionRecorder, type OpenWav } from './recording/session-recorder';
import type { ChunkPool } from './recording/chunk-pool';
import type { RecordingSink } from './recording/uploader';
import type { RecordingIo } from './recording/recording-io';

/** Which endpoint a session came in on (a metrics label, too). */
export type EndpointName = 'audiohook' | 'voicetranscription' | 'loadtest';

/** What every recorder of the server shares. */
export interface RecordingEnvironment {
  /** Where open recordings are written (this process's work folder). */
  readonly directory: string;
  readonly headerUpdate: 'close' | 'append';
  readonly maxBufferedBytes: number;
  readonly flushBytes: number;
  readonly sidecarMaxPings: number;
  readonly sidecarMaxBytes: number;
  /** Shared by every recorder; absent when `flushBytes` is 0. */
  readonly chunkPool?: ChunkPool;
  readonly sink: RecordingSink;
  /** Where recordings are written (the worker threads of `RECORDING_IO_THREADS`). */
  readonly io?: RecordingIo;
  readonly openWav?: OpenWav;
}

/** What every session of the server shares. */
export interface SessionEnvironment {
  readonly logger: AppLogger;
  readonly metrics: ServerMetrics;
  /** Starts one span per session (a no-op tracer unless tracing is on). */
  readonly tracer: Tracer;
  readonly recording: RecordingEnvironment | undefined;
  /** Session options from the configuration (timeouts etc.). */
  readonly sessionOptions: Partial<ServerSessionOptions>;
  /** How long a client gets to answer the WebSocket closing handshake before it is cut off. */
  readonly closeHandshakeTimeoutMs: number;
  /**
   * Server messages queued for a client that does not read them, past which its connection is
   * cut (`MAX_SEND_BACKLOG_BYTES`).
   */
  readonly maxSendBacklogBytes: number;
  /** Tracks work that must finish before the process exits (uploads). */
  readonly track: (work: Promise<unknown>) => void;
}

/** Headers every AudioHook upgrade carries (validated by the gateway). */
export interface SessionHeaders {
  readonly sessionId: string;
  readonly organizationId: string;
  readonly correlationId: string | undefined;
}

export interface WiredSession {
  readonly session: ServerSession;
  readonly logger: AppLogger;
  readonly recorder: SessionRecorder | undefined;
  /** The session's span (ended with the session). */
  readonly span: Span;
}

const SIDECAR_LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

const REDACTED = '[redacted]';

/**
 * Header fields whose whole value is left out: credentials, and the request's signature (not a
 * secret, but the README promises signatures are never logged).
 */
const SECRET_HEADERS = ['x-api-key', 'authorization', 'cookie', 'signature'] as const;

/** `keyid="…"` of a Signature-Input: the API key itself (AudioHook signs with keyid = key). */
const KEYID_PARAMETER = /(;\s*keyid\s*=\s*)("(?:[^"\\]|\\.)*"|[^;,\s]*)/gi;

/**
 * The sidecar keeps a copy of the upgrade request, minus the credentials: `X-API-KEY` (and
 * `Authorization`, `Cookie`, `Signature`) redacted, and the `keyid` of `Signature-Input`, which
 * is the API key.
 */
export function requestInfo(request: Pick<IncomingMessage, 'url' | 'headers'>): {
  uri: string;
  headers: Record<string, unknown>;
} {
  const headers: Record<string, unknown> = { ...request.headers };
  for (const name of SECRET_HEADERS) {
    if (headers[name] !== undefined) headers[name] = REDACTED;
  }
  const input = headers['signature-input'];
  if (input !== undefined) {
    const redact = (value: string) => value.replace(KEYID_PARAMETER, `$1"${REDACTED}"`);
    headers['signature-input'] = Array.isArray(input)
      ? input.map((v: string) => redact(v))
      : redact(String(input));
  }
  return { uri: request.url ?? '/', headers };
}

export { recordingFormat };

/**
 * Creates the protocol session for `socket` and attaches logging, metrics and (when `record` is
 * true and recording is configured) the recorder. Endpoint behaviour is added by the caller.
 */
export function wireSession(
  socket: WebSocket,
  request: IncomingMessage,
  headers: SessionHeaders,
  endpoint: EndpointName,
  env: SessionEnvironment,
  options: { readonly record: boolean; readonly logLevel?: string } & Partial<ServerSessionOptions>,
): WiredSession {
  const { record, logLevel, ...sessionOverrides } = options;
  // One span per session; its trace id is on every log line of the session.
  const span = env.tracer.startSpan('audiohook.session', {
    attributes: { 'audiohook.session_id': headers.sessionId, 'audiohook.endpoint': endpoint },
  });
  const logger = kitSessionLogger(
    env.logger,
    headers.sessionId,
    {
      organizationId: headers.organizationId,
      ...(headers.correlationId === undefined ? {} : { correlationId: headers.correlationId }),
      endpoint,
    },
    { span },
  );
  if (logLevel !== undefined) logger.level = logLevel;
  const recorder = record ? createRecorder(env.recording) : undefined;
  recorder?.log('httpInfo', requestInfo(request));

  const sessionLogger: AudioHookLogger = {
    debug: (fields, msg) => log('debug', fields, msg),
    info: (fields, msg) => log('info', fields, msg),
    warn: (fields, msg) => log('warn', fields, msg),
    error: (fields, msg) => log('error', fields, msg),
  };
  function log(level: keyof typeof SIDECAR_LEVELS, fields: Record<string, unknown>, msg: string) {
    logger[level](fields, msg);
    // The sidecar keeps every line from debug (20) up, whatever the console level, as the
    // reference's does.
    recorder?.log('logger', { level: SIDECAR_LEVELS[level], msg });
  }

  const transport = fromWebSocket(socket, {
    closeHandshakeTimeoutMs: env.closeHandshakeTimeoutMs,
  });
  const session = new ServerSession({
    ...env.sessionOptions,
    ...sessionOverrides,
    transport,
    id: headers.sessionId,
    organizationId: headers.organizationId,
    logger: sessionLogger,
  });

  const { metrics } = env;
  observeSession(session, metrics, endpoint, logger, recorder);
  guardSendBacklog(socket, session, env.maxSendBacklogBytes, logger);

  if (recorder !== undefined && env.recording !== undefined) {
    attachRecording({
      session,
      recorder,
      transport,
      sink: env.recording.sink,
      maxBufferedBytes: env.recording.maxBufferedBytes,
      metrics,
      endpoint,
      logger,
      track: env.track,
    });
  } else {
    session.on('audio', (frame) => metrics.countAudioBytes(endpoint, frame.data.length));
  }

  trackOutcome(session, metrics, endpoint, logger, span);
  return { session, logger, recorder, span };
}

function createRecorder(recording: RecordingEnvironment | undefined): SessionRecorder | undefined {
  if (recording === undefined) return undefined;
  return new SessionRecorder({
    directory: recording.directory,
    headerUpdate: recording.headerUpdate,
    flushBytes: recording.flushBytes,
    maxPings: recording.sidecarMaxPings,
    maxSidecarBytes: recording.sidecarMaxBytes,
    ...(recording.chunkPool === undefined ? {} : { chunkPool: recording.chunkPool }),
    ...(recording.io === undefined ? {} : { io: recording.io }),
    ...(recording.openWav === undefined ? {} : { openWav: recording.openWav }),
  });
}

/** Messages into the sidecar, disconnects and open latency into metrics, `opened` into the log. */
function observeSession(
  session: ServerSession,
  metrics: ServerMetrics,
  endpoint: EndpointName,
  logger: AppLogger,
  recorder: SessionRecorder | undefined,
): void {
  metrics.sessionsActive.inc({ endpoint });
  let openReceivedAt: bigint | undefined;
  session.on('clientMessage', (message) => {
    if (message.type === 'open') openReceivedAt = process.hrtime.bigint();
    recorder?.log('audiohook', { dir: 'in', message });
  });
  session.on('serverMessage', (message) => {
    recorder?.log('audiohook', { dir: 'out', message });
    if (message.type === 'disconnect') {
      const params = message.parameters as { reason: string; info?: string };
      metrics.disconnects.inc(disconnectLabels(params.reason, params.info));
    }
  });
  session.on('opened', (media) => {
    if (openReceivedAt !== undefined) {
      const seconds = Number(process.hrtime.bigint() - openReceivedAt) / 1e9;
      metrics.openLatency.observe({ endpoint }, seconds);
    }
    logger.info(
      {
        media: media ?? null,
        probe: session.isProbe,
        conversationId: session.openMessage?.parameters.conversationId,
      },
      'session opened',
    );
  });
  session.on('ping', (rtt) => recorder?.ping(rtt));
}

/**
 * A client that sends but never reads (a flood of pings whose pongs it leaves unread) makes `ws`
 * queue every answer in this process's memory, without bound. Past `maxBytes` of unsent messages
 * the connection is cut: nothing sent to it would be read, a `disconnect` included. The session
 * then ends as `dropped`, its recording finished as usual.
 */
function guardSendBacklog(
  socket: WebSocket,
  session: ServerSession,
  maxBytes: number,
  logger: AppLogger,
): void {
  let cut = false;
  session.on('serverMessage', () => {
    if (cut || socket.bufferedAmount <= maxBytes) return;
    cut = true;
    logger.warn(
      { unsentBytes: socket.bufferedAmount, maxBytes },
      'the client does not read what it is sent; connection cut',
    );
    socket.terminate();
  });
}

/** The state before FINALIZING/DISCONNECTED tells how the session ended. */
function trackOutcome(
  session: ServerSession,
  metrics: ServerMetrics,
  endpoint: EndpointName,
  logger: AppLogger,
  span: Span,
): void {
  let lastState = session.state;
  session.on('state', (state, previous) => {
    if (state !== 'FINALIZING' && state !== 'DISCONNECTED') lastState = state;
    logger.debug({ state, previous }, 'session state');
  });
  session.on('end', (stats) => {
    const outcome = outcomeOf(lastState);
    metrics.sessionsActive.dec({ endpoint });
    metrics.sessionsTotal.inc({ endpoint, outcome });
    logger.info({ stats, state: lastState }, 'session ended');
    endSpan(span, outcome, stats.audioBytes);
  });
}

function endSpan(span: Span, outcome: string, audioBytes: number): void {
  span.setAttribute('audiohook.outcome', outcome);
  span.setAttribute('audiohook.audio_bytes', audioBytes);
  if (outcome !== 'closed') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
  span.end();
}

function outcomeOf(last: string): string {
  switch (last) {
    case 'CLOSED':
      return 'closed';
    case 'UNAUTHORIZED':
      return 'unauthorized';
    case 'SIGNALED-ERROR':
      return 'error';
    default:
      return 'dropped';
  }
}

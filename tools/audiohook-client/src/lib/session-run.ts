// One client session end to end: signed upgrade over a real WebSocket, the protocol library's
// ClientSession on top, the scripted actions, and what happened, for the summary.

import { randomUUID } from 'node:crypto';
import {
  ClientSession,
  createAudioHookHeaders,
  fromWebSocket,
  type AudioHookLogger,
  type ClientSessionResult,
  type MediaSource,
} from '@org/audiohook-protocol';
import WebSocket from 'ws';
import { logMessages } from './message-log';
import type { ClientOptions, ScriptAction } from './options';

/** The outcome of one session. */
export interface SessionRun {
  readonly sessionId: string;
  readonly ok: boolean;
  /** Why it failed (HTTP status, disconnect info, error sent, dropped connection). */
  readonly failure: string | undefined;
  /** From sending `open` to receiving `opened`, ms. */
  readonly openLatencyMs: number | undefined;
  readonly rttsMs: readonly number[];
  readonly result: ClientSessionResult | undefined;
  /** Event entities received (transcripts, agent assist, …). */
  readonly entities: number;
}

export interface RunSessionOptions {
  readonly options: ClientOptions;
  /**
   * The session id sent in `Audiohook-Session-Id` and used by the protocol session; give the one
   * the `logger` is bound to, so client and server logs match. @default a random UUID
   */
  readonly sessionId?: string;
  readonly organizationId: string;
  readonly media: MediaSource | undefined;
  readonly logger: AudioHookLogger;
  /** Aborting closes the session properly (`close{reason:end}`). */
  readonly signal?: AbortSignal;
  /** Called when `opened` arrives. */
  readonly onOpened?: () => void;
}

function connect(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, {
      headers,
      handshakeTimeout: timeoutMs,
      maxPayload: 1024 * 1024,
      perMessageDeflate: false,
    });
    const fail = (error: Error) => {
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      reject(error);
    };
    socket.once('open', () => {
      socket.off('error', fail);
      resolve(socket);
    });
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      fail(new Error(`upgrade refused: HTTP ${response.statusCode ?? '?'}`));
    });
    socket.once('error', fail);
  });
}

function aborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function schedule(
  session: ClientSession,
  script: readonly ScriptAction[],
  log: AudioHookLogger,
): () => void {
  const timers = script.map((action) =>
    setTimeout(() => {
      try {
        runAction(session, action);
      } catch (error) {
        // The session refuses a bad argument (e.g. a discard beyond the stream's range) with a
        // typed error; in a timer it would end the process.
        log.error(
          { action: action.kind, err: error instanceof Error ? error.message : String(error) },
          'script action refused',
        );
      }
    }, action.atMs),
  );
  return () => timers.forEach((t) => clearTimeout(t));
}

function runAction(session: ClientSession, action: ScriptAction): void {
  switch (action.kind) {
    case 'pause':
      session.pause();
      break;
    case 'resume':
      session.resume();
      break;
    case 'discard':
      session.discard(Math.round(action.durationMs * 1e6));
      break;
    case 'update':
      session.update(action.language);
      break;
    case 'close':
      session.close('end');
      break;
  }
}

/**
 * Logs what happens in the session: every protocol message at info (the whole message too when
 * `withBody`), and the milestones. Counts the event entities received.
 */
function logSessionEvents(
  session: ClientSession,
  log: AudioHookLogger,
  withBody: boolean,
): { entities: number } {
  const counts = { entities: 0 };
  logMessages(session, log, withBody);
  session.on('opened', (parameters) => log.info({ media: parameters.media }, 'opened'));
  session.on('event', (list) => {
    counts.entities += list.length;
  });
  session.on('transcript', (data) =>
    log.info(
      { channelId: data.channelId, offset: data.offset },
      `transcript: ${data.alternatives[0]?.interpretations[0]?.transcript ?? ''}`,
    ),
  );
  session.on('paused', (by) => log.info({ by }, 'paused'));
  session.on('resumed', () => log.info({}, 'resumed'));
  session.on('disconnect', (parameters) => log.warn({ ...parameters }, 'server disconnect'));
  session.on('protocolError', (error, code) =>
    log.error({ code, err: error.message }, 'protocol error; closing'),
  );
  session.on('end', (result) =>
    log.info(
      { clean: result.clean, closeReason: result.closeReason, audioBytes: result.audioBytes },
      'session ended',
    ),
  );
  return counts;
}

/** Why a finished session counts as failed, or `undefined` when it went well. */
function failureOf(result: ClientSessionResult): string | undefined {
  if (result.opened === undefined)
    return result.disconnect?.info ?? result.error?.message ?? 'no opened';
  if (result.disconnect !== undefined && result.disconnect.reason !== 'completed')
    return `disconnect ${result.disconnect.reason}${result.disconnect.info === undefined ? '' : `: ${result.disconnect.info}`}`;
  if (result.error !== undefined) return `error ${result.error.code}: ${result.error.message}`;
  if (!result.clean) return 'connection dropped before closed';
  return undefined;
}

/**
 * Runs one session to its end. Never rejects: failures are reported in the result.
 *
 * @example
 * ```ts
 * const run = await runSession({ options, organizationId, media: toneSource(3000), logger });
 * ```
 */
export async function runSession(run: RunSessionOptions): Promise<SessionRun> {
  const { options } = run;
  const sessionId = run.sessionId ?? randomUUID();
  const headers = createAudioHookHeaders({
    organizationId: run.organizationId,
    sessionId,
    correlationId: randomUUID(),
    apiKey: options.apiKey,
    clientSecret: options.clientSecret ?? null,
    requestTarget: `${options.uri.pathname}${options.uri.search}`,
    authority: options.uri.host,
  });
  const failed = (failure: string): SessionRun => ({
    sessionId,
    ok: false,
    failure,
    openLatencyMs: undefined,
    rttsMs: [],
    result: undefined,
    entities: 0,
  });
  if (run.signal?.aborted === true) return failed('aborted before connecting');
  let socket: WebSocket;
  try {
    socket = await connect(options.uri, headers, options.openTimeoutMs);
  } catch (error) {
    run.logger.error({ sessionId }, `connection failed: ${(error as Error).message}`);
    return failed((error as Error).message);
  }
  const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const session = new ClientSession({
    transport: fromWebSocket(socket),
    organizationId: run.organizationId,
    sessionId,
    ...(run.media === undefined ? {} : { media: run.media }),
    ...(options.language === undefined ? {} : { language: options.language }),
    ...(options.supportedLanguages ? { supportedLanguages: true } : {}),
    ...(options.customConfig === undefined ? {} : { customConfig: options.customConfig }),
    ...(options.connectionProbe
      ? {
          probe:
            options.maxStreamDurationMs === undefined
              ? true
              : { durationMs: options.maxStreamDurationMs },
        }
      : {}),
    ...(options.maxStreamDurationMs === undefined || options.connectionProbe
      ? {}
      : { maxStreamDurationMs: options.maxStreamDurationMs }),
    openTimeoutMs: options.openTimeoutMs,
    logger: run.logger,
  });
  const level = options.sessionLogLevel;
  const counts = logSessionEvents(session, run.logger, level === 'debug' || level === 'trace');
  const onAbort = () => session.close('end');
  run.signal?.addEventListener('abort', onAbort, { once: true });
  const started = performance.now();
  let openLatencyMs: number | undefined;
  let cancelScript = () => undefined as void;
  const opened = await session.start();
  if (opened !== undefined) {
    openLatencyMs = performance.now() - started;
    run.onOpened?.();
    cancelScript = schedule(session, options.script, run.logger);
    // The signal may have fired while the open was in flight.
    if (aborted(run.signal)) session.close('end');
  }
  const result = await session.finished;
  cancelScript();
  run.signal?.removeEventListener('abort', onAbort);
  if (socket.readyState !== WebSocket.CLOSED) {
    socket.close();
    const timer = setTimeout(() => socket.terminate(), 2000);
    await socketClosed;
    clearTimeout(timer);
  }
  const failure = failureOf(result);
  return {
    sessionId,
    ok: failure === undefined,
    failure,
    openLatencyMs,
    rttsMs: result.rtts.map((ns) => ns / 1e6),
    result,
    entities: counts.entities,
  };
}

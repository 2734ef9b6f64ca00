// One ProcessCallerInput stream, adapted to the library's CallerTurnSession: requests are
// validated and handed over in order, the session's responses are written to the call, and the
// stream completes with OK after the client's half-close or when the session says so (terminal
// reply, hang-up). Failures become gRPC statuses.

import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  ByovaError,
  eventResponse,
  parseVoiceVARequest,
  type ByovaRequest,
  type TurnStream,
  type VoiceVARequest__Output,
  type VoiceVAResponse,
} from '@org/byova';
import type { Logger } from 'pino';
import type { Conversation, ConversationRegistry } from './conversations';
import { GatewayError, GatewayErrorCode } from './errors';
import type { GatewayMetrics } from './metrics';

/** Everything a stream needs from the gateway. */
export interface CallerInputDeps {
  readonly registry: ConversationRegistry;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
}

type Call = ServerDuplexStream<VoiceVARequest__Output, VoiceVAResponse>;

/**
 * Requests of one stream waiting for the ones before them (a turn under way: the connector, the
 * conversation table) before the stream stops reading: grpc-js then stops taking data from the
 * HTTP/2 stream, so flow control holds the client back instead of the gateway queueing whatever it
 * sends. Reading resumes once the queue is down to {@link RESUME_QUEUED_STEPS}.
 */
export const MAX_QUEUED_STEPS = 64;
const RESUME_QUEUED_STEPS = MAX_QUEUED_STEPS / 4;

export class CallerInputStream {
  readonly #call: Call;
  readonly #deps: CallerInputDeps;
  #logger: Logger;
  #conversation: Conversation | undefined;
  #stream: TurnStream | undefined;
  #queue: Promise<void> = Promise.resolve();
  /** Steps chained on `#queue` that have not finished. */
  #queued = 0;
  /** Reading is paused until the queue drains (see {@link MAX_QUEUED_STEPS}). */
  #paused = false;
  /** When the last request arrived, or the last step finished (performance.now()). */
  #lastActivity = performance.now();
  #closed = false;
  /** Called once when the stream is over (for the gateway's bookkeeping). */
  onClose: (() => void) | undefined;

  constructor(call: Call, deps: CallerInputDeps) {
    this.#call = call;
    this.#deps = deps;
    const trackingId = call.metadata.get('trackingid')[0];
    this.#logger = deps.logger.child({
      rpc: 'ProcessCallerInput',
      ...(trackingId !== undefined ? { trackingid: String(trackingId) } : {}),
    });
  }

  /**
   * Listens for the end of the call (client cancellation, transport error). Call it as soon as
   * the call arrives, before anything is awaited: grpc-js emits `cancelled` once, and a stream
   * that misses it would never be closed.
   */
  watch(): void {
    this.#call.on('cancelled', () => {
      if (!this.#closed) this.#logger.info({}, 'stream cancelled by the client');
      this.#close('CANCELLED');
    });
    this.#call.on('error', (error: Error) => {
      // Our own rejections are emitted as 'error' too, after the stream is closed.
      if (this.#closed) return;
      this.#logger.warn({ err: error }, 'stream error');
      this.#close('INTERNAL');
    });
    if (this.#call.cancelled) this.#close('CANCELLED');
  }

  /** Starts reading requests (after {@link watch}). */
  start(): void {
    if (this.#closed) return;
    this.#call.on('data', (message: VoiceVARequest__Output) => {
      this.#lastActivity = performance.now();
      this.#step(() => this.#dispatch(message));
    });
    this.#call.on('end', () => {
      // The turn's audio is on disk before WxCC may open the next stream (on any instance).
      this.#step(async () => {
        await this.#conversation?.recorder?.flush();
        this.#finish();
      });
    });
  }

  /** Whether the stream is over (completed, failed, cancelled). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Ends the stream with `code` before it started (JWT refused); counted, not logged. */
  reject(code: status, details: string): void {
    this.#end(code, details);
  }

  /** Ends the stream from the server side (shutdown). */
  abort(details: string): void {
    this.#fail(new GatewayError(GatewayErrorCode.ShuttingDown, details));
  }

  /**
   * Ends the stream (DEADLINE_EXCEEDED) when no request arrived for `timeoutMs` and nothing of it
   * is under way (a turn, a table read) at `now`; true when it did.
   */
  expireIdle(now: number, timeoutMs: number): boolean {
    if (this.#closed || this.#queued > 0 || now - this.#lastActivity < timeoutMs) return false;
    this.#fail(
      new GatewayError(
        GatewayErrorCode.StreamIdle,
        `no request for ${timeoutMs / 1000} s: the stream is closed (gateway.stream_idle_timeout_seconds)`,
      ),
    );
    return true;
  }

  /**
   * Runs `step` after the steps before it. With none pending it runs at once, and a step that
   * finishes synchronously (an audio frame that completes nothing: nearly every request) costs
   * no promise at all.
   */
  #step(step: () => Promise<void> | undefined): void {
    const pending = this.#queued === 0 ? step() : this.#queue.then(step);
    if (pending === undefined) return;
    this.#queued += 1;
    if (this.#queued >= MAX_QUEUED_STEPS && !this.#paused && !this.#closed) {
      this.#paused = true;
      this.#call.pause();
      this.#deps.metrics.streamPauses.inc();
    }
    this.#queue = pending
      .catch((error: unknown) => this.#fail(error))
      .then(() => {
        this.#queued -= 1;
        this.#lastActivity = performance.now();
        if (this.#paused && this.#queued <= RESUME_QUEUED_STEPS) {
          this.#paused = false;
          if (!this.#closed) this.#call.resume();
        }
      });
  }

  /** Undefined when the request was handled synchronously. */
  #dispatch(message: VoiceVARequest__Output): Promise<void> | undefined {
    // After the stream closed, only audio it received before (queued behind a turn) is handled:
    // the turn session records it without analysing it.
    if (
      this.#closed &&
      (this.#conversation === undefined || message.voice_va_input_type !== 'audio_input')
    )
      return undefined;
    try {
      const request = this.#parse(message);
      if (this.#conversation === undefined) {
        // The stream's first request: find or create its conversation (may need the store).
        return this.#bind(request).then((stream) =>
          stream === undefined ? undefined : this.#receive(stream, request),
        );
      }
      return this.#receive(this.#same(request), request);
    } catch (error) {
      this.#fail(error);
      return undefined;
    }
  }

  #receive(stream: TurnStream, request: ByovaRequest): Promise<void> | undefined {
    const conversation = this.#conversation as Conversation;
    const handled = conversation.turnSession.receiveNow(stream, request.input);
    // The state the next turn needs is shared (and the turn's claim ended) before this stream
    // can complete; also after a failure, so that other instances need not wait for the claim.
    const persist = (): Promise<void> | undefined => this.#deps.registry.persist(conversation);
    if (handled === undefined) return persist();
    return handled.then(persist, async (error: unknown) => {
      await persist()?.catch(() => undefined);
      throw error;
    });
  }

  #parse(message: VoiceVARequest__Output): ByovaRequest {
    try {
      return parseVoiceVARequest(message);
    } catch (error) {
      if (error instanceof ByovaError) {
        this.#deps.metrics.badRequests.inc();
        throw new GatewayError(GatewayErrorCode.InvalidRequest, error.message, { cause: error });
      }
      throw error;
    }
  }

  /** The stream's conversation again: its id must not change within the stream. */
  #same(request: ByovaRequest): TurnStream {
    if (request.conversationId !== this.#conversation?.id || this.#stream === undefined) {
      throw new GatewayError(
        GatewayErrorCode.ConversationChanged,
        'conversation_id changed within a stream',
      );
    }
    return this.#stream;
  }

  /** The turn stream of the conversation named by the stream's first request. */
  async #bind(request: ByovaRequest): Promise<TurnStream | undefined> {
    const binding = await this.#deps.registry.bind(request);
    if (binding.kind === 'hangup') {
      // A hang-up for a conversation we do not hold (already ended, or never started here).
      this.#write(eventResponse('SESSION_END', 'session_ended_by_client'));
      this.#finish();
      return undefined;
    }
    const conversation = binding.conversation;
    this.#conversation = conversation;
    conversation.openStreams += 1;
    this.#logger = conversation.logger.child({ rpc: 'ProcessCallerInput' });
    this.#stream = conversation.turnSession.openStream({
      write: (response) => this.#write(response),
      complete: () => this.#finish(),
    });
    return this.#stream;
  }

  #write(response: VoiceVAResponse): void {
    if (!this.#closed) this.#call.write(response);
  }

  /** Completes the stream with OK. */
  #finish(): void {
    if (this.#closed) return;
    this.#call.end();
    this.#close('OK');
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    const code = error instanceof GatewayError ? error.grpcStatus : status.INTERNAL;
    const details =
      error instanceof GatewayError ? error.message : `Internal error: ${(error as Error).message}`;
    if (code === status.INTERNAL) this.#logger.error({ err: error }, 'stream failed');
    // A refusal at a limit is logged by CallLimitRefusals, at most once a minute.
    else if (!(error instanceof GatewayError && error.code === GatewayErrorCode.LimitReached))
      this.#logger.info({ code: status[code], details }, 'stream rejected');
    this.#end(code, details);
  }

  /** Ends the call with a status other than OK. */
  #end(code: status, details: string): void {
    if (this.#closed) return;
    // Closed first: the 'error' emitted below also reaches the listener of watch().
    this.#close(status[code]);
    this.#call.emit('error', { code, details });
  }

  #close(code: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stream?.close();
    this.#deps.metrics.rpcs.inc({ method: 'ProcessCallerInput', code });
    const conversation = this.#conversation;
    if (conversation !== undefined) {
      conversation.openStreams = Math.max(0, conversation.openStreams - 1);
      conversation.turnSession.touch();
      // After the audio still queued (behind a turn) has reached the recording.
      void this.#queue.then(() => conversation.recorder?.flush());
    }
    this.onClose?.();
  }
}

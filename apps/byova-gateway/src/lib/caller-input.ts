// One ProcessCallerInput stream: binds the conversation on the first request, dispatches every
// request in order (per conversation, across streams), owns the VAD for the caller turn, writes
// responses in the connector's reply mode, and completes the stream with OK after the client's
// half-close or right after a terminal response.

import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  ByovaError,
  buildChunkReply,
  buildWavReply,
  decodeCallerAudio,
  dtmfDigitToKey,
  eventResponse,
  isTerminalEvent,
  parseVoiceVARequest,
  type ByovaRequest,
  type TurnReply,
  type VoiceInput__Output,
  type VoiceVARequest__Output,
  type VoiceVAResponse,
} from '@org/byova';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config';
import type { ConnectionLog } from './connection-log';
import { Conversation, type ConversationRegistry } from './conversations';
import type { ConnectorEvent } from './connectors/types';
import type { GatewayMetrics } from './metrics';
import { ConversationRecorder } from './recorder';
import type { AgentRouter } from './router';
import { VoiceActivityDetector } from './vad';

/** Everything a stream needs from the gateway. */
export interface CallerInputDeps {
  readonly config: GatewayConfig;
  readonly registry: ConversationRegistry;
  readonly router: AgentRouter;
  readonly metrics: GatewayMetrics;
  readonly connections: ConnectionLog;
  readonly logger: Logger;
  /** Absolute directory for audio recordings, when enabled. */
  readonly recordingDir: string | undefined;
}

type Call = ServerDuplexStream<VoiceVARequest__Output, VoiceVAResponse>;
type TurnKind = 'speech' | 'dtmf' | 'event';

class StreamFailure extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export class CallerInputStream {
  readonly #call: Call;
  readonly #deps: CallerInputDeps;
  #logger: Logger;
  #conversation: Conversation | undefined;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;
  #vad: VoiceActivityDetector | undefined;
  #turnDone = false;
  #badAudioLogged = false;
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

  /** Starts reading requests. */
  start(): void {
    this.#call.on('data', (message: VoiceVARequest__Output) => {
      this.#queue = this.#queue.then(() => this.#dispatch(message));
    });
    this.#call.on('end', () => {
      this.#queue = this.#queue.then(() => this.#complete());
    });
    this.#call.on('cancelled', () => {
      if (!this.#closed) this.#logger.info('stream cancelled by the client');
      this.#close('CANCELLED');
    });
    this.#call.on('error', (error: Error) => {
      this.#logger.warn({ err: error }, 'stream error');
      this.#close('INTERNAL');
    });
  }

  /** Ends the stream from the server side (shutdown). */
  abort(details: string): void {
    this.#fail(new StreamFailure(status.UNAVAILABLE, details));
  }

  async #dispatch(message: VoiceVARequest__Output): Promise<void> {
    if (this.#closed) return;
    try {
      const request = this.#parse(message);
      const conversation = this.#bind(request);
      if (conversation === undefined) return;
      conversation.touch();
      await conversation.run(() => this.#handle(conversation, request));
    } catch (error) {
      this.#fail(error);
    }
  }

  #parse(message: VoiceVARequest__Output): ByovaRequest {
    try {
      return parseVoiceVARequest(message);
    } catch (error) {
      if (error instanceof ByovaError) {
        this.#deps.metrics.badRequests.inc();
        throw new StreamFailure(status.INVALID_ARGUMENT, error.message);
      }
      throw error;
    }
  }

  /** Finds or creates the conversation of the stream's first request. */
  #bind(request: ByovaRequest): Conversation | undefined {
    const current = this.#conversation;
    if (current !== undefined) {
      if (request.conversationId !== current.id) {
        throw new StreamFailure(status.INVALID_ARGUMENT, 'conversation_id changed within a stream');
      }
      return current.ended ? undefined : current;
    }
    const { registry, router } = this.#deps;
    const existing = registry.get(request.conversationId);
    if (existing !== undefined) {
      if (request.virtualAgentId !== '' && request.virtualAgentId !== existing.agentId) {
        throw new StreamFailure(
          status.INVALID_ARGUMENT,
          'virtual_agent_id does not match the existing conversation',
        );
      }
      return this.#attach(existing);
    }
    const routed = router.resolve(request.virtualAgentId);
    if (routed === undefined) {
      throw request.virtualAgentId === ''
        ? new StreamFailure(status.INVALID_ARGUMENT, 'No virtual agents available')
        : new StreamFailure(status.NOT_FOUND, `Agent not found: ${request.virtualAgentId}`);
    }
    if (request.input.kind === 'event' && request.input.type === 'SESSION_END') {
      // A hang-up for a conversation we do not hold (already ended, or never started here).
      this.#write(eventResponse('SESSION_END', 'session_ended_by_client'));
      this.#finish();
      return undefined;
    }
    const logger = this.#deps.logger.child({
      conversation_id: request.conversationId,
      agent_id: routed.agent.id,
    });
    const conversation = new Conversation({
      id: request.conversationId,
      agentId: routed.agent.id,
      customerOrgId: request.customerOrgId,
      connector: routed.connector,
      session: routed.connector.openSession({
        conversationId: request.conversationId,
        agentId: routed.agent.id,
        customerOrgId: request.customerOrgId,
        logger,
      }),
      logger,
      recorder:
        this.#deps.recordingDir !== undefined
          ? new ConversationRecorder(this.#deps.recordingDir, request.conversationId, logger)
          : undefined,
    });
    registry.add(conversation);
    logger.info({ customer_org_id: request.customerOrgId }, 'conversation started');
    return this.#attach(conversation);
  }

  #attach(conversation: Conversation): Conversation {
    this.#conversation = conversation;
    conversation.openStreams += 1;
    this.#logger = conversation.logger.child({ rpc: 'ProcessCallerInput' });
    return conversation;
  }

  async #handle(conversation: Conversation, request: ByovaRequest): Promise<void> {
    if (this.#closed || conversation.ended) return;
    const input = request.input;
    switch (input.kind) {
      case 'audio':
        return this.#audio(conversation, input.audio);
      case 'dtmf': {
        conversation.dtmfMode = false;
        const keys = this.#stripTerminator(conversation, input.keys.join(''));
        this.#turn(conversation, 'dtmf', { digits: keys.length });
        return this.#reply(conversation, 'dtmf', () => conversation.session.dtmf(keys));
      }
      case 'event':
        return this.#event(conversation, input.type, input.name, input.parameters);
      case 'none':
        return;
    }
  }

  #stripTerminator(conversation: Conversation, keys: string): string {
    if (!this.#deps.config.gateway.strip_dtmf_terminator) return keys;
    const termchar = conversation.input.inputHandlingConfig.dtmf_config?.termchar;
    if (termchar === undefined || termchar === 'DTMF_EVENT_UNSPECIFIED' || termchar === 0)
      return keys;
    const terminator = dtmfDigitToKey(termchar);
    return keys.endsWith(terminator) ? keys.slice(0, -1) : keys;
  }

  async #event(
    conversation: Conversation,
    type: string,
    name: string,
    parameters: ConnectorEvent['parameters'],
  ): Promise<void> {
    switch (type) {
      case 'SESSION_START':
        if (conversation.welcomed) {
          this.#logger.warn('duplicate SESSION_START ignored');
          return;
        }
        conversation.welcomed = true;
        this.#turn(conversation, 'event', { event: type });
        return this.#reply(conversation, 'event', () =>
          conversation.session.start({ name, parameters }),
        );
      case 'SESSION_END':
        this.#turn(conversation, 'event', { event: type });
        await this.#deps.registry.end(conversation, 'client_session_end');
        this.#write(eventResponse('SESSION_END', 'session_ended_by_client'));
        this.#finish();
        return;
      case 'START_OF_DTMF':
        conversation.dtmfMode = true;
        this.#vad = undefined;
        break;
      default:
        break;
    }
    this.#turn(conversation, 'event', { event: type });
    const event: ConnectorEvent = {
      type: (['NO_INPUT', 'START_OF_DTMF', 'CUSTOM_EVENT'].includes(type)
        ? type
        : 'UNSPECIFIED_INPUT') as ConnectorEvent['type'],
      name,
      parameters,
    };
    return this.#reply(conversation, 'event', () => conversation.session.event(event));
  }

  async #audio(conversation: Conversation, audio: VoiceInput__Output): Promise<void> {
    const vadConfig = this.#deps.config.voice_activity_detection;
    let decoded;
    try {
      decoded = decodeCallerAudio(audio, {
        encoding: vadConfig.fallback_encoding,
        sampleRateHertz: vadConfig.fallback_sample_rate_hertz,
      });
    } catch (error) {
      // One bad frame must not end the call: skip it and say so once per stream.
      this.#deps.metrics.badRequests.inc();
      if (!this.#badAudioLogged) this.#logger.warn({ err: error }, 'caller audio frame skipped');
      this.#badAudioLogged = true;
      return;
    }
    conversation.recorder?.caller(decoded.samples, decoded.sampleRate);
    if (conversation.dtmfMode || this.#turnDone) return;
    if (audio.caller_audio.length < vadConfig.min_frame_bytes) return;
    if (this.#vad === undefined || this.#vad.sampleRate !== decoded.sampleRate) {
      this.#vad = new VoiceActivityDetector(decoded.sampleRate, {
        speechThresholdDbfs: vadConfig.speech_threshold_dbfs,
        startDebounceMs: vadConfig.start_debounce_ms,
        endSilenceMs: vadConfig.end_silence_ms,
        maxUtteranceMs: vadConfig.max_utterance_ms,
        preRollMs: vadConfig.pre_roll_ms,
      });
    }
    const events = this.#vad.push(decoded.samples);
    if (
      events.length === 0 &&
      vadConfig.no_input_timeout_ms > 0 &&
      this.#vad.state === 'idle' &&
      this.#vad.elapsedMs >= vadConfig.no_input_timeout_ms
    ) {
      // The caller said nothing for the whole no-input window: close the turn so WxCC stops
      // streaming, and answer as for a NO_INPUT event (never an OutputEvent NO_INPUT, which
      // would make the flow leave the virtual agent).
      this.#turnDone = true;
      this.#write(eventResponse('END_OF_INPUT', 'no_input'));
      this.#turn(conversation, 'event', { event: 'NO_INPUT', source: 'gateway' });
      return this.#reply(conversation, 'event', () =>
        conversation.session.event({ type: 'NO_INPUT', name: 'gateway_no_input', parameters: {} }),
      );
    }
    for (const event of events) {
      if (event.type === 'start') {
        this.#write(eventResponse('START_OF_INPUT'));
        conversation.session.speechStarted?.();
        continue;
      }
      this.#turnDone = true;
      this.#write(eventResponse('END_OF_INPUT', 'end_of_input'));
      this.#turn(conversation, 'speech', {
        ms: Math.round((event.utterance.length * 1000) / decoded.sampleRate),
        end: event.reason,
      });
      const ended = process.hrtime.bigint();
      await this.#reply(
        conversation,
        'speech',
        () =>
          conversation.session.utterance({
            samples: event.utterance,
            sampleRate: decoded.sampleRate,
          }),
        ended,
      );
    }
  }

  #turn(
    conversation: Conversation,
    kind: TurnKind,
    details: Record<string, string | number>,
  ): void {
    conversation.turns += 1;
    this.#deps.metrics.turns.inc({ kind });
    this.#deps.connections.record({
      event_type: 'turn',
      conversation_id: conversation.id,
      agent_id: conversation.agentId,
      kind,
      ...details,
    });
  }

  async #reply(
    conversation: Conversation,
    kind: TurnKind,
    produce: () => Promise<TurnReply | null>,
    endOfInputAt?: bigint,
  ): Promise<void> {
    let reply: TurnReply | null;
    try {
      reply = await produce();
    } catch (error) {
      this.#deps.metrics.connectorErrors.inc({ connector: conversation.connector.key });
      this.#logger.error({ err: error, turn: kind }, 'connector failed; sending its error reply');
      reply = conversation.connector.errorReply(error);
    }
    if (this.#closed || conversation.ended) return;
    if (reply === null) {
      // Speech turns already said END_OF_INPUT; events and DTMF entries are closed with a FINAL.
      if (kind !== 'speech') {
        this.#write({
          response_type: 'FINAL',
          input_mode: conversation.input.inputMode,
          input_handling_config: conversation.input.inputHandlingConfig,
        });
      }
      return;
    }
    const effective: TurnReply = {
      ...reply,
      prompts:
        this.#deps.config.gateway.text_only_prompts === 'drop'
          ? reply.prompts.filter((p) => p.audio !== undefined && p.audio.length > 0)
          : reply.prompts,
      inputMode: reply.inputMode ?? conversation.connector.input.inputMode,
      inputHandlingConfig:
        reply.inputHandlingConfig ?? conversation.connector.input.inputHandlingConfig,
    };
    const responses =
      conversation.connector.replyMode === 'chunk'
        ? buildChunkReply(effective, { chunkBytes: this.#deps.config.gateway.chunk_bytes })
        : [buildWavReply(effective)];
    for (const response of responses) this.#write(response);
    if (endOfInputAt !== undefined) {
      this.#deps.metrics.replyLatency.observe(Number(process.hrtime.bigint() - endOfInputAt) / 1e9);
    }
    for (const prompt of effective.prompts)
      if (prompt.audio !== undefined) conversation.recorder?.bot(prompt.audio);
    const event = effective.event;
    if (event !== undefined && isTerminalEvent(event.type)) {
      this.#deps.metrics.terminals.inc({ outcome: event.type });
      this.#deps.connections.record({
        event_type: 'terminal',
        conversation_id: conversation.id,
        agent_id: conversation.agentId,
        outcome: event.type,
        name: event.name ?? '',
      });
      this.#finish();
      await this.#deps.registry.end(
        conversation,
        event.type === 'SESSION_END' ? 'completed' : 'transferred',
      );
      return;
    }
    conversation.input = {
      inputMode: effective.inputMode ?? conversation.input.inputMode,
      inputHandlingConfig: effective.inputHandlingConfig ?? conversation.input.inputHandlingConfig,
    };
  }

  #write(response: VoiceVAResponse): void {
    if (this.#closed) return;
    this.#call.write(response);
  }

  async #complete(): Promise<void> {
    this.#finish();
  }

  /** Completes the stream with OK. */
  #finish(): void {
    if (this.#closed) return;
    this.#call.end();
    this.#close('OK');
  }

  #fail(error: unknown): void {
    if (this.#closed) return;
    const failure =
      error instanceof StreamFailure
        ? error
        : new StreamFailure(status.INTERNAL, `Internal error: ${(error as Error).message}`);
    if (failure.code === status.INTERNAL) this.#logger.error({ err: error }, 'stream failed');
    else
      this.#logger.info(
        { code: status[failure.code], details: failure.message },
        'stream rejected',
      );
    this.#call.emit('error', { code: failure.code, details: failure.message });
    this.#close(status[failure.code]);
  }

  #close(code: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deps.metrics.rpcs.inc({ method: 'ProcessCallerInput', code });
    const conversation = this.#conversation;
    if (conversation !== undefined) {
      conversation.openStreams = Math.max(0, conversation.openStreams - 1);
      conversation.touch();
    }
    this.onClose?.();
  }
}

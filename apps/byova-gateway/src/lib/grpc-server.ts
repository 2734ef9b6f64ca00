// The gRPC listener: VoiceVirtualAgent (ProcessCallerInput, ListVirtualAgents) and grpc.health.v1,
// with JWT validation of every call when enabled. At most `gateway.max_caller_streams`
// ProcessCallerInput streams are open at once (over every connection); more get RESOURCE_EXHAUSTED
// (as do streams that would start a conversation beyond `gateway.max_conversations`: see
// ConversationRegistry.bind).

import {
  Server,
  ServerCredentials,
  status,
  type Metadata,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type sendUnaryData,
} from '@grpc/grpc-js';
import {
  loadByovaGrpcObject,
  type HealthHandlers,
  type ListVARequest__Output,
  type ListVAResponse,
  type VoiceVARequest__Output,
  type VoiceVAResponse,
} from '@org/byova';
import type { GatewayConfig } from '../config';
import { limitError, type RefuseCall } from './call-limits';
import { CallerInputStream, type CallerInputDeps } from './caller-input';
import type { HealthService } from './health';
import { JwtValidationError, extractToken, type JwtValidator } from './jwt';
import type { AgentRouter } from './router';

export interface GrpcGatewayOptions extends CallerInputDeps {
  readonly config: GatewayConfig;
  readonly router: AgentRouter;
  readonly health: HealthService;
  /** Undefined: JWT validation is off. */
  readonly jwt: JwtValidator | undefined;
  /** Records a call refused at a limit (metric, log). @default no record */
  readonly refuse?: RefuseCall;
}

type AuthResult =
  { readonly ok: true } | { readonly ok: false; readonly code: status; readonly details: string };

export class GrpcGateway {
  readonly #options: GrpcGatewayOptions;
  readonly #server: Server;
  readonly #streams = new Set<CallerInputStream>();
  #port: number | undefined;
  /** Ends streams idle for `gateway.stream_idle_timeout_seconds` (one sweep for all streams). */
  #idleSweep: NodeJS.Timeout | undefined;

  constructor(options: GrpcGatewayOptions) {
    this.#options = options;
    const limits = options.config.gateway;
    this.#server = new Server({
      'grpc.max_receive_message_length': limits.max_message_bytes,
      'grpc.max_send_message_length': limits.max_message_bytes,
      'grpc.max_concurrent_streams': limits.max_concurrent_streams,
    });
    // The request size limit is applied by the deserializer, before a request is decoded.
    const { com, grpc } = loadByovaGrpcObject({
      maxRequestNonAudioBytes: limits.max_request_non_audio_bytes,
    });
    this.#server.addService(com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent.service, {
      ProcessCallerInput: (call: ServerDuplexStream<VoiceVARequest__Output, VoiceVAResponse>) =>
        this.#processCallerInput(call),
      ListVirtualAgents: (
        call: ServerUnaryCall<ListVARequest__Output, ListVAResponse>,
        callback: sendUnaryData<ListVAResponse>,
      ) => {
        this.#listVirtualAgents(call, callback).catch((error: unknown) => {
          options.logger.error({ err: error }, 'ListVirtualAgents failed');
          callback({
            code: status.INTERNAL,
            details: `Internal server error: ${(error as Error).message}`,
          });
        });
      },
    });
    const health = options.health.handlers();
    const exempt = options.config.jwt_validation.exempt_health;
    const healthImpl: HealthHandlers = {
      Check: (call, callback) => {
        if (exempt) return health.Check(call, callback);
        void this.#authorize(call.metadata, 'Health/Check').then((auth) =>
          auth.ok
            ? health.Check(call, callback)
            : callback({ code: auth.code, details: auth.details }),
        );
      },
      List: (call, callback) => {
        if (exempt) return health.List(call, callback);
        void this.#authorize(call.metadata, 'Health/List').then((auth) =>
          auth.ok
            ? health.List(call, callback)
            : callback({ code: auth.code, details: auth.details }),
        );
      },
      Watch: (call) => {
        if (exempt) return health.Watch(call);
        void this.#authorize(call.metadata, 'Health/Watch').then((auth) => {
          // Cancelled while the token was checked: grpc-js will not say so again.
          if (call.cancelled) return;
          if (auth.ok) health.Watch(call);
          else call.emit('error', { code: auth.code, details: auth.details });
        });
      },
    };
    this.#server.addService(grpc.health.v1.Health.service, healthImpl);
  }

  /** The bound port (after {@link listen}). */
  get port(): number {
    if (this.#port === undefined) throw new Error('the gRPC server is not listening');
    return this.#port;
  }

  get activeStreams(): number {
    return this.#streams.size;
  }

  listen(): Promise<number> {
    const { host, port } = this.#options.config.gateway;
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(address, ServerCredentials.createInsecure(), (error, bound) => {
        if (error !== null) {
          reject(
            new Error(`cannot listen for gRPC on ${address}: ${error.message}`, { cause: error }),
          );
          return;
        }
        this.#port = bound;
        this.#startIdleSweep();
        resolve(bound);
      });
    });
  }

  #startIdleSweep(): void {
    const timeoutMs = this.#options.config.gateway.stream_idle_timeout_seconds * 1000;
    if (timeoutMs === 0 || this.#idleSweep !== undefined) return;
    const sweep = (): void => {
      const now = performance.now();
      let ended = 0;
      for (const stream of this.#streams) if (stream.expireIdle(now, timeoutMs)) ended += 1;
      if (ended > 0)
        this.#options.logger.info(
          { streams: ended, idle_timeout_seconds: timeoutMs / 1000 },
          'idle ProcessCallerInput streams closed',
        );
    };
    this.#idleSweep = setInterval(sweep, Math.min(Math.max(timeoutMs / 4, 10), 5000));
    this.#idleSweep.unref();
  }

  /** Stops accepting calls; open streams get `graceMs` to finish, then are cancelled. */
  async close(graceMs: number): Promise<void> {
    if (this.#idleSweep !== undefined) clearInterval(this.#idleSweep);
    this.#idleSweep = undefined;
    await new Promise<void>((resolve) => {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        for (const stream of this.#streams) stream.abort('the gateway is shutting down');
        this.#server.forceShutdown();
        done = true;
        resolve();
      }, graceMs);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        if (!done) {
          done = true;
          resolve();
        }
      });
    });
  }

  async #authorize(metadata: Metadata, method: string): Promise<AuthResult> {
    const validator = this.#options.jwt;
    if (validator === undefined) return { ok: true };
    const { logger, metrics, config } = this.#options;
    const enforce = config.jwt_validation.enforce_validation;
    const raw = metadata.get('authorization')[0];
    const token = extractToken(raw === undefined ? undefined : String(raw));
    if (token === undefined) {
      metrics.jwtRejections.inc({ reason: 'missing' });
      logger.warn({ method, enforced: enforce }, 'call without a JWT');
      return enforce
        ? {
            ok: false,
            code: status.UNAUTHENTICATED,
            details: 'Missing JWT token in authorization metadata',
          }
        : { ok: true };
    }
    try {
      await validator.validate(token);
      return { ok: true };
    } catch (error) {
      const reason = error instanceof JwtValidationError ? error.reason : 'internal';
      const message =
        error instanceof JwtValidationError ? error.message : 'unexpected validation error';
      metrics.jwtRejections.inc({ reason });
      logger.warn({ method, reason, enforced: enforce }, `JWT rejected: ${message}`);
      return enforce
        ? { ok: false, code: status.UNAUTHENTICATED, details: `JWT validation failed: ${message}` }
        : { ok: true };
    }
  }

  #processCallerInput(call: ServerDuplexStream<VoiceVARequest__Output, VoiceVAResponse>): void {
    const stream = new CallerInputStream(call, this.#options);
    const max = this.#options.config.gateway.max_caller_streams;
    if (this.#streams.size >= max) {
      const error = (this.#options.refuse ?? limitError)('caller_streams', max);
      stream.reject(error.grpcStatus, error.message);
      return;
    }
    this.#streams.add(stream);
    stream.onClose = () => this.#streams.delete(stream);
    // Before anything is awaited: a call cancelled during JWT validation is closed and forgotten.
    stream.watch();
    if (this.#options.jwt === undefined) {
      stream.start();
      return;
    }
    // Hold requests until the token is checked; grpc-js buffers them in the paused stream.
    call.pause();
    void this.#authorize(call.metadata, 'ProcessCallerInput').then((auth) => {
      // Cancelled by the client or aborted by a shutdown while the token was checked.
      if (stream.closed) return;
      if (!auth.ok) {
        stream.reject(auth.code, auth.details);
        return;
      }
      stream.start();
      call.resume();
    });
  }

  async #listVirtualAgents(
    call: ServerUnaryCall<ListVARequest__Output, ListVAResponse>,
    callback: sendUnaryData<ListVAResponse>,
  ): Promise<void> {
    const auth = await this.#authorize(call.metadata, 'ListVirtualAgents');
    if (!auth.ok) {
      this.#options.metrics.rpcs.inc({ method: 'ListVirtualAgents', code: status[auth.code] });
      callback({ code: auth.code, details: auth.details });
      return;
    }
    const agents = this.#options.router.agents();
    this.#options.metrics.rpcs.inc({ method: 'ListVirtualAgents', code: 'OK' });
    callback(null, {
      virtual_agents: agents.map((agent) => ({
        virtual_agent_id: agent.id,
        virtual_agent_name: agent.name,
        is_default: agent.isDefault,
        attributes: { ...(agent.attributes ?? {}) },
      })),
    });
  }
}

// A WxCC-like gRPC client: one ProcessCallerInput stream per interaction, half-closed when the
// client has nothing more to send, read until the server ends it.

import {
  Metadata,
  credentials,
  type status,
  type ClientDuplexStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  loadByovaGrpcObject,
  type HealthClient,
  type ListVAResponse__Output,
  type VoiceVARequest,
  type VoiceVAResponse__Output,
  type VoiceVirtualAgentClient,
} from '@org/byova';
import { randomUUID } from 'node:crypto';

export interface ClientOptions {
  /** `host:port` of the gateway. */
  readonly target: string;
  /** The datasource JWS, sent as `authorization: Bearer <token>`. */
  readonly token?: string | undefined;
  /** Per-RPC deadline in ms. @default 60000 */
  readonly deadlineMs?: number;
}

/** An interaction stream being driven. */
export interface Interaction {
  /** Sends one request (ignored once the stream is over). */
  write(request: VoiceVARequest): void;
  /** Half-closes: the client has nothing more to send. */
  halfClose(): void;
  /** Whether the server has ended the stream. */
  readonly done: boolean;
  /** Settles with every response and the final status when the stream ends. */
  readonly finished: Promise<InteractionResult>;
}

export interface InteractionResult {
  readonly responses: VoiceVAResponse__Output[];
  readonly code: status;
  readonly details: string;
}

/** What a call needs: interaction streams (on one gateway, or spread over several). */
export interface InteractionClient {
  /** Opens a ProcessCallerInput stream; `onResponse` sees every response as it arrives. */
  open(
    onResponse?: (response: VoiceVAResponse__Output, interaction: Interaction) => void,
  ): Interaction;
  /** Sends `requests`, half-closes, and waits for the end of the stream. */
  exchange(requests: readonly VoiceVARequest[]): Promise<InteractionResult>;
}

export class WxccClient implements InteractionClient {
  readonly #va: VoiceVirtualAgentClient;
  readonly #health: HealthClient;
  readonly #options: ClientOptions;

  constructor(options: ClientOptions) {
    this.#options = options;
    const { com, grpc } = loadByovaGrpcObject();
    const channel = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };
    this.#va = new com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent(
      options.target,
      credentials.createInsecure(),
      channel,
    );
    this.#health = new grpc.health.v1.Health(options.target, credentials.createInsecure());
  }

  close(): void {
    this.#va.close();
    this.#health.close();
  }

  #metadata(): Metadata {
    const metadata = new Metadata();
    if (this.#options.token !== undefined)
      metadata.set('authorization', `Bearer ${this.#options.token}`);
    metadata.set('trackingid', randomUUID());
    return metadata;
  }

  #deadline(): Date {
    return new Date(Date.now() + (this.#options.deadlineMs ?? 60_000));
  }

  listVirtualAgents(customerOrgId: string): Promise<ListVAResponse__Output> {
    return new Promise((resolve, reject) => {
      this.#va.ListVirtualAgents(
        { customer_org_id: customerOrgId, is_default_virtual_agent_enabled: true },
        this.#metadata(),
        { deadline: this.#deadline() },
        (error: ServiceError | null, response?: ListVAResponse__Output) =>
          error !== null || response === undefined
            ? reject(error ?? new Error('empty response'))
            : resolve(response),
      );
    });
  }

  healthCheck(service = ''): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#health.Check({ service }, { deadline: this.#deadline() }, (error, response) =>
        error !== null || response === undefined
          ? reject(error ?? new Error('empty response'))
          : resolve(response.status),
      );
    });
  }

  /** Opens a ProcessCallerInput stream; `onResponse` sees every response as it arrives. */
  open(
    onResponse?: (response: VoiceVAResponse__Output, interaction: Interaction) => void,
  ): Interaction {
    const call: ClientDuplexStream<VoiceVARequest, VoiceVAResponse__Output> =
      this.#va.ProcessCallerInput(this.#metadata(), { deadline: this.#deadline() });
    const responses: VoiceVAResponse__Output[] = [];
    let done = false;
    let halfClosed = false;
    const interaction: Interaction = {
      write: (request) => {
        if (!done && !halfClosed) call.write(request);
      },
      halfClose: () => {
        if (!done && !halfClosed) {
          halfClosed = true;
          call.end();
        }
      },
      get done() {
        return done;
      },
      finished: new Promise((resolve) => {
        call.on('status', (s) => {
          done = true;
          resolve({ responses, code: s.code, details: s.details });
        });
        // Errors also arrive as a status; the listener keeps them from being thrown.
        call.on('error', () => undefined);
      }),
    };
    call.on('data', (response: VoiceVAResponse__Output) => {
      responses.push(response);
      onResponse?.(response, interaction);
    });
    return interaction;
  }

  /** Sends `requests`, half-closes, and waits for the end of the stream. */
  async exchange(requests: readonly VoiceVARequest[]): Promise<InteractionResult> {
    const interaction = this.open();
    for (const request of requests) interaction.write(request);
    interaction.halfClose();
    return interaction.finished;
  }
}

/**
 * Spreads a call's streams over several gateways in turn (first stream on the first target,
 * second on the next, ...), as a load balancer in front of gateway instances may: each
 * interaction may land on another instance.
 */
export class RotatingClient implements InteractionClient {
  readonly #clients: readonly WxccClient[];
  #next = 0;

  constructor(clients: readonly WxccClient[]) {
    if (clients.length === 0) throw new Error('RotatingClient needs at least one client');
    this.#clients = clients;
  }

  /** How many streams each target got, in target order. */
  readonly counts: number[] = [];

  #pick(): WxccClient {
    const index = this.#next % this.#clients.length;
    this.#next += 1;
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    return this.#clients[index] as WxccClient;
  }

  open(
    onResponse?: (response: VoiceVAResponse__Output, interaction: Interaction) => void,
  ): Interaction {
    return this.#pick().open(onResponse);
  }

  exchange(requests: readonly VoiceVARequest[]): Promise<InteractionResult> {
    return this.#pick().exchange(requests);
  }
}

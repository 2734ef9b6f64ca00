// The gateway's metrics, on the service kit (prom-client). Every label is declared with its
// finite set of values: anything else, whatever a client sends, is counted as `other`.

import { status } from '@grpc/grpc-js';
import {
  createMetrics,
  type BoundedCounter,
  type BoundedHistogram,
  type Metrics,
} from '@org/service-kit';

/** gRPC status names (`OK`, `NOT_FOUND`, ...). */
const GRPC_CODES = Object.keys(status).filter((k) => Number.isNaN(Number(k)));

/** Why a conversation ended. */
export const END_REASONS = [
  'client_session_end',
  'completed',
  'transferred',
  'idle_timeout',
  'shutdown',
] as const;

/** Why a JWT was refused (`JwtValidationError.reason`, plus `missing` and `internal`). */
export const JWT_REJECTION_REASONS = [
  'missing',
  'malformed',
  'algorithm',
  'issuer',
  'claims',
  'datasource',
  'expired',
  'signature',
  'invalid',
  'jwks',
  'internal',
] as const;

/** Client-opened calls with a limit (`byova_call_limit_refusals_total{method}`). */
export const LIMITED_METHODS = ['ProcessCallerInput', 'Health/Watch'] as const;
export type LimitedMethod = (typeof LIMITED_METHODS)[number];

/**
 * The limits a call can be refused at (`byova_call_limit_refusals_total{limit}`), each the
 * setting `gateway.max_<limit>`: `caller_streams` and `conversations` refuse ProcessCallerInput,
 * `health_watchers` refuses Health/Watch.
 */
export const CALL_LIMITS = ['caller_streams', 'conversations', 'health_watchers'] as const;
export type CallLimit = (typeof CALL_LIMITS)[number];

/** Why audio could not be recorded. */
export const RECORDING_FAILURES = ['limit', 'open', 'write'] as const;

/** Options of {@link GatewayMetrics}. */
export interface GatewayMetricsOptions {
  /** YAML keys of the configured connectors (the values of the `connector` label). */
  readonly connectorKeys: readonly string[];
  readonly activeConversations: () => number;
  readonly activeStreams: () => number;
  /** Configured connectors that have not started yet (being retried). */
  readonly pendingConnectors?: () => number;
  /** Open grpc.health.v1 Watch calls. */
  readonly healthWatchers?: () => number;
}

/** The gateway's metrics. */
export class GatewayMetrics {
  readonly metrics: Metrics = createMetrics();
  readonly rpcs: BoundedCounter<'method' | 'code'>;
  readonly conversations: BoundedCounter<never>;
  readonly conversationEnds: BoundedCounter<'reason'>;
  readonly turns: BoundedCounter<'kind'>;
  readonly terminals: BoundedCounter<'outcome'>;
  readonly connectorErrors: BoundedCounter<'connector'>;
  readonly connectorStartFailures: BoundedCounter<'connector'>;
  readonly jwtRejections: BoundedCounter<'reason'>;
  readonly badRequests: BoundedCounter<never>;
  readonly streamPauses: BoundedCounter<never>;
  readonly recordingFailures: BoundedCounter<'reason'>;
  readonly replyLatency: BoundedHistogram<never>;
  readonly storeOperations: BoundedCounter<'operation' | 'outcome'>;
  readonly limitRefusals: BoundedCounter<'method' | 'limit'>;

  constructor(options: GatewayMetricsOptions) {
    const m = this.metrics;
    const connectors = options.connectorKeys.length > 0 ? options.connectorKeys : ['none'];
    this.rpcs = m.counter({
      name: 'byova_rpcs_total',
      help: 'gRPC calls completed, by method and status code',
      labels: { method: ['ProcessCallerInput', 'ListVirtualAgents'], code: GRPC_CODES },
    });
    this.conversations = m.counter({
      name: 'byova_conversations_total',
      help: 'Conversations created',
    });
    this.conversationEnds = m.counter({
      name: 'byova_conversation_ends_total',
      help: 'Conversations ended, by reason',
      labels: { reason: END_REASONS },
    });
    this.turns = m.counter({
      name: 'byova_turns_total',
      help: 'Caller turns handled, by kind (speech, dtmf, event)',
      labels: { kind: ['speech', 'dtmf', 'event'] },
    });
    this.terminals = m.counter({
      name: 'byova_terminal_responses_total',
      help: 'Terminal responses, by outcome',
      labels: { outcome: ['SESSION_END', 'TRANSFER_TO_AGENT'] },
    });
    this.connectorErrors = m.counter({
      name: 'byova_connector_errors_total',
      help: 'Connector calls that failed, by connector',
      labels: { connector: connectors },
    });
    this.connectorStartFailures = m.counter({
      name: 'byova_connector_start_failures_total',
      help: 'Connector init() attempts that failed (each is retried with backoff), by connector',
      labels: { connector: connectors },
    });
    this.jwtRejections = m.counter({
      name: 'byova_jwt_rejections_total',
      help: 'Calls rejected by JWT validation, by reason class',
      labels: { reason: JWT_REJECTION_REASONS },
    });
    this.badRequests = m.counter({
      name: 'byova_bad_requests_total',
      help: 'Requests rejected as malformed and caller audio frames skipped',
    });
    this.streamPauses = m.counter({
      name: 'byova_stream_pauses_total',
      help: 'ProcessCallerInput streams paused (HTTP/2 flow control) because the client sent requests faster than the gateway handled them',
    });
    this.recordingFailures = m.counter({
      name: 'byova_recording_failures_total',
      help: 'Audio that could not be recorded: refused at the concurrency limit, or a file that could not be opened or written',
      labels: { reason: RECORDING_FAILURES },
    });
    this.storeOperations = m.counter({
      name: 'byova_state_store_operations_total',
      help: 'Conversation table operations, by operation and outcome (conflict: another instance wrote first)',
      labels: { operation: ['load', 'save', 'delete'], outcome: ['ok', 'conflict', 'error'] },
    });
    this.limitRefusals = m.counter({
      name: 'byova_call_limit_refusals_total',
      help: 'Calls refused with RESOURCE_EXHAUSTED because a limit was reached (limit: gateway.max_caller_streams, gateway.max_conversations, gateway.max_health_watchers), by method and limit',
      labels: { method: LIMITED_METHODS, limit: CALL_LIMITS },
    });
    this.replyLatency = m.histogram({
      name: 'byova_reply_latency_seconds',
      help: 'Time from END_OF_INPUT to the reply of a turn',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    m.gauge({
      name: 'byova_conversations_active',
      help: 'Conversations currently held',
      collect: (g) => g.set(undefined, options.activeConversations()),
    });
    m.gauge({
      name: 'byova_streams_active',
      help: 'ProcessCallerInput streams currently open',
      collect: (g) => g.set(undefined, options.activeStreams()),
    });
    m.gauge({
      name: 'byova_health_watchers_active',
      help: 'grpc.health.v1 Watch calls currently open',
      collect: (g) => g.set(undefined, options.healthWatchers?.() ?? 0),
    });
    const pending = options.pendingConnectors;
    m.gauge({
      name: 'byova_connectors_pending',
      help: 'Configured connectors that have not started yet (health is NOT_SERVING meanwhile)',
      collect: (g) => g.set(undefined, pending?.() ?? 0),
    });
  }

  /** The Prometheus text of every metric (with the process metrics). */
  render(): Promise<string> {
    return this.metrics.text();
  }
}

// The gateway's one error base (on the service kit's ServiceError) and its stable codes. Errors
// of a ProcessCallerInput stream map to the gRPC status WxCC sees.

import { status } from '@grpc/grpc-js';
import { ServiceError, type ServiceErrorOptions } from '@org/service-kit';

/** Stable, machine-readable codes of the gateway's errors. Codes are never reused. */
export const GatewayErrorCode = {
  /** `virtual_agent_id` names no agent (gRPC NOT_FOUND). */
  AgentNotFound: 'BYOVA_GW_ERR_AGENT_NOT_FOUND',
  /** No `virtual_agent_id` and no agent at all (INVALID_ARGUMENT). */
  NoAgents: 'BYOVA_GW_ERR_NO_AGENTS',
  /** A known conversation re-used with another agent (INVALID_ARGUMENT). */
  AgentMismatch: 'BYOVA_GW_ERR_AGENT_MISMATCH',
  /** `conversation_id` changed within one stream (INVALID_ARGUMENT). */
  ConversationChanged: 'BYOVA_GW_ERR_CONVERSATION_CHANGED',
  /** A request that breaks the BYOVA contract (INVALID_ARGUMENT). */
  InvalidRequest: 'BYOVA_GW_ERR_INVALID_REQUEST',
  /** The shutdown grace period is over (UNAVAILABLE). */
  ShuttingDown: 'BYOVA_GW_ERR_SHUTTING_DOWN',
  /** An unauthenticated listener on a non-loopback address without BYOVA_ALLOW_INSECURE=true. */
  Insecure: 'BYOVA_GW_ERR_INSECURE',
  /** The conversation table (`CONVERSATION_TABLE`) could not be read or written (UNAVAILABLE). */
  StoreUnavailable: 'BYOVA_GW_ERR_STORE_UNAVAILABLE',
  /** A stored conversation names a connector this instance does not have (FAILED_PRECONDITION). */
  UnknownConnector: 'BYOVA_GW_ERR_UNKNOWN_CONNECTOR',
  /** The configuration (YAML, environment, secrets it names) is invalid: the gateway does not start. */
  Config: 'BYOVA_GW_ERR_CONFIG',
  /** A JWT was refused (UNAUTHENTICATED when enforced); `reason` says which check failed. */
  JwtRejected: 'BYOVA_GW_ERR_JWT_REJECTED',
  /** The Webex data source lifecycle failed (register, renew, read). */
  DataSource: 'BYOVA_GW_ERR_DATA_SOURCE',
  /** A dashboard login with Webex failed (the message is shown on the login page). */
  WebexLogin: 'BYOVA_GW_ERR_WEBEX_LOGIN',
  /** A connector could not be loaded, built or started (module, class, contract, its config). */
  Connector: 'BYOVA_GW_ERR_CONNECTOR',
  /** A recording file could not be opened or written, or is not one of this gateway's. */
  Recording: 'BYOVA_GW_ERR_RECORDING',
  /** A call beyond a concurrency limit of the gateway's configuration (RESOURCE_EXHAUSTED). */
  LimitReached: 'BYOVA_GW_ERR_LIMIT_REACHED',
  /** A stream with no request and nothing under way for too long (DEADLINE_EXCEEDED). */
  StreamIdle: 'BYOVA_GW_ERR_STREAM_IDLE',
} as const;

/** One of the {@link GatewayErrorCode} values. */
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

const GRPC_STATUS: Partial<Readonly<Record<GatewayErrorCode, status>>> = {
  BYOVA_GW_ERR_AGENT_NOT_FOUND: status.NOT_FOUND,
  BYOVA_GW_ERR_NO_AGENTS: status.INVALID_ARGUMENT,
  BYOVA_GW_ERR_AGENT_MISMATCH: status.INVALID_ARGUMENT,
  BYOVA_GW_ERR_CONVERSATION_CHANGED: status.INVALID_ARGUMENT,
  BYOVA_GW_ERR_INVALID_REQUEST: status.INVALID_ARGUMENT,
  BYOVA_GW_ERR_SHUTTING_DOWN: status.UNAVAILABLE,
  BYOVA_GW_ERR_INSECURE: status.FAILED_PRECONDITION,
  BYOVA_GW_ERR_STORE_UNAVAILABLE: status.UNAVAILABLE,
  BYOVA_GW_ERR_UNKNOWN_CONNECTOR: status.FAILED_PRECONDITION,
  BYOVA_GW_ERR_JWT_REJECTED: status.UNAUTHENTICATED,
  BYOVA_GW_ERR_LIMIT_REACHED: status.RESOURCE_EXHAUSTED,
  BYOVA_GW_ERR_STREAM_IDLE: status.DEADLINE_EXCEEDED,
};

/** The gateway's error base: a stable code, and the gRPC status a stream fails with. */
export class GatewayError extends ServiceError<GatewayErrorCode> {
  constructor(code: GatewayErrorCode, message: string, options: ServiceErrorOptions = {}) {
    super(code, message, options);
  }

  /** The gRPC status of a stream that fails with this error (INTERNAL when none is defined). */
  get grpcStatus(): status {
    return GRPC_STATUS[this.code] ?? status.INTERNAL;
  }
}

/** The configuration is invalid; the message lists every problem. */
export class ConfigError extends GatewayError {
  constructor(message: string, options: ServiceErrorOptions = {}) {
    super(GatewayErrorCode.Config, message, options);
  }
}

// The gateway's one error class and its stable codes. Errors of a ProcessCallerInput stream map
// to the gRPC status WxCC sees.

import { status } from '@grpc/grpc-js';

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
} as const;

/** One of the {@link GatewayErrorCode} values. */
export type GatewayErrorCode = (typeof GatewayErrorCode)[keyof typeof GatewayErrorCode];

const GRPC_STATUS: Readonly<Record<GatewayErrorCode, status>> = {
  BYOVA_GW_ERR_AGENT_NOT_FOUND: status.NOT_FOUND,
  BYOVA_GW_ERR_NO_AGENTS: status.INVALID_ARGUMENT,
  BYOVA_GW_ERR_AGENT_MISMATCH: status.INVALID_ARGUMENT,
  BYOVA_GW_ERR_CONVERSATION_CHANGED: status.INVALID_ARGUMENT,
  BYOVA_GW_ERR_INVALID_REQUEST: status.INVALID_ARGUMENT,
  BYOVA_GW_ERR_SHUTTING_DOWN: status.UNAVAILABLE,
  BYOVA_GW_ERR_INSECURE: status.FAILED_PRECONDITION,
  BYOVA_GW_ERR_STORE_UNAVAILABLE: status.UNAVAILABLE,
  BYOVA_GW_ERR_UNKNOWN_CONNECTOR: status.FAILED_PRECONDITION,
};

/** The gateway's error: a stable code, and the gRPC status a stream fails with. */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly code: GatewayErrorCode;

  constructor(code: GatewayErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  /** The gRPC status of a stream that fails with this error. */
  get grpcStatus(): status {
    return GRPC_STATUS[this.code];
  }
}

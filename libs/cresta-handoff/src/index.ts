// Public API of @org/cresta-handoff. Every export is listed by name.

export {
  CrestaClient,
  type CallOptions,
  type CrestaAuth,
  type CrestaClientOptions,
  type FetchAiAgentHandoffInput,
  type GeneratePstnTransferDataInput,
} from './lib/client';
export { Deadline } from './lib/deadline';
export {
  apiBaseForRegion,
  authBaseForRegion,
  authRegionFor,
  domainProblem,
  extractRegionFromDomain,
  normalizeRegion,
  stripTrailingSlash,
  withScheme,
} from './lib/domains';
export { parseDuration } from './lib/durations';
export {
  CrestaError,
  CrestaErrorCode,
  type CrestaErrorOptions,
  messageOf,
  validationError,
} from './lib/errors';
export {
  CONNECT_MAX_RESPONSE_BYTES,
  assertConnectSize,
  flattenForConnect,
  type FlattenOptions,
} from './lib/flatten';
export {
  NodeHttpTransport,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  type NodeHttpTransportOptions,
} from './lib/http-transport';
export {
  CRESTA_ACTIONS,
  resolveInvocation,
  type CrestaAction,
  type InvocationInput,
  type ResolveBehaviour,
  type ResolvedInvocation,
  type ResolveOptions,
} from './lib/invocation';
export { silentLogger, type CrestaLogger } from './lib/logger';
export {
  DEFAULT_SECRET_PARTITIONS,
  parseOAuthSecret,
  parseSecretArn,
  type OAuthCredentials,
  type SecretArn,
} from './lib/oauth-secret';
export {
  CREDENTIAL_PARAMETER_KEYS,
  DEFAULT_EXCLUDED_PARAMETER_KEYS,
  DEFAULT_SUPPORTED_DTMF_CHARS,
  UPSTREAM_EXCLUDED_PARAMETER_KEYS,
  buildPstnTransferRequest,
  handoffToConnect,
  parseHandoffResponse,
  type AiAgentHandoff,
  type HandoffOutput,
  type PstnTransferInput,
  type PstnTransferRequestBody,
} from './lib/payloads';
export {
  DEFAULT_RETRY_POLICY,
  MAX_RETRIES_LIMIT,
  MAX_TIMER_MS,
  backoffDelay,
  isRetryableStatus,
  parseRetryAfter,
  retryPolicyProblem,
  sendWithRetry,
  type AttemptRequest,
  type RetryContext,
  type RetryPolicy,
} from './lib/retry';
export {
  DEFAULT_TOKEN_CACHE_MAX_ENTRIES,
  TokenCache,
  type TokenCacheOptions,
} from './lib/token-cache';
export {
  parseVirtualAgentName,
  validatePathSegment,
  type PathSegmentChecks,
  type VirtualAgentName,
} from './lib/virtual-agent';

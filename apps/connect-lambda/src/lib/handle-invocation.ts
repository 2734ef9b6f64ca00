import {
  CrestaClient,
  type CrestaLogger,
  Deadline,
  type HttpTransport,
  type InvocationInput,
  type TokenCache,
  assertConnectSize,
  flattenForConnect,
  handoffToConnect,
  resolveInvocation,
} from '@org/cresta-handoff';
import { type ConnectLambdaConfig, INVOCATION_KEYS } from '../config';
import { type ConnectEvent, lookupValue } from './connect-event';
import { ConnectLambdaError, ConnectLambdaErrorCode } from './errors';
import type { SecretCredentialsLoader } from './secrets';

/** The parts of the Lambda context the handler uses. */
export interface LambdaContextLike {
  readonly awsRequestId?: string;
  getRemainingTimeInMillis?(): number;
}

/** Long-lived collaborators shared by every invocation of a warm container. */
export interface InvocationDeps {
  readonly config: ConnectLambdaConfig;
  readonly transport: HttpTransport;
  readonly tokenCache: TokenCache;
  readonly secrets: SecretCredentialsLoader;
  readonly logger: CrestaLogger;
  readonly version: string;
}

/**
 * The deadline of one invocation: the configured overall budget (`HTTP_TOTAL_TIMEOUT`, 7.5 s by
 * default, inside Connect's 8 s limit), cut further to the Lambda's remaining time minus a margin.
 */
export function invocationDeadline(
  config: ConnectLambdaConfig,
  context: LambdaContextLike | undefined,
): Deadline {
  const budgets: number[] = [];
  if (config.http.totalTimeoutMs !== undefined) budgets.push(config.http.totalTimeoutMs);
  const remaining = context?.getRemainingTimeInMillis?.();
  if (typeof remaining === 'number' && Number.isFinite(remaining)) {
    budgets.push(remaining - config.http.lambdaTimeMarginMs);
  }
  return budgets.length === 0 ? Deadline.none() : Deadline.after(Math.min(...budgets));
}

/**
 * Handles one Connect invocation: looks up the configuration (Connect parameter, then
 * environment), validates it in the upstream order, calls Cresta and shapes the answer for Connect.
 */
export async function handleInvocation(
  event: ConnectEvent,
  context: LambdaContextLike | undefined,
  deps: InvocationDeps,
): Promise<unknown> {
  const { config, logger } = deps;
  const deadline = invocationDeadline(config, context);
  const input: InvocationInput = {};
  for (const key of INVOCATION_KEYS) {
    input[key] = lookupValue(event.parameters, key, config.env[key], config.emptyParameterMode);
  }

  const resolved = await resolveInvocation(input, {
    ...config.resolve,
    logger,
    loadOAuthSecret: (arn) => deps.secrets.load(arn, deadline, logger),
  });
  logger.info(
    `Domain: ${resolved.apiBase}, Region: ${resolved.region}, Action: ${resolved.action}, Virtual Agent Name: ${resolved.virtualAgent.name}`,
    { authSource: resolved.authSource, deadlineMs: Math.round(deadline.remainingMs()) },
  );

  const client = new CrestaClient({
    apiBase: resolved.apiBase,
    ...(resolved.authBase === undefined ? {} : { authBase: resolved.authBase }),
    auth: resolved.auth,
    transport: deps.transport,
    tokenCache: deps.tokenCache,
    retry: {
      maxRetries: config.http.maxRetries,
      baseDelayMs: config.http.baseDelayMs,
      attemptTimeoutMs: config.http.attemptTimeoutMs,
      honorRetryAfter: config.http.honorRetryAfter,
      maxRetryAfterMs: config.http.maxRetryAfterMs,
    },
    apiKeyHeader: config.http.apiKeyHeader,
    refreshTokenOn401: config.http.refreshTokenOn401,
    acceptAny2xx: config.http.acceptAny2xx,
    logger,
  });

  const maxBytes = config.output.maxResponseBytes;
  if (resolved.action === 'get_pstn_transfer_data') {
    const body = await client.generatePstnTransferData(
      {
        virtualAgent: resolved.virtualAgent,
        contactData: event.contactData,
        parameters: event.parameters,
        version: deps.version,
        supportedDtmfChars: config.supportedDtmfChars,
        excludedParameterKeys: config.excludedParameterKeys,
      },
      { deadline },
    );
    if (config.output.flattenPstnResponse) return flattenForConnect(body, undefined, { maxBytes });
    assertConnectSize(body, maxBytes);
    return body;
  }

  if (event.contactId === undefined) {
    throw new ConnectLambdaError(
      ConnectLambdaErrorCode.Event,
      'Details.ContactData.ContactId is required for get_handoff_data',
      { details: { field: 'ContactId' } },
    );
  }
  const handoff = await client.fetchAiAgentHandoff(
    {
      customer: resolved.virtualAgent.customer,
      profile: resolved.virtualAgent.profile,
      correlationId: event.contactId,
    },
    { deadline },
  );
  return handoffToConnect(handoff, config.output.handoffOutput, { maxBytes });
}

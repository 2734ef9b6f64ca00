import { Logger } from '@aws-lambda-powertools/logger';
import {
  type CrestaLogger,
  type HttpTransport,
  NodeHttpTransport,
  TokenCache,
  messageOf,
} from '@org/cresta-handoff';
import type { ConnectLambdaConfig } from './config';
import { parseConnectEvent } from './lib/connect-event';
import { handleInvocation, type LambdaContextLike } from './lib/handle-invocation';
import { isSecretKey, REDACTED, redact } from './lib/redact';
import {
  SecretCredentialsLoader,
  type SecretsClientFactory,
  sdkSecretsClientFactory,
} from './lib/secrets';
import { resolveVersion } from './lib/version';

/** Collaborators that tests and the local harness may replace. */
export interface ConnectLambdaDeps {
  logger?: Logger;
  transport?: HttpTransport;
  secretsClientFactory?: SecretsClientFactory;
}

/** A composed Lambda: the handler plus a way to release its connections. */
export interface ConnectLambda {
  handler(event: unknown, context?: LambdaContextLike): Promise<unknown>;
  /** The shared token cache (one per warm container). */
  readonly tokenCache: TokenCache;
  readonly logger: Logger;
  close(): Promise<void>;
}

/** Creates the Powertools logger with secret redaction on every line. */
export function createLogger(config: ConnectLambdaConfig): Logger {
  return new Logger({
    serviceName: config.serviceName,
    logLevel: config.debugLogging ? 'DEBUG' : 'INFO',
    jsonReplacerFn: (key: string, value: unknown) =>
      key !== '' && isSecretKey(key) && typeof value === 'string' && value !== ''
        ? REDACTED
        : value,
  });
}

function adapt(logger: Logger): CrestaLogger {
  return {
    debug: (message, attributes) => logger.debug(message, { ...attributes }),
    info: (message, attributes) => logger.info(message, { ...attributes }),
    warn: (message, attributes) => logger.warn(message, { ...attributes }),
    error: (message, attributes) => logger.error(message, { ...attributes }),
  };
}

/**
 * The composition root: builds the long-lived parts (logger, keep-alive transport, token cache,
 * Secrets Manager loader) once per container and returns the Lambda handler over them.
 */
export function createConnectLambda(
  config: ConnectLambdaConfig,
  deps: ConnectLambdaDeps = {},
): ConnectLambda {
  const logger = deps.logger ?? createLogger(config);
  const log = adapt(logger);
  const transport = deps.transport ?? new NodeHttpTransport();
  const tokenCache = new TokenCache({
    expiryBufferMs: config.tokenCache.expiryBufferMs,
    keyBy: config.tokenCache.keyBy,
  });
  const secrets = new SecretCredentialsLoader({
    cacheTtlMs: config.secrets.cacheTtlMs,
    allowedPartitions: config.secrets.allowedPartitions,
    clientFactory: deps.secretsClientFactory ?? sdkSecretsClientFactory(config.secrets.endpoint),
    logger: log,
  });
  const version = resolveVersion(config.versionSourceOrder, config.envVersion);

  async function handler(event: unknown, context?: LambdaContextLike): Promise<unknown> {
    const contactId = readContactId(event);
    logger.appendKeys({
      contactId: contactId ?? null,
      ...(context?.awsRequestId === undefined ? {} : { requestId: context.awsRequestId }),
    });
    try {
      if (context?.awsRequestId !== undefined)
        logger.debug(`Lambda Request ID: ${context.awsRequestId}`);
      logger.debug('Received event', { event: redact(event) });
      const parsed = parseConnectEvent(event, config.requireParameters);
      const result = await handleInvocation(parsed, context, {
        config,
        transport,
        tokenCache,
        secrets,
        logger: log,
        version,
      });
      logger.debug('Returning response to Connect', { response: redact(result) });
      return result;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      logger.error(`Handler error: ${messageOf(err)}`, {
        ...(typeof code === 'string' ? { errorCode: code } : {}),
      });
      if (err instanceof Error && err.stack !== undefined)
        logger.debug('Stack trace', { stack: err.stack });
      throw err;
    } finally {
      logger.removeKeys(['contactId', 'requestId']);
    }
  }

  return {
    handler,
    tokenCache,
    logger,
    async close() {
      transport.close();
      await secrets.close();
    },
  };
}

function readContactId(event: unknown): string | undefined {
  const id = (event as { Details?: { ContactData?: { ContactId?: unknown } } } | null)?.Details
    ?.ContactData?.ContactId;
  return typeof id === 'string' ? id : undefined;
}

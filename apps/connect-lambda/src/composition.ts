import {
  type CrestaLogger,
  type HttpTransport,
  NodeHttpTransport,
  TokenCache,
  messageOf,
} from '@org/cresta-handoff';
import { createLambdaLogger, type LambdaLogger as Logger } from '@org/service-kit/lambda';
import type { ConnectLambdaConfig } from './config';
import { parseConnectEvent } from './lib/connect-event';
import { handleInvocation, type LambdaContextLike } from './lib/handle-invocation';
import { redact } from './lib/redact';
import {
  SecretCredentialsLoader,
  type SecretsClientFactory,
  sdkSecretsClientFactory,
} from './lib/secrets';
import { resolveVersion } from './lib/version';

/** Collaborators that tests and the local harness may replace. */
export interface ConnectLambdaDeps {
  /** @default the kit's logger on stdout ({@link createLogger}) */
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

/** Connect parameters and environment keys that hold credentials: redacted on every line. */
const CREDENTIAL_KEYS = ['oauthClientSecret', 'oauthClientId', 'apiKey', 'authorization'];

/**
 * The service kit's Lambda logger (JSON lines: level words, ISO time, `service`; no pino), written synchronously
 * to stdout (the Lambda runtime collects it; nothing is buffered across a freeze), with the
 * credential keys redacted at every level the kit redacts.
 */
export function createLogger(
  config: ConnectLambdaConfig,
  destination?: { write(line: string): void },
): Logger {
  return createLambdaLogger({
    service: config.serviceName,
    level: config.logLevel,
    redactPaths: CREDENTIAL_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]),
    ...(destination === undefined ? {} : { destination }),
  });
}

/** The client library's logger interface over the kit's logger: attributes become fields. */
function adapt(logger: Logger): CrestaLogger {
  return {
    debug: (message, attributes) => logger.debug({ ...attributes }, message),
    info: (message, attributes) => logger.info({ ...attributes }, message),
    warn: (message, attributes) => logger.warn({ ...attributes }, message),
    error: (message, attributes) => logger.error({ ...attributes }, message),
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
  const transport = deps.transport ?? new NodeHttpTransport();
  const tokenCache = new TokenCache({
    expiryBufferMs: config.tokenCache.expiryBufferMs,
    keyBy: config.tokenCache.keyBy,
  });
  const secrets = new SecretCredentialsLoader({
    cacheTtlMs: config.secrets.cacheTtlMs,
    allowedPartitions: config.secrets.allowedPartitions,
    clientFactory: deps.secretsClientFactory ?? sdkSecretsClientFactory(config.secrets.endpoint),
    logger: adapt(logger),
  });
  const version = resolveVersion(config.versionSourceOrder, config.envVersion);

  async function handler(event: unknown, context?: LambdaContextLike): Promise<unknown> {
    // Every line of one invocation carries its contact id and the Lambda request id.
    const log = logger.child({
      contactId: readContactId(event) ?? null,
      ...(context?.awsRequestId === undefined ? {} : { requestId: context.awsRequestId }),
    });
    try {
      if (context?.awsRequestId !== undefined) {
        log.debug(`Lambda Request ID: ${context.awsRequestId}`);
      }
      // The redacted copy is built only when the line is written.
      if (log.isLevelEnabled('debug')) log.debug({ event: redact(event) }, 'Received event');
      const parsed = parseConnectEvent(event, config.requireParameters);
      const result = await handleInvocation(parsed, context, {
        config,
        transport,
        tokenCache,
        secrets,
        logger: adapt(log),
        version,
      });
      if (log.isLevelEnabled('debug')) {
        log.debug({ response: redact(result) }, 'Returning response to Connect');
      }
      return result;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      log.error(
        { ...(typeof code === 'string' ? { errorCode: code } : {}) },
        `Handler error: ${messageOf(err)}`,
      );
      if (err instanceof Error && err.stack !== undefined)
        log.debug({ stack: err.stack }, 'Stack trace');
      throw err;
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

import { createLambdaLogger, describeError } from '@org/service-kit/lambda';
import { createApp } from './app';
import { loadConfig } from './config';
import type { HandlerResult, LambdaContextLike } from './lib/handler';
import { fromKitLogger } from './lib/logger';

// Lambda entry point: configuration is read and validated once per cold start; a bad value fails
// the init with one clear log line instead of failing every event later. Log lines are the
// service kit's JSON (level words, ISO time, `service`), written synchronously to stdout, which the
// Lambda runtime collects; each invocation's lines carry its `requestId`.
const logger = createLambdaLogger({ service: 'chime-recorder', level: 'info' });

function start() {
  try {
    const config = loadConfig(process.env);
    logger.level = config.logLevel;
    return createApp(config, { logger: fromKitLogger(logger) });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    logger.error(
      { error: describeError(err), ...(typeof code === 'string' ? { errorCode: code } : {}) },
      'cannot start the recorder',
    );
    throw err;
  }
}

const app = start();

/** The EventBridge target: `index.handler` in the bundle. */
export async function handler(event: unknown, context?: LambdaContextLike): Promise<HandlerResult> {
  return app.handler(event, context);
}

process.once('SIGTERM', () => {
  app.close();
});

import { Logger } from '@aws-lambda-powertools/logger';
import { createApp } from './app';
import { loadConfig } from './config';
import type { HandlerResult, LambdaContextLike } from './lib/handler';
import { fromPowertools } from './lib/logger';

// Lambda entry point: configuration is read and validated once per cold start; a bad value fails
// the init with one clear log line instead of failing every event later.
const powertools = new Logger({ serviceName: 'chime-recorder' });

function start() {
  try {
    const config = loadConfig(process.env);
    powertools.setLogLevel(config.logLevel);
    return createApp(config, { logger: fromPowertools(powertools) });
  } catch (err) {
    powertools.error('cannot start the recorder', {
      error: err instanceof Error ? err.message : String(err),
    });
    throw err;
  }
}

const app = start();

/** The EventBridge target: `index.handler` in the bundle. */
export async function handler(event: unknown, context?: LambdaContextLike): Promise<HandlerResult> {
  // The Lambda context has every field Powertools reads (function name, memory, request id).
  if (context) powertools.addContext(context as Parameters<Logger['addContext']>[0]);
  return app.handler(event, context);
}

process.once('SIGTERM', () => {
  app.close();
});

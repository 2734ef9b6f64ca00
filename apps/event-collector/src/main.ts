import { readDotEnv, ServiceKitError } from '@org/service-kit/env';
import { createCollector } from './app';
import { loadConfig } from './config';
import { CollectorError } from './lib/errors';
import { createLogger } from './logger';

/** Exit codes: 0 clean stop, 1 failure at runtime, 2 bad configuration. */
async function main(): Promise<void> {
  let config;
  try {
    // A `.env` in the working folder (e.g. `cp .env.example .env`) is read; the real environment wins.
    config = loadConfig(readDotEnv('.env', process.env));
  } catch (err) {
    if (err instanceof CollectorError || err instanceof ServiceKitError) {
      process.stderr.write(
        `${JSON.stringify({ level: 'fatal', service: 'event-collector', code: err.code, msg: err.message })}\n`,
      );
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.log);
  const collector = createCollector(config, logger);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutdown requested');
    // A bound on shutdown, so a wedged sink can never keep the process (and the unit) hanging.
    const hard = setTimeout(() => {
      logger.fatal('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5000);
    hard.unref();
    collector.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.fatal({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  try {
    await collector.start();
  } catch (err) {
    logger.fatal(
      { err: String(err), code: err instanceof CollectorError ? err.code : undefined },
      'start-up failed',
    );
    await collector.stop().catch(() => undefined);
    process.exit(err instanceof CollectorError && err.code === 'COLLECTOR_ERR_TOPICS_FILE' ? 2 : 1);
  }
}

void main();

import { ConfigError, installShutdown, readDotEnv, ServiceKitError } from '@org/service-kit';
import { createCollector } from './app';
import { type CollectorConfig, loadConfig } from './config';
import { CollectorError } from './lib/errors';
import { createLogger } from './logger';

/** Exit codes: 0 clean stop, 1 failure at runtime, 2 bad configuration. */
async function main(): Promise<void> {
  let config: CollectorConfig;
  try {
    // A `.env` in the working folder (e.g. `cp .env.example .env`) is read; the real environment wins.
    config = loadConfig(readDotEnv('.env', process.env));
  } catch (err) {
    if (
      err instanceof CollectorError ||
      err instanceof ServiceKitError ||
      err instanceof ConfigError
    ) {
      process.stderr.write(
        `${JSON.stringify({ level: 'fatal', service: 'event-collector', code: err.code, msg: err.message })}\n`,
      );
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.log);
  const collector = createCollector(config, logger);
  // SIGTERM/SIGINT: stop reading, put every accepted event on disk, flush or spool Elasticsearch,
  // within a bound, so a wedged sink can never keep the process (and the unit) hanging.
  const shutdown = installShutdown({
    logger,
    stop: () => collector.stop(),
    deadlineMs: config.shutdownTimeoutMs + 5000,
  });
  try {
    await collector.start();
  } catch (err) {
    const code = err instanceof CollectorError ? err.code : undefined;
    logger.fatal({ err: String(err), code }, 'start-up failed');
    await shutdown.shutdown('start-up failed', code === 'COLLECTOR_ERR_TOPICS_FILE' ? 2 : 1);
  }
}

void main();

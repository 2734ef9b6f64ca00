// Entry point: read the configuration once, build the app, start it, stop it gracefully on
// SIGTERM/SIGINT through the service kit (a second signal, or a stop past the deadline, exits 1;
// logs are flushed either way). Tracing starts only with OTEL_EXPORTER_OTLP_ENDPOINT. `main.js recover` runs one recovery sweep of
// LOG_ROOT_DIR instead (see the README) and exits.

import { setFlagsFromString } from 'node:v8';
import { createApp } from './app';
import { ConfigError, loadConfig, type ServerConfig } from './config';
import { runService, startTracing } from '@org/service-kit';
import { createLogger, SERVICE_NAME } from './lib/logging';
import { parseRecoverArgs, runRecovery } from './recover';
import { shutdownDeadlineMs } from './shutdown-budget';

function configOrExit(): ServerConfig {
  try {
    return loadConfig(process.env, { localDefaults: process.argv.includes('--local-defaults') });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`audiohook-server: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function recover(config: ServerConfig): Promise<void> {
  const logger = createLogger({ level: config.logLevel });
  try {
    const args = process.argv.slice(3).filter((a) => a !== '--local-defaults');
    const result = await runRecovery(config, parseRecoverArgs(args), logger);
    logger.info({ ...result }, 'recovery finished');
    logger.flush();
    process.exit(result.failed > 0 ? 1 : 0);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`audiohook-server: ${error.message}\n`);
      process.exit(2);
    }
    logger.fatal(
      { err: error instanceof Error ? error.message : String(error) },
      'recovery failed',
    );
    logger.flush();
    process.exit(1);
  }
}

async function serve(config: ServerConfig): Promise<void> {
  if (config.gcHeapGrowingPercent > 0) {
    // Before anything is allocated in earnest; V8 reads the factor at every full collection.
    setFlagsFromString(`--heap-growing-percent=${config.gcHeapGrowingPercent}`);
  }
  const logger = createLogger({ level: config.logLevel });
  const tracing = await startTracing({
    serviceName: SERVICE_NAME,
    endpoint: config.tracing.endpoint,
    headers: config.tracing.headers,
    logger,
  });
  const app = createApp(config, { logger, tracer: tracing.tracer });
  await runService({
    logger,
    // Drain, the close transaction, then the uploads in progress (the stack checks the same sum).
    deadlineMs: shutdownDeadlineMs(config),
    // One session's bug must not take every other call down with it: log, keep serving.
    unhandledRejection: 'log',
    start: () => app.start(),
    stop: async () => {
      await app.stop();
      await tracing.shutdown();
    },
  });
}

const config = configOrExit();
void (process.argv[2] === 'recover' ? recover(config) : serve(config));

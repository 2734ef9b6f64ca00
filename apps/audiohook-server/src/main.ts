// Entry point: read the configuration once, build the app, start it, stop it gracefully on
// SIGTERM/SIGINT (a second signal exits at once). `main.js recover` runs one recovery sweep of
// LOG_ROOT_DIR instead (see the README) and exits.

import { setFlagsFromString } from 'node:v8';
import { createApp } from './app';
import { ConfigError, loadConfig, type ServerConfig } from './config';
import { createLogger } from './lib/logging';
import { parseRecoverArgs, runRecovery } from './recover';

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
  const app = createApp(config);
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      app.logger.warn({ signal }, 'second signal: exiting now');
      app.logger.flush();
      process.exit(1);
    }
    app.logger.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        app.logger.error({ err: String(error) }, 'shutdown failed');
        app.logger.flush();
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.on('unhandledRejection', (reason) => {
    // A bug, but one session's failure must not take every other call down with it.
    app.logger.error(
      { err: reason instanceof Error ? reason.stack : String(reason) },
      'unhandled rejection',
    );
  });
  try {
    await app.start();
  } catch (error) {
    app.logger.fatal(
      { err: error instanceof Error ? error.message : String(error) },
      'start failed',
    );
    app.logger.flush();
    process.exit(1);
  }
}

const config = configOrExit();
void (process.argv[2] === 'recover' ? recover(config) : serve(config));

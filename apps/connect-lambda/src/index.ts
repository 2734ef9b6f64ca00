// The Lambda entry point (`index.handler`). Reads the configuration once per container; a broken
// configuration is reported on every invocation instead of crashing the module load.
import { createConnectLambda } from './composition';
import { ConfigError, loadConfig } from './config';

type Handler = (event: unknown, context?: { awsRequestId?: string }) => Promise<unknown>;

function build(): Handler {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    const error = err instanceof ConfigError ? err : new ConfigError(String(err));
    return async () => {
      throw error;
    };
  }
  const app = createConnectLambda(config);
  if (config.inLambda) {
    // The runtime sends SIGTERM before shutting a container down when extensions are attached.
    process.once('SIGTERM', () => {
      void app.close().finally(() => process.exit(0));
    });
  }
  return app.handler;
}

/** The Amazon Connect handler: `action` = `get_pstn_transfer_data` or `get_handoff_data`. */
export const handler: Handler = build();

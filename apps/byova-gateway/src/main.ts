// Entry point: `node main.js [--config <path>]`. Reads the configuration once, starts the
// gateway, prints its endpoints, and stops gracefully on SIGTERM / SIGINT.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGateway } from './app';
import { ConfigError, loadConfig } from './config';
import { GatewayError } from './lib/errors';

function defaultConfig(): string {
  // Built bundle: dist/apps/byova-gateway/config/default.yaml; sources: apps/byova-gateway/config.
  const candidates = [
    join(__dirname, 'config/default.yaml'),
    join(__dirname, '../config/default.yaml'),
  ];
  return candidates.find((path) => existsSync(path)) ?? (candidates[0] as string);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write('usage: byova-gateway [--config <path>]   (or GATEWAY_CONFIG=<path>)\n');
    return;
  }
  const path = values.config ?? process.env['GATEWAY_CONFIG'] ?? defaultConfig();
  const config = loadConfig(path, process.env);
  const gateway = createGateway(config, { env: process.env });
  const { grpcPort, monitoringPort } = await gateway.start();
  const monitoringHost = config.monitoring.host;
  process.stdout.write(
    [
      `BYOVA gateway (config ${process.env['BYOVA_CONFIG_YAML']?.trim() ? '$BYOVA_CONFIG_YAML' : path})`,
      `  gRPC       grpc://${config.gateway.host}:${grpcPort}  (VoiceVirtualAgent, grpc.health.v1.Health)`,
      monitoringPort !== undefined
        ? `  dashboard  http://${monitoringHost}:${monitoringPort}/  (/api/status /api/connections /health /metrics)`
        : '  dashboard  disabled',
      `  agents     ${
        gateway.router
          .agents()
          .map((a) => a.id)
          .join(', ') || '(none)'
      }`,
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    gateway.logger.info({ signal }, 'stopping');
    gateway.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        gateway.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError || error instanceof GatewayError ? error.message : ((error as Error).stack ?? String(error))}\n`,
  );
  process.exit(1);
});

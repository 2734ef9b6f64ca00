// Entry point: `node main.js [--config <path>]`. Reads the configuration once, starts the
// gateway (with tracing when OTEL_EXPORTER_OTLP_ENDPOINT is set), prints its endpoints, and stops
// gracefully on SIGTERM / SIGINT through the service kit.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, runService, ServiceError, startTracing } from '@org/service-kit';
import { createGateway } from './app';
import { loadConfig, type GatewayConfig } from './config';
import { parseGatewayEnv } from './env';

function defaultConfig(): string {
  // Built bundle: dist/apps/byova-gateway/config/default.yaml; sources: apps/byova-gateway/config.
  const candidates = [
    join(__dirname, 'config/default.yaml'),
    join(__dirname, '../config/default.yaml'),
  ];
  return candidates.find((path) => existsSync(path)) ?? (candidates[0] as string);
}

function banner(
  config: GatewayConfig,
  source: string,
  ports: { grpcPort: number; monitoringPort: number | undefined },
  agents: readonly string[],
): string {
  return [
    `BYOVA gateway (config ${source})`,
    `  gRPC       grpc://${config.gateway.host}:${ports.grpcPort}  (VoiceVirtualAgent, grpc.health.v1.Health)`,
    ports.monitoringPort !== undefined
      ? `  dashboard  http://${config.monitoring.host}:${ports.monitoringPort}/  (/api/status /api/connections /health /metrics)`
      : '  dashboard  disabled',
    `  agents     ${agents.join(', ') || '(none)'}`,
    '',
  ].join('\n');
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
  let config: GatewayConfig;
  let source: string;
  try {
    const env = parseGatewayEnv(process.env);
    const path = values.config ?? env.GATEWAY_CONFIG ?? defaultConfig();
    source = env.BYOVA_CONFIG_YAML !== undefined ? '$BYOVA_CONFIG_YAML' : path;
    config = loadConfig(path, process.env);
  } catch (error) {
    // Configuration problems are for people: the message, no stack.
    process.stderr.write(
      `${error instanceof ServiceError ? error.message : String((error as Error).stack)}\n`,
    );
    process.exitCode = 2;
    return;
  }
  const logger = createLogger({
    service: 'byova-gateway',
    level: config.logging.level,
    buffered: true,
  });
  const tracing = await startTracing({
    serviceName: 'byova-gateway',
    endpoint: config.otel.endpoint,
    headers: config.otel.headers,
    logger,
  });
  const gateway = createGateway(config, { env: process.env, logger, tracer: tracing.tracer });
  await runService({
    logger,
    // The streams' grace period, then connectors, recordings and the listeners.
    deadlineMs: config.gateway.shutdown_grace_seconds * 1000 + 15_000,
    start: async () => {
      const ports = await gateway.start();
      process.stdout.write(
        banner(
          config,
          source,
          ports,
          gateway.router.agents().map((a) => a.id),
        ),
      );
      return ports;
    },
    stop: async () => {
      await gateway.stop();
      await tracing.shutdown();
    },
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});

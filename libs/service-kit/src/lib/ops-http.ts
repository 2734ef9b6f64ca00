// The shared operations endpoints: `GET /metrics` (Prometheus text) and `GET /health` (JSON, 200
// when healthy, 503 otherwise), as a handler an app mounts in its own HTTP server, or as a small
// server of their own.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { describeError, ServiceKitError, ServiceKitErrorCode } from './errors';

/** What a health check reports. */
export interface HealthResult {
  readonly healthy: boolean;
  /**
   * The JSON body. @default `{ "status": "ok" }` when healthy, `{ "status": "unavailable" }`
   * otherwise
   */
  readonly body?: unknown;
}

/** A health check; may be asynchronous. A check that throws reports unhealthy. */
export type HealthCheck = () => HealthResult | Promise<HealthResult>;

/** Options of {@link createOpsHandler}. */
export interface OpsHandlerOptions {
  /** The registry served on `metricsPath` (`createMetrics().registry`). */
  readonly registry?: Registry;
  /** Path of the metrics. @default '/metrics' */
  readonly metricsPath?: string;
  /**
   * The health check served on `/health`, or health checks by path (e.g. `/health` and
   * `/health/check` with different bodies). @default none
   */
  readonly health?: HealthCheck | Readonly<Record<string, HealthCheck>>;
  /** Where failures of a check or a scrape are logged. */
  readonly logger?: Logger;
}

/** Answers a request if it is one of the ops routes; resolves `false` when it is not. */
export type OpsHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

function send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string,
  type: string,
): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

const JSON_TYPE = 'application/json; charset=utf-8';

async function runCheck(check: HealthCheck, logger: Logger | undefined): Promise<HealthResult> {
  try {
    return await check();
  } catch (error) {
    logger?.error({ err: describeError(error) }, 'health check failed');
    return { healthy: false, body: { status: 'error' } };
  }
}

/**
 * The handler of the ops routes. Mount it first in an app's own request listener; it answers
 * `GET`/`HEAD` on its paths (405 for other methods there) and resolves `false` for any other path,
 * which the app then handles.
 *
 * @example
 * ```ts
 * const ops = createOpsHandler({
 *   registry: metrics.registry,
 *   health: { '/health': () => ({ healthy: !draining }), '/health/check': () => ({ healthy: !draining }) },
 * });
 * createServer(async (req, res) => {
 *   if (await ops(req, res)) return;
 *   res.writeHead(404).end();
 * });
 * ```
 */
export function createOpsHandler(options: OpsHandlerOptions): OpsHandler {
  const metricsPath = options.metricsPath ?? '/metrics';
  const checks = new Map<string, HealthCheck>(
    typeof options.health === 'function'
      ? [['/health', options.health]]
      : Object.entries(options.health ?? {}),
  );
  const { registry, logger } = options;
  return async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    const check = checks.get(path);
    const isMetrics = registry !== undefined && path === metricsPath;
    if (check === undefined && !isMetrics) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(req, res, 405, JSON.stringify({ error: 'method not allowed' }), JSON_TYPE);
      return true;
    }
    if (check !== undefined) {
      const result = await runCheck(check, logger);
      const body = result.body ?? { status: result.healthy ? 'ok' : 'unavailable' };
      send(req, res, result.healthy ? 200 : 503, JSON.stringify(body), JSON_TYPE);
      return true;
    }
    try {
      const text = await (registry as Registry).metrics();
      send(req, res, 200, text, (registry as Registry).contentType);
    } catch (error) {
      logger?.error({ err: describeError(error) }, 'metrics scrape failed');
      send(req, res, 500, JSON.stringify({ error: 'metrics unavailable' }), JSON_TYPE);
    }
    return true;
  };
}

/** Options of {@link startOpsServer}. */
export interface OpsServerOptions extends OpsHandlerOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  /**
   * Handles what the ops routes do not (e.g. the collector's `/events`); resolves `false` to
   * fall through to the 404.
   */
  readonly fallback?: OpsHandler;
}

/** A running ops server. */
export interface OpsServer {
  readonly host: string;
  readonly port: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts a small HTTP server with only the ops routes (and `fallback`); anything else is a 404.
 *
 * @throws {@link ServiceKitError} `SVC_ERR_OPS_LISTEN` when the address cannot be bound.
 * @example
 * ```ts
 * const ops = await startOpsServer({ host: '0.0.0.0', port: 9464, registry: metrics.registry,
 *   health: () => ({ healthy: true }) });
 * // on stop:
 * await ops.close();
 * ```
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const handle = createOpsHandler(options);
  const { fallback, logger } = options;
  const server: Server = createServer((req, res) => {
    (async () => {
      if (await handle(req, res)) return;
      if (fallback !== undefined && (await fallback(req, res))) return;
      send(req, res, 404, JSON.stringify({ error: 'not found' }), JSON_TYPE);
    })().catch((error: unknown) => {
      logger?.error({ err: describeError(error) }, 'ops request failed');
      if (!res.headersSent) send(req, res, 500, JSON.stringify({ error: 'internal' }), JSON_TYPE);
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new ServiceKitError(
          ServiceKitErrorCode.OpsListen,
          `cannot listen on ${host}:${options.port}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

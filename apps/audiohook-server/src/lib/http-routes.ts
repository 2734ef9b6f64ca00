// Plain HTTP routes beside the WebSocket endpoints: the service kit's shared /metrics and health
// handler (with the sample's /health/check body for load balancers), 426 on a WebSocket path
// without an upgrade, 404 for anything else.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createOpsHandler, type Registry } from '@org/service-kit';
import type { AppLogger } from './logging';

export interface HttpRoutesContext {
  /** True once shutdown has begun. */
  readonly draining: () => boolean;
  /** Why new sessions are refused while running (not draining), or `undefined`. */
  readonly refusing?: () => string | undefined;
  /** Extra details for `GET /health`. */
  readonly details: () => Record<string, unknown>;
  readonly registry: Registry;
  /** Paths that only accept WebSocket upgrades. */
  readonly websocketPaths: ReadonlySet<string>;
  readonly logger: AppLogger;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache',
  });
  res.end(text);
}

/**
 * The handler of every non-upgrade request:
 * - `GET /health/check`: `200 {"Http-Status":200,"Healthy":true}` while running, 503 while
 *   draining (the reference's shape, for load balancers). It stays 200 while new sessions are
 *   refused (a failing recording heartbeat): the load balancer's and the container's health
 *   checks both use it, and a 503 would get the task replaced, dropping every live session on it;
 *   refused upgrades already get 503 on their own.
 * - `GET /health`: status (`running`, `refusing` with a `reason`, `draining`; 503 unless
 *   `running`) plus details (sessions, uptime, endpoints).
 * - `GET /metrics`: Prometheus text format.
 * - A WebSocket path without `Upgrade`: 426. Another method: 405. Anything else: 404.
 *
 * @example
 * ```ts
 * const routes = createHttpRoutes({ draining, details, registry, websocketPaths, logger });
 * createServer((req, res) => void routes(req, res));
 * ```
 */
export function createHttpRoutes(
  ctx: HttpRoutesContext,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const ops = createOpsHandler({
    registry: ctx.registry,
    logger: ctx.logger,
    health: {
      '/health/check': () => {
        // Not `refusing`: see above (a storage hiccup must not replace the task).
        const healthy = !ctx.draining();
        return { healthy, body: { 'Http-Status': healthy ? 200 : 503, Healthy: healthy } };
      },
      '/health': () => {
        const draining = ctx.draining();
        const reason = draining ? undefined : ctx.refusing?.();
        const status = draining ? 'draining' : reason === undefined ? 'running' : 'refusing';
        const body = { status, ...(reason === undefined ? {} : { reason }), ...ctx.details() };
        return { healthy: status === 'running', body };
      },
    },
  });
  return async (req, res) => {
    if (await ops(req, res)) return;
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      send(res, 405, { error: 'method not allowed' });
      return;
    }
    if (ctx.websocketPaths.has(path)) {
      res.setHeader('Upgrade', 'websocket');
      send(res, 426, { error: 'this endpoint only accepts WebSocket upgrades' });
      return;
    }
    send(res, 404, { error: 'not found' });
  };
}

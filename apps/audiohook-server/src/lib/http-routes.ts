// Plain HTTP routes beside the WebSocket endpoints: health checks and Prometheus metrics.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface HttpRoutesContext {
  /** True once shutdown has begun. */
  readonly draining: () => boolean;
  /** Extra details for `GET /health`. */
  readonly details: () => Record<string, unknown>;
  readonly registry: Registry;
  /** Paths that only accept WebSocket upgrades. */
  readonly websocketPaths: ReadonlySet<string>;
}

function send(
  res: ServerResponse,
  status: number,
  body: string,
  type = 'application/json; charset=utf-8',
): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-cache',
  });
  res.end(body);
}

/**
 * Handles a non-upgrade request.
 * - `GET /health/check`: `200 {"Http-Status":200,"Healthy":true}` while running, 503 while
 *   draining (the reference's shape, for load balancers).
 * - `GET /health`: status plus details (sessions, uptime, recording backlog).
 * - `GET /metrics`: Prometheus text format.
 * - A WebSocket path without `Upgrade`: 426. Anything else: 404.
 */
export async function handleHttpRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: HttpRoutesContext,
): Promise<void> {
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    send(res, 405, JSON.stringify({ error: 'method not allowed' }));
    return;
  }
  if (path === '/health/check') {
    const healthy = !ctx.draining();
    send(
      res,
      healthy ? 200 : 503,
      JSON.stringify({ 'Http-Status': healthy ? 200 : 503, Healthy: healthy }),
    );
    return;
  }
  if (path === '/health') {
    const healthy = !ctx.draining();
    send(
      res,
      healthy ? 200 : 503,
      JSON.stringify({ status: healthy ? 'running' : 'draining', ...ctx.details() }),
    );
    return;
  }
  if (path === '/metrics') {
    const body = await ctx.registry.metrics();
    send(res, 200, body, ctx.registry.contentType);
    return;
  }
  if (ctx.websocketPaths.has(path)) {
    res.setHeader('Upgrade', 'websocket');
    send(res, 426, JSON.stringify({ error: 'this endpoint only accepts WebSocket upgrades' }));
    return;
  }
  send(res, 404, JSON.stringify({ error: 'not found' }));
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Logger, type OpsServer, startOpsServer } from '@org/service-kit';

export interface StatusServerOptions {
  host: string;
  port: number;
  logger: Logger;
  health: () => { httpStatus: number; body: unknown };
  events: () => unknown[];
  /** The registry served on `/metrics`. */
  registry: Parameters<typeof startOpsServer>[0]['registry'];
}

/** A started status server. */
export interface StatusServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The service kit's ops server with `GET /health` (200 receiving or standing by, 503 otherwise)
 * and `GET /metrics` (Prometheus text), plus the collector's own `GET /events` (last 50
 * records). Read-only: other methods get 405, other paths 404, both as JSON.
 */
export async function startStatusServer(o: StatusServerOptions): Promise<StatusServer> {
  const events = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if ((req.url ?? '/').split('?', 1)[0] !== '/events') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      res.writeHead(405, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'method not allowed' }));
      return true;
    }
    const text = JSON.stringify({ recent_events: o.events() });
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : text);
    return true;
  };
  const server: OpsServer = await startOpsServer({
    host: o.host,
    port: o.port,
    logger: o.logger,
    ...(o.registry ? { registry: o.registry } : {}),
    health: () => {
      const h = o.health();
      return { healthy: h.httpStatus < 300, body: h.body };
    },
    fallback: events,
  });
  o.logger.info({ host: o.host, port: server.port }, 'status server listening');
  return { port: server.port, close: () => server.close() };
}

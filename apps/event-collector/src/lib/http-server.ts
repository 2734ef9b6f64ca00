import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

export interface StatusServerOptions {
  host: string;
  port: number;
  logger: Logger;
  health: () => { httpStatus: number; body: unknown };
  events: () => unknown[];
  metrics: () => Promise<string>;
}

/** A started status server. */
export interface StatusServer {
  port: number;
  close(): Promise<void>;
}

/**
 * `GET /health`, `GET /events` (last 50 records) and `GET /metrics` (Prometheus text).
 * Read-only: other methods get 405, other paths 404, both as JSON.
 */
export async function startStatusServer(o: StatusServerOptions): Promise<StatusServer> {
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(text);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!['/health', '/events', '/metrics'].includes(path)) {
      send(res, 404, { error: 'not found', endpoints: ['/health', '/events', '/metrics'] });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, { error: 'method not allowed' });
      return;
    }
    if (path === '/health') {
      const h = o.health();
      send(res, h.httpStatus, h.body);
    } else if (path === '/events') {
      send(res, 200, { recent_events: o.events() });
    } else {
      const text = await o.metrics();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(text);
    }
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      o.logger.error({ err: String(err) }, 'status request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  o.logger.info({ host: o.host, port }, 'status server listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

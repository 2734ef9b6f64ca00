import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetrics, createOpsHandler, startOpsServer, type OpsServer } from '../src';
import { captureLogs } from '../src/testing';
import { createLogger } from '../src';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startOpsServer', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /metrics as Prometheus text with its content type', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    metrics.counter({ name: 'ops_test_total', help: 'x' }).inc();
    server = await startOpsServer({ port: 0, registry: metrics.registry });
    const reply = await get(server.port, '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(reply.body).toContain('# TYPE ops_test_total counter\nops_test_total 1');
    expect((await get(server.port, '/metrics?x=1')).status).toBe(200);
  });

  it('answers /health with 200 while healthy and 503 otherwise, as JSON', async () => {
    let healthy = true;
    server = await startOpsServer({ port: 0, health: () => ({ healthy }) });
    const ok = await get(server.port, '/health');
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(ok.body)).toEqual({ status: 'ok' });
    healthy = false;
    const down = await get(server.port, '/health');
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toEqual({ status: 'unavailable' });
  });

  it('serves health checks on several paths with their own bodies', async () => {
    server = await startOpsServer({
      port: 0,
      health: {
        '/health': async () => ({ healthy: true, body: { status: 'running', sessions: 2 } }),
        '/health/check': () => ({ healthy: false, body: { 'Http-Status': 503, Healthy: false } }),
      },
    });
    expect(JSON.parse((await get(server.port, '/health')).body)).toEqual({
      status: 'running',
      sessions: 2,
    });
    const check = await get(server.port, '/health/check');
    expect(check.status).toBe(503);
    expect(JSON.parse(check.body)).toEqual({ 'Http-Status': 503, Healthy: false });
  });

  it('reports a throwing check as 503 and logs it', async () => {
    const logs = captureLogs();
    server = await startOpsServer({
      port: 0,
      logger: createLogger({ service: 's', destination: logs.destination }),
      health: () => {
        throw new Error('database gone');
      },
    });
    const reply = await get(server.port, '/health');
    expect(reply.status).toBe(503);
    expect(JSON.parse(reply.body)).toEqual({ status: 'error' });
    expect(logs.find('health check failed')[0]).toMatchObject({ err: 'database gone' });
  });

  it('answers HEAD without a body, 405 to other methods, 404 elsewhere, and tries the fallback', async () => {
    server = await startOpsServer({
      port: 0,
      health: () => ({ healthy: true }),
      fallback: async (req, res) => {
        if (req.url !== '/events') return false;
        res.writeHead(200, { 'content-type': 'application/json' }).end('[]');
        return true;
      },
    });
    const head = await get(server.port, '/health', 'HEAD');
    expect([head.status, head.body]).toEqual([200, '']);
    const post = await get(server.port, '/health', 'POST');
    expect([post.status, post.headers['allow']]).toEqual([405, 'GET, HEAD']);
    expect((await get(server.port, '/metrics')).status).toBe(404); // no registry given
    expect((await get(server.port, '/nope')).status).toBe(404);
    expect((await get(server.port, '/events')).body).toBe('[]');
  });

  it('fails with SVC_ERR_OPS_LISTEN when the port is taken', async () => {
    server = await startOpsServer({ port: 0 });
    await expect(startOpsServer({ port: server.port })).rejects.toMatchObject({
      code: 'SVC_ERR_OPS_LISTEN',
    });
  });
});

describe('createOpsHandler', () => {
  let own: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => own?.close(resolve) ?? resolve(undefined));
  });

  it("mounts in an app's own server and leaves other paths to it", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const ops = createOpsHandler({
      registry: metrics.registry,
      health: () => ({ healthy: true }),
      metricsPath: '/internal/metrics',
    });
    own = createServer((req, res) => {
      void ops(req, res).then((handled) => {
        if (!handled) res.writeHead(426).end();
      });
    });
    await new Promise<void>((resolve) => own?.listen(0, '127.0.0.1', resolve));
    const port = (own.address() as AddressInfo).port;
    expect((await get(port, '/internal/metrics')).status).toBe(200);
    expect((await get(port, '/metrics')).status).toBe(426);
    expect((await get(port, '/health')).status).toBe(200);
  });
});

// A local stand-in for the Webex Data Sources API and its token endpoint, on a free loopback port.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from '../../src/lib/datasource';

export type FakeDataSource = DataSource & Record<string, unknown>;

export interface FakeWebexRequest {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly auth: string;
}

export class FakeWebex {
  items: FakeDataSource[] = [];
  requests: FakeWebexRequest[] = [];
  /** The next PUTs that fail with 503. */
  failPut = 0;
  /**
   * The first this-many list requests are answered together, once all of them have arrived: as
   * when several instances start at the same moment and all list before any registers.
   */
  listBarrier = 0;
  readonly server: Server;
  base = '';
  #heldLists: (() => void)[] = [];

  constructor() {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => this.#handle(req, res, raw));
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async close(): Promise<void> {
    for (const release of this.#heldLists.splice(0)) release();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The requests with this method (and path, when given). */
  count(method: string, path?: string): number {
    return this.requests.filter(
      (r) => r.method === method && (path === undefined || r.path === path),
    ).length;
  }

  #handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const path = req.url ?? '';
    const body = raw.startsWith('{')
      ? (JSON.parse(raw) as Record<string, unknown>)
      : Object.fromEntries(new URLSearchParams(raw));
    this.requests.push({
      method: req.method ?? '',
      path,
      body,
      auth: req.headers.authorization ?? '',
    });
    const send = (code: number, value: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(value));
    };
    if (path === '/v1/access_token')
      return send(200, { access_token: 'service-app-token', expires_in: 3600 });
    if (path === '/v1/dataSources' && req.method === 'GET') return this.#list(send);
    if (path === '/v1/dataSources' && req.method === 'POST') {
      const item = {
        ...body,
        id: `ds-${this.items.length + 1}`,
        status: 'active',
        createdAt: new Date().toISOString(),
        tokenExpiryTime: new Date(Date.now() + 86_400_000).toISOString(),
      };
      this.items.push(item as FakeDataSource);
      return send(200, item);
    }
    const one = /^\/v1\/dataSources\/(.+)$/.exec(path);
    const found = this.items.find((i) => i.id === one?.[1]);
    if (one !== null && found === undefined) return send(404, { message: 'not found' });
    if (found !== undefined && req.method === 'GET') return send(200, found);
    if (found !== undefined && req.method === 'PUT') {
      if (this.failPut > 0) {
        this.failPut -= 1;
        return send(503, { message: 'try later' });
      }
      Object.assign(found, body, {
        tokenExpiryTime: new Date(Date.now() + 86_400_000).toISOString(),
      });
      return send(200, found);
    }
    send(404, {});
  }

  /** The list (without `createdAt`, as the Data Sources API documents it). */
  #list(send: (code: number, value: unknown) => void): void {
    const answer = (): void =>
      send(200, { items: this.items.map(({ createdAt: _createdAt, ...rest }) => rest) });
    if (this.listBarrier <= 0) return answer();
    this.listBarrier -= 1;
    // Answered with the state at release time: none of the held instances has registered yet.
    const items = this.items.map(({ createdAt: _createdAt, ...rest }) => rest);
    this.#heldLists.push(() => send(200, { items }));
    if (this.listBarrier === 0) for (const release of this.#heldLists.splice(0)) release();
  }
}

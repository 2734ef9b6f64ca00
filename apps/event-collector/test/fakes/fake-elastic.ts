import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import type { ElasticConfig } from '../../src/config';

/**
 * A local fake of the Elasticsearch `_bulk` endpoint with the real rules that matter to a sink:
 * trailing newline required, `application/x-ndjson` required, `create` conflicts by `_id` (409),
 * `index` refused on data streams, `@timestamp` required on data streams, per-item statuses in
 * request order with HTTP 200, plus controls to fail whole requests or single items.
 */
export interface FakeElasticOptions {
  /** The exact `Authorization` header required (undefined: no auth). */
  authorization?: string;
  /** Names that are data streams. */
  dataStreams?: string[];
}

export interface BulkCall {
  status: number;
  actions: string[];
  ids: string[];
  body: string;
  auth: string | undefined;
}

export class FakeElastic {
  /** index → id → source */
  readonly docs = new Map<string, Map<string, Record<string, unknown>>>();
  readonly calls: BulkCall[] = [];
  /** 'refuse' destroys connections (connection refused/reset); a number answers that status. */
  down: 'refuse' | number | undefined;
  /** Answer 429 for the items at these positions of the next bulk request. */
  itemRejections: number[] = [];
  /** Answer 400 (mapper_parsing_exception) for documents whose id is listed. */
  badIds = new Set<string>();
  latencyMs = 0;
  baseUrl = '';
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly o: FakeElasticOptions;

  constructor(options: FakeElasticOptions = {}) {
    this.o = options;
  }

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  /** Every stored document of an index. */
  index(name: string): Map<string, Record<string, unknown>> {
    return this.docs.get(name) ?? new Map();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.down === 'refuse') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const call: BulkCall = {
      status: 0,
      actions: [],
      ids: [],
      body,
      auth: req.headers.authorization,
    };
    this.calls.push(call);
    const reply = (status: number, json: unknown): void => {
      call.status = status;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (typeof this.down === 'number') {
      return reply(this.down, {
        error: { type: 'unavailable', reason: 'injected' },
        status: this.down,
      });
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/(?:([^/_][^/]*)\/)?_bulk$/.exec(url.pathname);
    if (!m || req.method !== 'POST') return reply(404, { error: 'no handler' });
    if (this.o.authorization !== undefined && req.headers.authorization !== this.o.authorization) {
      return reply(401, {
        error: { type: 'security_exception', reason: 'missing authentication credentials' },
        status: 401,
      });
    }
    if (!/^application\/(x-ndjson|json)/.test(req.headers['content-type'] ?? '')) {
      return reply(406, { error: 'Content-Type header is not supported', status: 406 });
    }
    if (!body.endsWith('\n')) {
      return reply(400, {
        error: {
          type: 'illegal_argument_exception',
          reason: 'The bulk request must be terminated by a newline [\\n]',
        },
        status: 400,
      });
    }
    const lines = body.split('\n').slice(0, -1);
    const items: Record<string, unknown>[] = [];
    const rejections = new Set(this.itemRejections);
    this.itemRejections = [];
    let errors = false;
    for (let i = 0, pos = 0; i < lines.length; pos += 1) {
      const action = JSON.parse(lines[i] ?? '{}') as Record<
        string,
        { _index?: string; _id?: string }
      >;
      const [op, meta] = Object.entries(action)[0] ?? ['?', {}];
      const source = JSON.parse(lines[i + 1] ?? '{}') as Record<string, unknown>;
      i += op === 'delete' ? 1 : 2;
      const index = meta._index ?? m[1] ?? '';
      const id = meta._id ?? `auto-${Math.random().toString(36).slice(2)}`;
      call.actions.push(op);
      call.ids.push(id);
      const store = this.docs.get(index) ?? new Map<string, Record<string, unknown>>();
      this.docs.set(index, store);
      const ds = this.o.dataStreams?.includes(index) ?? false;
      const item = (status: number, extra: Record<string, unknown> = {}): void => {
        if (status >= 300) errors = true;
        items.push({ [op]: { _index: index, _id: id, status, ...extra } });
      };
      if (rejections.has(pos)) {
        item(429, {
          error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' },
        });
      } else if (this.badIds.has(id)) {
        item(400, { error: { type: 'mapper_parsing_exception', reason: 'failed to parse' } });
      } else if (ds && op !== 'create') {
        item(400, {
          error: {
            type: 'illegal_argument_exception',
            reason: 'only write ops with an op_type of create are allowed in data-streams',
          },
        });
      } else if (ds && source['@timestamp'] === undefined) {
        item(400, {
          error: {
            type: 'illegal_argument_exception',
            reason: 'data stream timestamp field [@timestamp] is missing',
          },
        });
      } else if (op === 'create' && store.has(id)) {
        item(409, {
          error: {
            type: 'version_conflict_engine_exception',
            reason: `[${id}]: version conflict, document already exists`,
          },
        });
      } else {
        const existed = store.has(id);
        store.set(id, source);
        item(existed ? 200 : 201, { result: existed ? 'updated' : 'created' });
      }
    }
    reply(200, { took: 1, errors, items });
  }
}

/**
 * Sink settings for the specs, against a fake at `baseUrl`: small batches and quick retries, the
 * spool and dead-letter files in `dir`.
 */
export function sinkConfig(
  baseUrl: string,
  dir: string,
  over: Partial<ElasticConfig> = {},
): ElasticConfig {
  return {
    url: baseUrl,
    authorization: undefined,
    index: 'genesys-audiohook',
    dataStream: false,
    bulkSize: 5,
    flushIntervalMs: 50,
    maxRetries: 2,
    retryBaseMs: 10,
    retryMaxMs: 100,
    queueMax: 1000,
    queueMaxBytes: 64 * 1024 * 1024,
    timeoutMs: 2000,
    spoolFile: join(dir, 'spool.jsonl'),
    spoolMaxBytes: 1024 * 1024,
    deadLetterFile: join(dir, 'dead.jsonl'),
    deadLetterMaxBytes: 1024 * 1024,
    ...over,
  };
}

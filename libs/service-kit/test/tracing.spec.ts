import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import {
  createLogger,
  inSpan,
  parseOtlpHeaders,
  ServiceKitError,
  startTracing,
  withSpan,
} from '../src';
import { captureLogs } from '../src/testing';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number; boolValue?: boolean };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  attributes: OtlpAttribute[];
  status?: { code?: number; message?: string };
}
interface ExportRequest {
  resourceSpans: {
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: { spans: OtlpSpan[] }[];
  }[];
}

/** A local OTLP/HTTP collector: records each export request's path, headers and JSON body. */
class FakeCollector {
  readonly requests: { path: string; headers: IncomingMessage['headers']; body: ExportRequest }[] =
    [];
  readonly #server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      this.requests.push({
        path: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(text) as ExportRequest,
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  spans(): OtlpSpan[] {
    return this.requests.flatMap((r) =>
      r.body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)),
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

const attr = (attributes: OtlpAttribute[], key: string) =>
  attributes.find((a) => a.key === key)?.value;

describe('startTracing', () => {
  let collector: FakeCollector;
  beforeEach(() => {
    collector = new FakeCollector();
  });
  afterEach(async () => {
    await collector.close();
  });

  it('exports spans to <endpoint>/v1/traces with their names and attributes, and logs carry the trace id', async () => {
    const endpoint = await collector.start();
    const logs = captureLogs();
    const logger = createLogger({ service: 'kit-test', destination: logs.destination });
    const tracing = await startTracing({
      serviceName: 'kit-test',
      endpoint: `${endpoint}/`,
      headers: 'x-tenant=acme,authorization=Bearer%20t0ken',
      logger,
    });
    expect(tracing.enabled).toBe(true);
    let traceId = '';
    const result = await withSpan(
      tracing.tracer,
      'audiohook.session',
      { 'audiohook.session_id': 's-1', 'audiohook.channels': 2 },
      async (span) => {
        traceId = span.spanContext().traceId;
        logger.info('inside the span');
        await new Promise((resolve) => setImmediate(resolve));
        logger.info('after an await, still inside');
        return 'done';
      },
    );
    logger.info('outside');
    await expect(
      withSpan(tracing.tracer, 'byova.turn', {}, () => {
        throw new Error('connector down');
      }),
    ).rejects.toThrow('connector down');
    await tracing.shutdown();

    expect(result).toBe('done');
    expect(collector.requests[0]?.path).toBe('/v1/traces');
    expect(collector.requests[0]?.headers['x-tenant']).toBe('acme');
    expect(collector.requests[0]?.headers['authorization']).toBe('Bearer t0ken');
    const resource = collector.requests[0]?.body.resourceSpans[0]?.resource.attributes ?? [];
    expect(attr(resource, 'service.name')).toEqual({ stringValue: 'kit-test' });
    const [session, turn] = collector.spans();
    expect(session?.name).toBe('audiohook.session');
    expect(session?.traceId).toBe(traceId);
    expect(attr(session?.attributes ?? [], 'audiohook.session_id')).toEqual({ stringValue: 's-1' });
    expect(Number(attr(session?.attributes ?? [], 'audiohook.channels')?.intValue)).toBe(2);
    expect(turn?.name).toBe('byova.turn');
    expect(turn?.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'connector down' });

    const inside = logs.find('inside the span')[0];
    expect(inside).toMatchObject({ trace_id: traceId, span_id: session?.spanId });
    expect(logs.find('after an await, still inside')[0]).toMatchObject({ trace_id: traceId });
    expect(logs.find('outside')[0]).not.toHaveProperty('trace_id');
    expect(logs.find('tracing on')[0]).toMatchObject({ endpoint: `${endpoint}/v1/traces` });
    expect(logs.text()).not.toContain('t0ken');
  });

  it('makes a long-lived span active in callbacks with inSpan', async () => {
    const endpoint = await collector.start();
    const logs = captureLogs();
    const logger = createLogger({ service: 'kit-test', destination: logs.destination });
    const tracing = await startTracing({ serviceName: 'kit-test', endpoint, logger });
    const span = tracing.tracer.startSpan('session');
    inSpan(span, () => logger.info('frame'));
    span.end();
    await tracing.shutdown();
    expect(logs.find('frame')[0]).toMatchObject({ trace_id: span.spanContext().traceId });
    expect(collector.spans().map((s) => s.name)).toEqual(['session']);
  });

  it('is a no-op without an endpoint: no SDK, no export, no trace ids', async () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'kit-test', destination: logs.destination });
    const tracing = await startTracing({ serviceName: 'kit-test', endpoint: '', logger });
    expect(tracing.enabled).toBe(false);
    await withSpan(tracing.tracer, 'noop', {}, () => logger.info('inside'));
    expect(trace.getActiveSpan()).toBeUndefined();
    expect(logs.find('inside')[0]).not.toHaveProperty('trace_id');
    await tracing.shutdown();
    expect(logs.lines.map((l) => l.msg)).toEqual(['inside']);
  });

  it('rejects a bad endpoint, ratio or headers with SVC_ERR_TELEMETRY and never echoes header values', async () => {
    const logger = createLogger({ service: 's', destination: { write: () => undefined } });
    await expect(
      startTracing({ serviceName: 's', endpoint: 'collector:4318', logger }),
    ).rejects.toThrow(ServiceKitError);
    await expect(
      startTracing({ serviceName: 's', endpoint: 'http://127.0.0.1:1', sampleRatio: 2, logger }),
    ).rejects.toMatchObject({ code: 'SVC_ERR_TELEMETRY' });
    expect(() => parseOtlpHeaders('api-key=secret%ZZ')).toThrow(/api-key/);
    expect(() => parseOtlpHeaders('ok=1,secretvalue-without-equals')).toThrow(
      new Error('OTLP headers: entry 2 is not key=value with a valid header name'),
    );
    expect(parseOtlpHeaders(' A=1 , b=x%3Dy ,')).toEqual({ a: '1', b: 'x=y' });
  });

  it('rejects an export timeout a Node.js timer cannot keep with SVC_ERR_TELEMETRY', async () => {
    const logger = createLogger({ service: 's', destination: { write: () => undefined } });
    for (const exportTimeoutMs of [2 ** 31, Infinity, 0]) {
      await expect(
        startTracing({ serviceName: 's', endpoint: 'http://127.0.0.1:1', exportTimeoutMs, logger }),
      ).rejects.toMatchObject({
        code: 'SVC_ERR_TELEMETRY',
        message: expect.stringContaining('exportTimeoutMs') as unknown as string,
      });
    }
  });
});

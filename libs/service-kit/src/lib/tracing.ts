// OpenTelemetry tracing: the SDK is loaded and started only when the app passes an OTLP endpoint
// (its OTEL_EXPORTER_OTLP_ENDPOINT); otherwise every span is the API's no-op and the SDK's modules
// are never evaluated (they cost an app without tracing start-up time and memory for nothing).
// Code everywhere else uses only `@opentelemetry/api`.

import {
  context,
  propagation,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { Logger } from 'pino';
import { describeError, ServiceKitError, ServiceKitErrorCode } from './errors';
import { checkTimerMs } from './timer-range';

/**
 * Parses the `OTEL_EXPORTER_OTLP_HEADERS` format: `key1=value1,key2=value2`, values
 * percent-decoded.
 *
 * @throws {@link ServiceKitError} `SVC_ERR_TELEMETRY` naming the malformed entry by position
 * (values are often API keys and are never echoed).
 * @example
 * ```ts
 * parseOtlpHeaders('x-honeycomb-team=abc,x-tenant=a%20b'); // { 'x-honeycomb-team': 'abc', 'x-tenant': 'a b' }
 * ```
 */
export function parseOtlpHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const entries = text.split(',').filter((entry) => entry.trim() !== '');
  for (const [index, entry] of entries.entries()) {
    const at = entry.indexOf('=');
    const key = at > 0 ? entry.slice(0, at).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) {
      throw new ServiceKitError(
        ServiceKitErrorCode.Telemetry,
        `OTLP headers: entry ${index + 1} is not key=value with a valid header name`,
      );
    }
    let value: string;
    try {
      value = decodeURIComponent(entry.slice(at + 1).trim());
    } catch {
      throw new ServiceKitError(
        ServiceKitErrorCode.Telemetry,
        `OTLP headers: the value of ${key} is not valid percent-encoding`,
      );
    }
    headers[key.toLowerCase()] = value;
  }
  return headers;
}

/** Options of {@link startTracing}. */
export interface TracingOptions {
  /** `service.name` of the resource, e.g. `audiohook-server`. */
  readonly serviceName: string;
  /**
   * The OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); spans go to `<endpoint>/v1/traces`.
   * Unset or empty: tracing stays off (no SDK, no-op spans).
   */
  readonly endpoint?: string | undefined;
  /** Extra request headers: a map, or the `OTEL_EXPORTER_OTLP_HEADERS` text. Secret. */
  readonly headers?: Readonly<Record<string, string>> | string | undefined;
  /** Share of new traces sampled, 0..1 (a parent's decision is followed). @default 1 */
  readonly sampleRatio?: number;
  /** Where start-up and export problems are logged. */
  readonly logger: Logger;
  /** Longest time one export request may take (1..2147483647 ms). @default 10000 */
  readonly exportTimeoutMs?: number;
}

/** The running tracing set-up. */
export interface Tracing {
  /** True when the SDK runs (an endpoint was given). */
  readonly enabled: boolean;
  /** The tracer of the service (a no-op tracer when disabled). */
  readonly tracer: Tracer;
  /** Exports the spans still buffered, then stops the SDK. Idempotent. */
  shutdown(): Promise<void>;
}

/** The semantic conventions' `service.name` (ATTR_SERVICE_NAME), without loading their module. */
const SERVICE_NAME_ATTRIBUTE = 'service.name';

function tracesUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ServiceKitError(
      ServiceKitErrorCode.Telemetry,
      'the OTLP endpoint is not an absolute URL',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ServiceKitError(ServiceKitErrorCode.Telemetry, 'the OTLP endpoint must be http(s)');
  }
  return `${endpoint.replace(/\/+$/, '')}/v1/traces`;
}

/**
 * Starts OpenTelemetry tracing with an OTLP/HTTP (JSON) exporter and a batch processor, and
 * registers it as the global tracer provider with the AsyncLocalStorage context manager, so the
 * kit's logger adds `trace_id`/`span_id` to lines written inside a span. A no-op when `endpoint`
 * is unset or empty: the SDK's modules are then not even loaded.
 *
 * @throws {@link ServiceKitError} `SVC_ERR_TELEMETRY` for a bad endpoint, headers or ratio.
 * @example
 * ```ts
 * const tracing = await startTracing({
 *   serviceName: 'audiohook-server',
 *   endpoint: config.otel.endpoint, // OTEL_EXPORTER_OTLP_ENDPOINT
 *   headers: config.otel.headers,   // OTEL_EXPORTER_OTLP_HEADERS
 *   logger,
 * });
 * // ... on stop:
 * await tracing.shutdown();
 * ```
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const endpoint = options.endpoint?.trim() ?? '';
  if (endpoint === '') {
    return {
      enabled: false,
      tracer: trace.getTracer(options.serviceName),
      shutdown: () => Promise.resolve(),
    };
  }
  const ratio = options.sampleRatio ?? 1;
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new ServiceKitError(ServiceKitErrorCode.Telemetry, 'the sample ratio must be in 0..1');
  }
  const url = tracesUrl(endpoint);
  const exportTimeoutMs = checkTimerMs(
    'tracing exportTimeoutMs',
    options.exportTimeoutMs ?? 10_000,
    1,
    ServiceKitErrorCode.Telemetry,
  );
  const headers =
    typeof options.headers === 'string' ? parseOtlpHeaders(options.headers) : options.headers;
  const [{ OTLPTraceExporter }, { resourceFromAttributes }, sdk] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-node'),
  ]);
  const { BatchSpanProcessor, NodeTracerProvider, ParentBasedSampler, TraceIdRatioBasedSampler } =
    sdk;
  const exporter = new OTLPTraceExporter({
    url,
    ...(headers === undefined ? {} : { headers: { ...headers } }),
    timeoutMillis: exportTimeoutMs,
  });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [SERVICE_NAME_ATTRIBUTE]: options.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  const { origin, pathname } = new URL(url);
  options.logger.info({ endpoint: `${origin}${pathname}`, sampleRatio: ratio }, 'tracing on');
  let stopped: Promise<void> | undefined;
  return {
    enabled: true,
    tracer: trace.getTracer(options.serviceName),
    shutdown() {
      stopped ??= provider
        .shutdown()
        .catch((error: unknown) => {
          options.logger.warn({ err: describeError(error) }, 'tracing shutdown failed');
        })
        .finally(() => {
          // Unregister, so a later start (tests, restarts in one process) can register again.
          trace.disable();
          context.disable();
          propagation.disable();
        });
      return stopped;
    },
  };
}

/**
 * Runs `fn` inside a new active span named `name`; the span records an exception and the error
 * status when `fn` throws, and always ends.
 *
 * @example
 * ```ts
 * const reply = await withSpan(tracing.tracer, 'byova.turn', { 'byova.conversation_id': id }, () =>
 *   connector.reply(turn),
 * );
 * ```
 */
export function withSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error instanceof Error ? error : describeError(error));
      span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error) });
      throw error;
    } finally {
      span.end();
    }
  });
}

/**
 * Runs `fn` with `span` as the active span: for work of a long-lived span (one per session) that
 * happens in callbacks outside the span's own context.
 *
 * @example
 * ```ts
 * socket.on('message', (data) => inSpan(sessionSpan, () => session.receive(data)));
 * ```
 */
export function inSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}

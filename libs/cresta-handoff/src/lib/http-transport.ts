import http from 'node:http';
import https from 'node:https';
import { CrestaError, CrestaErrorCode, messageOf, urlForMessage } from './errors';
import { clampTimerMs } from './durations';

/** One HTTP request as the retry loop hands it to a transport. */
export interface HttpRequest {
  readonly method: 'POST' | 'GET';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /**
   * Time limit of this attempt in ms (finite; cut to 2^31 − 1); the attempt fails with
   * `CRESTA_ERR_TIMEOUT` after it.
   */
  readonly timeoutMs: number;
  /** Aborts the attempt with `CRESTA_ERR_ABORTED`. */
  readonly signal?: AbortSignal;
  /** Largest accepted response body in bytes; larger bodies fail with `CRESTA_ERR_RESPONSE_TOO_LARGE`. */
  readonly maxResponseBytes: number;
}

/** A complete HTTP response with its body decoded as UTF-8. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/**
 * Sends one HTTP request. The default is {@link NodeHttpTransport}; tests and special runtimes may
 * supply their own.
 */
export interface HttpTransport {
  send(request: HttpRequest): Promise<HttpResponse>;
  /** Releases pooled connections. */
  close(): void;
}

/** Options of {@link NodeHttpTransport}. */
export interface NodeHttpTransportOptions {
  /**
   * Keep connections open between requests, so that a warm Lambda skips the TLS handshake.
   * @default true
   */
  keepAlive?: boolean;
  /**
   * Idle time after which pooled connections are closed, in ms.
   * @default 30000
   */
  keepAliveIdleMs?: number;
}

/**
 * An {@link HttpTransport} on `node:http`/`node:https` with keep-alive agents of its own.
 *
 * It is used instead of the global `fetch` because `fetch` loads its implementation (undici) on the
 * first call, which adds tens of milliseconds to a Lambda cold start, and because a streaming
 * `node:http` response lets the transport stop reading at `maxResponseBytes` instead of buffering
 * whatever the server sends.
 *
 * @example
 * ```ts
 * const transport = new NodeHttpTransport();
 * const res = await transport.send({
 *   method: 'GET', url: 'http://127.0.0.1:8080/', headers: {}, timeoutMs: 1000,
 *   maxResponseBytes: 65536,
 * });
 * transport.close();
 * ```
 */
export class NodeHttpTransport implements HttpTransport {
  readonly #httpAgent: http.Agent;
  readonly #httpsAgent: https.Agent;

  constructor(options: NodeHttpTransportOptions = {}) {
    const agentOptions = {
      keepAlive: options.keepAlive ?? true,
      timeout: options.keepAliveIdleMs ?? 30_000,
    };
    this.#httpAgent = new http.Agent(agentOptions);
    this.#httpsAgent = new https.Agent(agentOptions);
  }

  send(request: HttpRequest): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const url = checkedUrl(request);
      if (url instanceof CrestaError) {
        reject(url);
        return;
      }
      const shownUrl = urlForMessage(request.url);
      const secure = url.protocol === 'https:';
      const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
      const headers: Record<string, string> = { ...request.headers };
      if (body !== undefined) headers['content-length'] = String(body.length);

      let settled = false;
      // Not set yet when settle() runs for a request node:http refuses to build.
      let timer: NodeJS.Timeout | undefined = undefined;
      const signal = request.signal;
      const settle = (error: CrestaError | undefined, response?: HttpResponse): void => {
        if (settled) return;
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error !== undefined) reject(error);
        else resolve(response as HttpResponse);
      };
      const onAbort = (): void => {
        settle(new CrestaError(CrestaErrorCode.Aborted, 'request aborted'));
        req.destroy();
      };

      let req: http.ClientRequest;
      try {
        // Throws synchronously on a header value with CR/LF or characters outside Latin-1.
        req = (secure ? https : http).request(
          url,
          { method: request.method, headers, agent: secure ? this.#httpsAgent : this.#httpAgent },
          (res) =>
            readResponse(res, request.maxResponseBytes, shownUrl, settle, () => req.destroy()),
        );
      } catch (err) {
        settle(
          new CrestaError(
            CrestaErrorCode.Network,
            `network error: could not build the request to ${shownUrl}: ${messageOf(err)}`,
            { cause: err, retryable: false },
          ),
        );
        return;
      }
      req.on('error', (err) => settle(networkError(err)));

      const ms = clampTimerMs(request.timeoutMs);
      timer = setTimeout(() => {
        settle(
          new CrestaError(CrestaErrorCode.Timeout, `request timeout after ${ms}ms`, {
            retryable: true,
          }),
        );
        req.destroy();
      }, ms);
      if (signal !== undefined) {
        if (signal.aborted) {
          onAbort();
          return;
        }
        signal.addEventListener('abort', onAbort, { once: true });
      }
      req.end(body);
    });
  }

  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }
}

/** The request's URL, or why it cannot be sent. */
function checkedUrl(request: HttpRequest): URL | CrestaError {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return new CrestaError(
      CrestaErrorCode.InvalidOptions,
      `invalid URL: ${urlForMessage(request.url)}`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    // node:http would send them as `Authorization: Basic`, next to the real credentials.
    return new CrestaError(
      CrestaErrorCode.InvalidOptions,
      `invalid URL: credentials (user:password@) are not allowed: ${urlForMessage(request.url)}`,
    );
  }
  if (typeof request.timeoutMs !== 'number' || Number.isNaN(request.timeoutMs)) {
    // Never send without a timer: an attempt without one can hang for ever.
    return new CrestaError(
      CrestaErrorCode.InvalidOptions,
      `invalid request: timeoutMs must be a number of ms, got ${String(request.timeoutMs)}`,
    );
  }
  return url;
}

/** Collects a response body up to `maxBytes`, then settles with it (or with why it failed). */
function readResponse(
  res: http.IncomingMessage,
  maxBytes: number,
  shownUrl: string,
  settle: (error: CrestaError | undefined, response?: HttpResponse) => void,
  abort: () => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBytes) {
      settle(
        new CrestaError(
          CrestaErrorCode.ResponseTooLarge,
          `response body from ${shownUrl} exceeds ${maxBytes} bytes`,
        ),
      );
      abort();
      return;
    }
    chunks.push(chunk);
  });
  res.on('end', () =>
    settle(undefined, {
      status: res.statusCode ?? 0,
      headers: res.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    }),
  );
  res.on('error', (err) => settle(networkError(err)));
  res.on('close', () => {
    if (!res.complete) settle(networkError(new Error('response ended before it was complete')));
  });
}

function networkError(err: Error): CrestaError {
  const code = (err as NodeJS.ErrnoException).code;
  const detail =
    code !== undefined && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  return new CrestaError(CrestaErrorCode.Network, `network error: ${detail}`, {
    cause: err,
    retryable: true,
  });
}

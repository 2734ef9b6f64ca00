import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake received. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** The parsed JSON body (`{}` when there was none). */
  body: Record<string, unknown>;
  /** HTTP status the fake answered with; `0` for a request it left unanswered ({@link FakeMediaPipelines.hangNext}). */
  status: number;
}

/** A scripted error answer. */
export interface FakeError {
  status: number;
  /** AWS error name, sent in `x-amzn-errortype`. */
  type: string;
  message?: string;
}

/**
 * A local HTTP stand-in for the media-pipelines API (`POST /media-insights-pipelines`), for tests
 * and the local harness. It records every request, answers 201 with a pipeline like the real
 * service, returns the same pipeline for a repeated `ClientRequestToken` (as the API's idempotency
 * does), and can be scripted to fail the next requests.
 *
 * @example
 * ```ts
 * const fake = await FakeMediaPipelines.start();
 * fake.failNext({ status: 429, type: 'ThrottledClientException' });
 * new ChimeSDKMediaPipelinesClient({ endpoint: fake.url });
 * await fake.close();
 * ```
 */
export class FakeMediaPipelines {
  readonly requests: RecordedRequest[] = [];
  /** Pipelines created, by client request token (or a random key when none was sent). */
  readonly pipelines = new Map<
    string,
    { id: string; arn: string; body: Record<string, unknown> }
  >();
  readonly #errors: FakeError[] = [];
  #hangs = 0;
  readonly #holds: Promise<void>[] = [];
  readonly #arrivals: Array<() => void> = [];
  readonly #server: Server;
  #url = '';

  private constructor() {
    this.#server = createServer((req, res) => {
      this.handle(req).then(
        ({ status, headers, body }) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(JSON.stringify(body));
        },
        () => {
          res.writeHead(500, { 'x-amzn-errortype': 'ServiceFailureException' });
          res.end('{"Message":"fake failed"}');
        },
      );
    });
  }

  /** Starts the fake on 127.0.0.1 on a free port (or the given one). */
  static async start(port = 0): Promise<FakeMediaPipelines> {
    const fake = new FakeMediaPipelines();
    const server = fake.#server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    fake.#url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  /** Base URL for the SDK's `endpoint` option. */
  get url(): string {
    return this.#url;
  }

  /** Create requests received (every attempt, including failed ones). */
  get createRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.path === '/media-insights-pipelines');
  }

  /** Delete requests received (`DELETE /sdk-media-pipelines/<id>`). */
  get deleteRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'DELETE');
  }

  /** Answers the next requests with these errors, in order. */
  failNext(...errors: FakeError[]): void {
    this.#errors.push(...errors);
  }

  /**
   * Leaves the next `count` create requests unanswered (the connection stays open until the
   * client gives up or {@link close}): a hung service. `Infinity` hangs every create.
   */
  hangNext(count = 1): void {
    this.#hangs += count;
  }

  /**
   * Holds the next create request until the returned function is called; it is then answered as
   * any other (scripted error, hang or pipeline), even when the client has given up on it.
   */
  holdNext(): () => void {
    let release = (): void => undefined;
    this.#holds.push(new Promise<void>((resolve) => (release = resolve)));
    return release;
  }

  /** Resolves when the next create request arrives (before it is held, hung or answered). */
  arrived(): Promise<void> {
    return new Promise<void>((resolve) => this.#arrivals.push(resolve));
  }

  /** Forgets requests, pipelines, scripted errors, hangs and holds. */
  reset(): void {
    this.requests.length = 0;
    this.pipelines.clear();
    this.#errors.length = 0;
    this.#hangs = 0;
    this.#holds.length = 0;
  }

  /** Stops the server and closes its connections. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> = {};
    try {
      body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      return this.answer(
        req,
        body,
        400,
        { 'x-amzn-errortype': 'BadRequestException' },
        {
          Message: 'body is not JSON',
        },
      );
    }
    const path = (req.url ?? '').split('?')[0] ?? '';
    const deleted = /^\/sdk-media-pipelines\/([^/]+)$/.exec(path);
    if (req.method === 'DELETE' && deleted !== null)
      return this.remove(req, body, deleted[1] ?? '');
    if (req.method !== 'POST' || path !== '/media-insights-pipelines') {
      return this.answer(
        req,
        body,
        404,
        { 'x-amzn-errortype': 'NotFoundException' },
        {
          Message: `no route ${req.method} ${path}`,
        },
      );
    }
    for (const arrival of this.#arrivals.splice(0)) arrival();
    const hold = this.#holds.shift();
    if (hold !== undefined) await hold;
    if (this.#hangs > 0) {
      this.#hangs--;
      this.answer(req, body, 0, {}, undefined);
      return new Promise<never>(() => undefined);
    }
    const error = this.#errors.shift();
    if (error) {
      return this.answer(
        req,
        body,
        error.status,
        { 'x-amzn-errortype': error.type },
        {
          Code: error.type,
          Message: error.message ?? error.type,
        },
      );
    }
    const token =
      typeof body['ClientRequestToken'] === 'string' ? body['ClientRequestToken'] : randomUUID();
    let pipeline = this.pipelines.get(token);
    if (!pipeline) {
      const id = randomUUID();
      pipeline = { id, arn: `arn:aws:chime:us-east-1:111122223333:media-pipeline/${id}`, body };
      this.pipelines.set(token, pipeline);
    }
    return this.answer(
      req,
      body,
      201,
      {},
      {
        MediaInsightsPipeline: {
          MediaPipelineId: pipeline.id,
          MediaPipelineArn: pipeline.arn,
          MediaInsightsPipelineConfigurationArn: body['MediaInsightsPipelineConfigurationArn'],
          Status: 'Initializing',
          KinesisVideoStreamRecordingSourceRuntimeConfiguration:
            body['KinesisVideoStreamRecordingSourceRuntimeConfiguration'],
          S3RecordingSinkRuntimeConfiguration: body['S3RecordingSinkRuntimeConfiguration'],
          MediaInsightsRuntimeMetadata: body['MediaInsightsRuntimeMetadata'],
          CreatedTimestamp: new Date().toISOString(),
        },
      },
    );
  }

  /** `DeleteMediaPipeline`: 204 and the pipeline forgotten, or 404 for an unknown id. */
  private remove(req: IncomingMessage, body: Record<string, unknown>, id: string) {
    const entry = [...this.pipelines].find(([, p]) => p.id === decodeURIComponent(id));
    if (entry === undefined) {
      return this.answer(
        req,
        body,
        404,
        { 'x-amzn-errortype': 'NotFoundException' },
        { Message: `no media pipeline ${id}` },
      );
    }
    this.pipelines.delete(entry[0]);
    return this.answer(req, body, 204, {}, undefined);
  }

  private answer(
    req: IncomingMessage,
    body: Record<string, unknown>,
    status: number,
    headers: Record<string, string>,
    out: unknown,
  ) {
    this.requests.push({
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0] ?? '',
      body,
      status,
    });
    return { status, headers, body: out };
  }
}

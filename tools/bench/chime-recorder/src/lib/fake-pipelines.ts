import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal stand-in for `POST /media-insights-pipelines` that counts create requests per
 * `ClientRequestToken`. (The app's own fake lives in its project; tools may not import apps.)
 */
export class PipelineCounter {
  /** Requests per token. */
  readonly byToken = new Map<string, number>();
  /** Streams per token, from the first request. */
  readonly streams = new Map<string, number>();
  requests = 0;
  readonly #server: Server;
  url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
          ClientRequestToken?: string;
          KinesisVideoStreamRecordingSourceRuntimeConfiguration?: { Streams?: unknown[] };
        };
        const token = body.ClientRequestToken ?? randomUUID();
        this.byToken.set(token, (this.byToken.get(token) ?? 0) + 1);
        if (!this.streams.has(token)) {
          this.streams.set(
            token,
            body.KinesisVideoStreamRecordingSourceRuntimeConfiguration?.Streams?.length ?? 0,
          );
        }
        const id = randomUUID();
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            MediaInsightsPipeline: {
              MediaPipelineId: id,
              MediaPipelineArn: `arn:aws:chime:us-east-1:111122223333:media-pipeline/${id}`,
              Status: 'Initializing',
            },
          }),
        );
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

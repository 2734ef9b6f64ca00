// Local harness of the recorder (`npx nx serve chime-recorder-lambda`): starts an in-memory
// DynamoDB (dynalite), a local S3 (s3rver) and the media-pipelines fake on loopback, replays a
// call's EventBridge events through the real handler, runs the finalize sweep, and prints the
// CreateMediaInsightsPipeline requests, the table items and the objects written. With --listen it
// then keeps serving: POST an EventBridge event to http://127.0.0.1:<port>/ to run it through the
// handler.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createApp, type RecorderApp } from '../app';
import { loadConfig, type RecorderConfig } from '../config';
import { createLambdaLogger } from '@org/service-kit/lambda';
import { fromKitLogger } from '../lib/logger';
import sampleCall from './sample-call.json';
import { type LocalServices, startLocalServices } from './services';

const USAGE = `usage: serve [--events <file.json>] [--order as-given|reversed|shuffled] [--duplicate]
             [--listen <port>]
  --events     a JSON array of EventBridge events (default: the sample two-leg call)
  --order      delivery order (default: as-given)
  --duplicate  deliver every event twice, concurrently
  --listen     keep running and accept events on http://127.0.0.1:<port>/ (POST, JSON body)
Recorder settings come from the usual environment variables (see the README).`;

interface Options {
  events: unknown[];
  order: 'as-given' | 'reversed' | 'shuffled';
  duplicate: boolean;
  listen?: number;
}

function parseOptions(): Options | undefined {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      order: { type: 'string', default: 'as-given' },
      duplicate: { type: 'boolean', default: false },
      listen: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return undefined;
  }
  if (values.order !== 'as-given' && values.order !== 'reversed' && values.order !== 'shuffled') {
    throw new Error(`--order must be as-given, reversed or shuffled\n${USAGE}`);
  }
  const events = (
    values.events ? JSON.parse(readFileSync(values.events, 'utf8')) : sampleCall
  ) as unknown[];
  if (!Array.isArray(events)) throw new Error('--events must hold a JSON array of events');
  return {
    events,
    order: values.order,
    duplicate: values.duplicate,
    ...(values.listen === undefined ? {} : { listen: Number(values.listen) }),
  };
}

async function replay(app: RecorderApp, o: Options): Promise<void> {
  const ordered =
    o.order === 'reversed'
      ? [...o.events].reverse()
      : o.order === 'shuffled'
        ? shuffle([...o.events])
        : o.events;
  console.log(
    `\n== replaying ${ordered.length} event(s), order ${o.order}${o.duplicate ? ', each twice' : ''}`,
  );
  for (const e of ordered) {
    const label = describe(e);
    const results = o.duplicate
      ? await Promise.all([app.handler(e), app.handler(e)])
      : [await app.handler(e)];
    for (const r of results) console.log(`   ${label} -> ${JSON.stringify(r)}`);
  }
}

async function report(local: LocalServices, config: RecorderConfig): Promise<void> {
  console.log(`\n== CreateMediaInsightsPipeline requests (${local.fake.createRequests.length})`);
  for (const r of local.fake.createRequests)
    console.log(JSON.stringify({ status: r.status, body: r.body }, null, 2));
  const items = await DynamoDBDocumentClient.from(local.dynamo).send(
    new ScanCommand({ TableName: config.tableName, ConsistentRead: true }),
  );
  console.log(`\n== call table items (${items.Count ?? 0})`);
  for (const item of items.Items ?? []) console.log(JSON.stringify(item));
  const s3 = new S3Client(local.clients.s3);
  const objects = await s3.send(new ListObjectsV2Command({ Bucket: config.bucket }));
  s3.destroy();
  console.log(`\n== objects in s3://${config.bucket}/ (the .wav files come from the real service)`);
  for (const o of objects.Contents ?? []) console.log(`   ${o.Key} (${o.Size} bytes)`);
}

async function listen(app: RecorderApp, port: number): Promise<void> {
  const listener: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let event: unknown;
      try {
        event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end('{"error":"body is not JSON"}');
        return;
      }
      app.handler(event).then(
        (r) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r)),
        (err: unknown) =>
          res
            .writeHead(500, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: String(err) })),
      );
    });
  });
  await new Promise<void>((resolve) => listener.listen(port, '127.0.0.1', resolve));
  console.log(
    `\n== listening on http://127.0.0.1:${(listener.address() as AddressInfo).port}/ (Ctrl-C to stop)`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await new Promise<void>((resolve) => listener.close(() => resolve()));
}

async function main(): Promise<void> {
  const options = parseOptions();
  if (options === undefined) return;
  const config = loadConfig({
    CALL_TABLE: 'chime-recorder-local',
    RECORDING_BUCKET: 'local-recordings',
    MEDIA_INSIGHT_PIPELINE_ARN:
      'arn:aws:chime:us-east-1:111122223333:media-insights-pipeline-configuration/Record',
    ...process.env,
  });
  const local = await startLocalServices(config.tableName, config.dueIndexName, config.bucket);
  let offsetMs = 0;
  const logger = createLambdaLogger({ service: 'chime-recorder-local', level: config.logLevel });
  const app = createApp(config, {
    logger: fromKitLogger(logger),
    ...local.clients,
    now: () => Date.now() + offsetMs,
  });
  console.log(
    `dynalite on ${local.dynamoEndpoint}, s3rver on ${local.s3Endpoint}, media-pipelines fake on ${local.fake.url}`,
  );
  try {
    await replay(app, options);
    offsetMs = config.finalizeAfterMs;
    const sweep = await app.handler({
      version: '0',
      id: 'local-sweep',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      detail: {},
    });
    console.log(`\n== sweep, clock +${config.finalizeAfterMs} ms -> ${JSON.stringify(sweep)}`);
    await report(local, config);
    if (options.listen !== undefined) await listen(app, options.listen);
  } finally {
    app.close();
    await local.close();
  }
}

function describe(e: unknown): string {
  const d = (e as { detail?: Record<string, unknown> } | null)?.detail ?? {};
  const leg = d['isCaller'] === true ? 'caller' : d['isCaller'] === false ? 'callee' : '';
  return `${String(d['streamingStatus'] ?? (e as { 'detail-type'?: string })?.['detail-type'] ?? '?')} ${leg}`.trim();
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});

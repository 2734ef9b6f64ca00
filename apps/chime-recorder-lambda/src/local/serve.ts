// Local harness of the recorder (`npx nx serve chime-recorder-lambda`): starts an in-memory
// DynamoDB (dynalite) and the media-pipelines fake on loopback, creates the call table, replays a
// call's EventBridge events through the real handler, runs the finalize sweep, and prints the
// CreateMediaInsightsPipeline requests and the table items. With --listen it then keeps serving:
// POST an EventBridge event to http://127.0.0.1:<port>/ to run it through the handler.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { createApp } from '../app';
import { loadConfig } from '../config';
import { fromPowertools } from '../lib/logger';
import { ensureCallTable } from '../lib/table';
import { FakeMediaPipelines } from './fake-media-pipelines';
import sampleCall from './sample-call.json';

const USAGE = `usage: serve [--events <file.json>] [--order as-given|reversed|shuffled] [--duplicate]
             [--listen <port>]
  --events     a JSON array of EventBridge events (default: the sample two-leg call)
  --order      delivery order (default: as-given)
  --duplicate  deliver every event twice, concurrently
  --listen     keep running and accept events on http://127.0.0.1:<port>/ (POST, JSON body)
Recorder settings come from the usual environment variables (see the README).`;

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

async function main(): Promise<void> {
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
    return;
  }
  if (!['as-given', 'reversed', 'shuffled'].includes(values.order)) {
    throw new Error(`--order must be as-given, reversed or shuffled\n${USAGE}`);
  }
  const events = (
    values.events ? JSON.parse(readFileSync(values.events, 'utf8')) : sampleCall
  ) as unknown[];
  if (!Array.isArray(events)) throw new Error('--events must hold a JSON array of events');

  const db = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => db.listen(0, '127.0.0.1', () => resolve()));
  const dynamoEndpoint = `http://127.0.0.1:${(db.address() as AddressInfo).port}`;
  const fake = await FakeMediaPipelines.start();
  const config = loadConfig({
    CALL_TABLE: 'chime-recorder-local',
    RECORDING_BUCKET: 'local-recordings',
    MEDIA_INSIGHT_PIPELINE_ARN:
      'arn:aws:chime:us-east-1:111122223333:media-insights-pipeline-configuration/Record',
    ...process.env,
  });
  const dynamo = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: 'us-east-1',
    credentials: CREDENTIALS,
  });
  await ensureCallTable(dynamo, config.tableName, config.dueIndexName);
  let offsetMs = 0;
  const powertools = new Logger({ serviceName: 'chime-recorder-local', logLevel: config.logLevel });
  const app = createApp(config, {
    logger: fromPowertools(powertools),
    dynamoDb: { endpoint: dynamoEndpoint, region: 'us-east-1', credentials: CREDENTIALS },
    mediaPipelines: { endpoint: fake.url, region: 'us-east-1', credentials: CREDENTIALS },
    now: () => Date.now() + offsetMs,
  });
  console.log(`dynalite on ${dynamoEndpoint}, media-pipelines fake on ${fake.url}`);

  let listener: Server | undefined;
  const stop = async () => {
    app.close();
    dynamo.destroy();
    if (listener) await new Promise<void>((resolve) => listener?.close(() => resolve()));
    await fake.close();
    await new Promise<void>((resolve) => db.close(() => resolve()));
  };

  try {
    const ordered =
      values.order === 'reversed'
        ? [...events].reverse()
        : values.order === 'shuffled'
          ? shuffle([...events])
          : events;
    console.log(
      `\n== replaying ${ordered.length} event(s), order ${values.order}${values.duplicate ? ', each twice' : ''}`,
    );
    for (const e of ordered) {
      const label = describe(e);
      const results = values.duplicate
        ? await Promise.all([app.handler(e), app.handler(e)])
        : [await app.handler(e)];
      for (const r of results) console.log(`   ${label} -> ${JSON.stringify(r)}`);
    }
    offsetMs = config.finalizeAfterMs;
    const sweep = await app.handler({
      version: '0',
      id: 'local-sweep',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      detail: {},
    });
    console.log(`\n== sweep, clock +${config.finalizeAfterMs} ms -> ${JSON.stringify(sweep)}`);
    console.log(`\n== CreateMediaInsightsPipeline requests (${fake.createRequests.length})`);
    for (const r of fake.createRequests)
      console.log(JSON.stringify({ status: r.status, body: r.body }, null, 2));
    const items = await DynamoDBDocumentClient.from(dynamo).send(
      new ScanCommand({ TableName: config.tableName, ConsistentRead: true }),
    );
    console.log(`\n== call table items (${items.Count ?? 0})`);
    for (const item of items.Items ?? []) console.log(JSON.stringify(item));

    if (values.listen !== undefined) {
      const port = Number(values.listen);
      listener = createServer((req, res) => {
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
            (r) =>
              res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(r)),
            (err: unknown) =>
              res
                .writeHead(500, { 'content-type': 'application/json' })
                .end(JSON.stringify({ error: String(err) })),
          );
        });
      });
      await new Promise<void>((resolve) => listener?.listen(port, '127.0.0.1', resolve));
      console.log(
        `\n== listening on http://127.0.0.1:${(listener.address() as AddressInfo).port}/ (Ctrl-C to stop)`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
  } finally {
    await stop();
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

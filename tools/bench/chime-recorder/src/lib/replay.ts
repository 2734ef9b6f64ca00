import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { VOICE_CONNECTOR, workload } from './events';
import { PipelineCounter } from './fake-pipelines';
import { startDynalite, startS3rver } from './local-servers';

/** Workspace root, from tools/bench/chime-recorder/src/lib. */
export const WORKSPACE_ROOT = resolve(__dirname, '../../../../..');

/** Options of {@link runReplay}. */
export interface ReplayOptions {
  /** Simulated calls, four events each. @default 1000 */
  calls: number;
  /** Share of events delivered twice. @default 0.1 */
  duplicateRatio: number;
  /** Events in flight at once (concurrent Lambda invocations). @default 16 */
  concurrency: number;
  /** Seed of the shuffle. @default 7 */
  seed: number;
  /** The built Lambda bundle. @default dist/apps/chime-recorder-lambda/index.js */
  bundle: string;
  /** Run dynalite and s3rver in child processes (they use the second core) or in this one. @default 'child' */
  dynalite: 'child' | 'in-process';
  /** Write the metadata objects (`WRITE_METADATA_JSON`, on by default in the recorder). @default true */
  metadata: boolean;
  /** LOG_LEVEL of the recorder. @default 'WARN' */
  logLevel: string;
}

/** What a replay measured and verified. */
export interface ReplayReport {
  calls: number;
  events: number;
  concurrency: number;
  seconds: number;
  eventsPerSecond: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  /** Distinct `ClientRequestToken`s the fake received: pipelines created. */
  pipelines: number;
  createRequests: number;
  /** Create requests beyond one per call. */
  duplicatePipelines: number;
  /** Pipelines whose request had two streams. */
  twoStreamPipelines: number;
  /** Call items in state CREATED after the replay. */
  callsCreated: number;
  /** Metadata objects (`.json`) in the bucket after the replay. */
  metadataObjects: number;
  handlerErrors: number;
  outcomes: Record<string, number>;
  peakRssMb: number;
  ok: boolean;
}

export const DEFAULT_OPTIONS: ReplayOptions = {
  calls: 1000,
  duplicateRatio: 0.1,
  concurrency: 16,
  seed: 7,
  bundle: join(WORKSPACE_ROOT, 'dist/apps/chime-recorder-lambda/index.js'),
  dynalite: 'child',
  metadata: true,
  logLevel: 'WARN',
};

const TABLE = 'bench-chime-recorder';
const BUCKET = 'bench-recordings';
// s3rver accepts only its own key pair; dynalite accepts any.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

type Handler = (event: unknown) => Promise<{ outcome: string }>;

/** What replaying the events measured. */
interface EventRun {
  latencies: Float64Array;
  outcomes: Record<string, number>;
  handlerErrors: number;
  peakRss: number;
  seconds: number;
}

/** Runs every event through `handler` with `concurrency` in flight, timing each one. */
async function replayEvents(
  handler: Handler,
  events: readonly unknown[],
  concurrency: number,
): Promise<EventRun> {
  const latencies = new Float64Array(events.length);
  const outcomes: Record<string, number> = {};
  let handlerErrors = 0;
  let next = 0;
  let peakRss = process.memoryUsage().rss;
  const worker = async () => {
    while (next < events.length) {
      const i = next++;
      const t0 = performance.now();
      try {
        const r = await handler(events[i]);
        outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
      } catch {
        handlerErrors++;
      }
      latencies[i] = performance.now() - t0;
      if (i % 256 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return {
    latencies,
    outcomes,
    handlerErrors,
    peakRss,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Replays `calls` simulated calls (4 events each, shuffled, a share duplicated) through the built
 * recorder bundle against dynalite and a counting media-pipelines fake, and checks that exactly
 * one pipeline was created per call.
 */
export async function runReplay(options: Partial<ReplayOptions> = {}): Promise<ReplayReport> {
  const o = { ...DEFAULT_OPTIONS, ...options };
  const { transactionIds, events } = workload(o.calls, o.duplicateRatio, o.seed);
  const db = await startDynalite(o.dynalite, WORKSPACE_ROOT);
  const s3 = await startS3rver(o.dynalite, WORKSPACE_ROOT, BUCKET);
  const fake = await new PipelineCounter().start();
  const dynamo = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: CREDENTIALS,
  });
  const savedEnv = { ...process.env };
  try {
    await createTable(dynamo);
    // The bundle reads its configuration once, when it is loaded, exactly as in Lambda.
    Object.assign(process.env, {
      CALL_TABLE: TABLE,
      RECORDING_BUCKET: BUCKET,
      WRITE_METADATA_JSON: String(o.metadata),
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      MEDIA_INSIGHT_PIPELINE_ARN:
        'arn:aws:chime:us-east-1:111122223333:media-insights-pipeline-configuration/Bench',
      VOICECONNECTOR_ID: VOICE_CONNECTOR,
      LOG_LEVEL: o.logLevel,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_ENDPOINT_URL_CHIME_SDK_MEDIA_PIPELINES: fake.url,
    });
    const requireBundle = createRequire(__filename);
    const bundlePath = resolve(o.bundle);
    delete requireBundle.cache[bundlePath];
    const { handler } = requireBundle(bundlePath) as { handler: Handler };

    const run = await replayEvents(handler, events, o.concurrency);
    const { latencies, outcomes, handlerErrors, peakRss, seconds } = run;

    const callsCreated = await countCreated(dynamo);
    const metadataObjects = await countMetadataObjects(s3.endpoint);
    const sorted = Array.from(latencies).sort((a, b) => a - b);
    const pct = (p: number) =>
      round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0);
    const pipelines = fake.byToken.size;
    const twoStreamPipelines = [...fake.streams.values()].filter((n) => n === 2).length;
    const report: ReplayReport = {
      calls: o.calls,
      events: events.length,
      concurrency: o.concurrency,
      seconds: round(seconds),
      eventsPerSecond: Math.round(events.length / seconds),
      latencyMs: { p50: pct(0.5), p95: pct(0.95), p99: pct(0.99), max: round(sorted.at(-1) ?? 0) },
      pipelines,
      createRequests: fake.requests,
      duplicatePipelines: fake.requests - pipelines,
      twoStreamPipelines,
      callsCreated,
      metadataObjects,
      handlerErrors,
      outcomes,
      peakRssMb: Math.round(peakRss / 1048576),
      ok: false,
    };
    report.ok =
      pipelines === o.calls &&
      report.duplicatePipelines === 0 &&
      twoStreamPipelines === o.calls &&
      callsCreated === o.calls &&
      metadataObjects === (o.metadata ? o.calls : 0) &&
      handlerErrors === 0 &&
      transactionIds.every((tx) => fake.byToken.get(tx) === 1);
    return report;
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
    dynamo.destroy();
    await fake.close();
    await db.close();
    await s3.close();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function createTable(dynamo: DynamoDBClient): Promise<void> {
  // The recorder's table: pk/sk plus the keys-only due index (see the app README).
  await dynamo.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'dueShard', AttributeType: 'S' },
        { AttributeName: 'dueAtMs', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'due-index',
          KeySchema: [
            { AttributeName: 'dueShard', KeyType: 'HASH' },
            { AttributeName: 'dueAtMs', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
  for (;;) {
    const d = await dynamo.send(new DescribeTableCommand({ TableName: TABLE }));
    if (d.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function countMetadataObjects(endpoint: string): Promise<number> {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: CREDENTIALS,
  });
  let count = 0;
  let token: string | undefined;
  try {
    do {
      const out = await client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: token }),
      );
      count += (out.Contents ?? []).filter((c) => c.Key?.endsWith('.json')).length;
      token = out.NextContinuationToken;
    } while (token);
  } finally {
    client.destroy();
  }
  return count;
}

async function countCreated(dynamo: DynamoDBClient): Promise<number> {
  let count = 0;
  let startKey: Record<string, never> | undefined;
  do {
    const out = await dynamo.send(
      new ScanCommand({
        TableName: TABLE,
        FilterExpression: 'sk = :call AND #state = :created',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':call': { S: 'CALL' }, ':created': { S: 'CREATED' } },
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    count += out.Count ?? 0;
    startKey = out.LastEvaluatedKey as Record<string, never> | undefined;
  } while (startKey);
  return count;
}

import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { VOICE_CONNECTOR, workload } from './events';
import { PipelineCounter } from './fake-pipelines';

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
  /** Run dynalite in a child process (uses the second core) or in this one. @default 'child' */
  dynalite: 'child' | 'in-process';
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
  logLevel: 'WARN',
};

const TABLE = 'bench-chime-recorder';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

type Handler = (event: unknown) => Promise<{ outcome: string }>;

/**
 * Replays `calls` simulated calls (4 events each, shuffled, a share duplicated) through the built
 * recorder bundle against dynalite and a counting media-pipelines fake, and checks that exactly
 * one pipeline was created per call.
 */
export async function runReplay(options: Partial<ReplayOptions> = {}): Promise<ReplayReport> {
  const o = { ...DEFAULT_OPTIONS, ...options };
  const { transactionIds, events } = workload(o.calls, o.duplicateRatio, o.seed);
  const db = await startDynalite(o.dynalite);
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
      RECORDING_BUCKET: 'bench-recordings',
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
    await Promise.all(Array.from({ length: o.concurrency }, worker));
    const seconds = (performance.now() - started) / 1000;

    const callsCreated = await countCreated(dynamo);
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
      handlerErrors === 0 &&
      transactionIds.every((tx) => fake.byToken.get(tx) === 1);
    return report;
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
    dynamo.destroy();
    await fake.close();
    await db.close();
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

interface Dynalite {
  endpoint: string;
  close(): Promise<void>;
}

async function startDynalite(mode: 'child' | 'in-process'): Promise<Dynalite> {
  const options = { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 };
  if (mode === 'in-process') {
    type Server = {
      listen(port: number, host: string, cb: () => void): void;
      address(): { port: number };
      close(cb: () => void): void;
    };
    const make = createRequire(join(WORKSPACE_ROOT, 'package.json'))('dynalite') as (
      o: object,
    ) => Server;
    const server = make(options);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      endpoint: `http://127.0.0.1:${server.address().port}`,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }
  const script = `const s=require('dynalite')(${JSON.stringify(options)});s.listen(0,'127.0.0.1',()=>process.send(s.address().port));process.on('disconnect',()=>process.exit(0));`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], {
    cwd: WORKSPACE_ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('message', (m) => resolvePort(Number(m)));
    child.once('exit', (code) => reject(new Error(`dynalite exited with code ${code}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.disconnect();
      }),
  };
}

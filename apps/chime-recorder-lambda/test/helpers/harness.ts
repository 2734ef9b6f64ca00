import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import { createApp, type RecorderApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { memoryLogger, type LogEntry } from '../../src/lib/logger';
import { ensureCallTable } from '../../src/local/table';
import { FakeMediaPipelines } from '../../src/local/fake-media-pipelines';

export const TABLE = 'chime-recorder-calls';
export const PIPELINE_CONFIG_ARN =
  'arn:aws:chime:us-east-1:112233445566:media-insights-pipeline-configuration/Record';
export const VOICE_CONNECTOR = 'bfggco08s5m5esgxfskzks';
export const BUCKET = 'recordings-bucket';

/** The environment every test starts from; tests add or override variables. */
export const BASE_ENV: Record<string, string> = {
  CALL_TABLE: TABLE,
  RECORDING_BUCKET: BUCKET,
  MEDIA_INSIGHT_PIPELINE_ARN: PIPELINE_CONFIG_ARN,
  VOICECONNECTOR_ID: VOICE_CONNECTOR,
  // Keep the SDK's in-invocation retries fast; the back-off shape is tested on its own.
  PIPELINE_RETRY_BASE_MS: '1',
};

export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

type Server = ReturnType<typeof dynalite>;

/** A mutable test clock. */
export interface Clock {
  now: number;
}

/** A recorder wired to this harness's dynalite and fake, with its captured logs. */
export interface TestApp extends RecorderApp {
  logs: LogEntry[];
  clock: Clock;
}

/** A local S3 (s3rver) holding the recordings bucket, for the metadata objects. */
export interface LocalS3 {
  readonly server: S3rver;
  readonly directory: string;
  readonly config: S3ClientConfig;
  readonly client: S3Client;
}

/** The S3 client settings that reach s3rver on `endpoint`. */
export function s3Config(endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
  };
}

/**
 * Starts dynalite (in memory), s3rver and the media-pipelines fake on free loopback ports,
 * creates the call table and the bucket, and builds recorders against them.
 */
export class Harness {
  readonly apps: TestApp[] = [];

  private constructor(
    readonly dynaliteServer: Server,
    readonly dynamoEndpoint: string,
    readonly fake: FakeMediaPipelines,
    readonly dynamo: DynamoDBClient,
    readonly s3: LocalS3,
  ) {}

  static async start(): Promise<Harness> {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const fake = await FakeMediaPipelines.start();
    const dynamo = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS });
    await ensureCallTable(dynamo, TABLE);
    const directory = await mkdtemp(join(tmpdir(), 'chime-recorder-s3-'));
    const s3server = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory,
      configureBuckets: [{ name: BUCKET, configs: [] }],
    });
    const { port } = await s3server.run();
    const config = s3Config(`http://127.0.0.1:${port}`);
    const s3 = { server: s3server, directory, config, client: new S3Client(config) };
    return new Harness(server, endpoint, fake, dynamo, s3);
  }

  /** Every object key in the recordings bucket, sorted. */
  async objectKeys(): Promise<string[]> {
    const out = await this.s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    return (out.Contents ?? []).map((o) => o.Key ?? '').sort();
  }

  /** One object of the recordings bucket, parsed as JSON. */
  async objectJson(key: string): Promise<unknown> {
    const out = await this.s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return JSON.parse((await out.Body?.transformToString('utf8')) ?? 'null') as unknown;
  }

  /** A recorder with the base environment plus `env`, on a clock starting at `startMs`. */
  app(
    env: Record<string, string> = {},
    startMs = Date.parse('2023-04-05T22:14:20Z'),
    s3: S3ClientConfig = this.s3.config,
  ): TestApp {
    const clock: Clock = { now: startMs };
    const logger = memoryLogger();
    const app = createApp(loadConfig({ ...BASE_ENV, ...env }), {
      logger,
      dynamoDb: { endpoint: this.dynamoEndpoint, region: 'us-east-1', credentials: CREDENTIALS },
      mediaPipelines: { endpoint: this.fake.url, region: 'us-east-1', credentials: CREDENTIALS },
      s3,
      now: () => clock.now,
    });
    const testApp: TestApp = Object.assign(app, { logs: logger.entries, clock });
    this.apps.push(testApp);
    return testApp;
  }

  /** Every item of one transaction, sorted by sort key, without volatile fields. */
  async items(transactionId: string): Promise<Record<string, unknown>[]> {
    const docs = DynamoDBDocumentClient.from(this.dynamo);
    const out = await docs.send(
      new ScanCommand({
        TableName: TABLE,
        FilterExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': transactionId },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).sort((a, b) => String(a['sk']).localeCompare(String(b['sk'])));
  }

  async close(): Promise<void> {
    for (const a of this.apps) a.close();
    this.dynamo.destroy();
    await this.fake.close();
    await new Promise<void>((resolve) => this.dynaliteServer.close(() => resolve()));
    this.s3.client.destroy();
    await this.s3.server.close();
    await rm(this.s3.directory, { recursive: true, force: true });
  }
}

const FIXTURES = join(__dirname, '..', 'fixtures');

/** Parses a JSON fixture under test/fixtures. */
export function fixture<T = unknown>(relative: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, relative), 'utf8')) as T;
}

/** A raw EventBridge event, loosely typed for mutation in tests. */
export type RawEvent = {
  id: string;
  'detail-type': string;
  source: string;
  detail: Record<string, unknown>;
  [k: string]: unknown;
};

/** A Media Insights State Change event (the stopped fixture) for a call's pipeline. */
export function stateChange(
  transactionId: string,
  pipelineArn: string,
  eventType: string,
  extra: Record<string, unknown> = {},
): RawEvent {
  const e = fixture<RawEvent>('events/media-insights-stopped.json');
  Object.assign(
    e.detail,
    { transactionId, mediaInsightsPipelineArn: pipelineArn, eventType },
    extra,
  );
  return e;
}

let counter = 0;

/**
 * The four events of the sample call (STARTED callee, STARTED caller, ENDED callee, ENDED
 * caller), re-keyed to a fresh transaction id so tests sharing one table never collide.
 */
export function sampleCall(overrides: { transactionId?: string; callId?: string } = {}): {
  transactionId: string;
  callId: string;
  startedCallee: RawEvent;
  startedCaller: RawEvent;
  endedCallee: RawEvent;
  endedCaller: RawEvent;
  all: RawEvent[];
} {
  counter++;
  const transactionId =
    overrides.transactionId ?? `ec97a8ff-3f83-4de2-8d73-${String(counter).padStart(12, '0')}`;
  const callId = overrides.callId ?? `089b1d79-d4ca-4f74-b36b-${String(counter).padStart(12, '0')}`;
  const events = fixture<RawEvent[]>('events/normal-call.json').map((e) => {
    e.id = `${e.id.slice(0, 24)}${String(counter).padStart(12, '0')}`;
    e.detail['transactionId'] = transactionId;
    e.detail['callId'] = callId;
    return e;
  });
  const [startedCallee, startedCaller, endedCallee, endedCaller] = events as [
    RawEvent,
    RawEvent,
    RawEvent,
    RawEvent,
  ];
  return {
    transactionId,
    callId,
    startedCallee,
    startedCaller,
    endedCallee,
    endedCaller,
    all: events,
  };
}

export const CALLER_STREAM = `arn:aws:kinesisvideo:us-east-1:112233445566:stream/ChimeVoiceConnector-${VOICE_CONNECTOR}-2d439d05-cb93-49b6-ba14-f4ac55017d57/1680731931114`;
export const CALLEE_STREAM = `arn:aws:kinesisvideo:us-east-1:112233445566:stream/ChimeVoiceConnector-${VOICE_CONNECTOR}-94709a8e-c2cc-4f92-9ab1-af74c54c041a/1680731924044`;

/** Epoch seconds as the SDK serialises a `Date` (milliseconds as the fraction). */
export const seconds = (iso: string): number => Date.parse(iso) / 1000;

/** The body the recorder must send for the sample call with default settings. */
export function expectedRequest(
  transactionId: string,
  callId: string,
  o: {
    streams?: string[];
    roles?: string;
    start?: string;
    end?: string;
    destination?: string;
  } = {},
): Record<string, unknown> {
  return {
    ClientRequestToken: transactionId,
    MediaInsightsPipelineConfigurationArn: PIPELINE_CONFIG_ARN,
    KinesisVideoStreamRecordingSourceRuntimeConfiguration: {
      Streams: (o.streams ?? [CALLER_STREAM, CALLEE_STREAM]).map((StreamArn) => ({ StreamArn })),
      FragmentSelector: {
        FragmentSelectorType: 'ProducerTimestamp',
        TimestampRange: {
          // Earliest start (callee, 02.238) minus 1 s; latest end (caller, 17.788) plus 1 s.
          StartTimestamp: seconds(o.start ?? '2023-04-05T22:14:01.238Z'),
          EndTimestamp: seconds(o.end ?? '2023-04-05T22:14:18.788Z'),
        },
      },
    },
    S3RecordingSinkRuntimeConfiguration: {
      Destination: o.destination ?? `arn:aws:s3:::${BUCKET}/originalAudio/${callId}.wav`,
      RecordingFileFormat: 'Wav',
    },
    MediaInsightsRuntimeMetadata: {
      transactionId,
      callId,
      voiceConnectorId: VOICE_CONNECTOR,
      streams: o.roles ?? 'caller,callee',
    },
  };
}

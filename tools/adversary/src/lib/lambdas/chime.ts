// Hostile EventBridge events against the built Chime recorder Lambda, on dynalite and a counting
// fake of the media-pipelines API (defect 8 of issue 15: a wrong `source` was reported as a
// detail-type mismatch).

import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { built, startChild, type Child } from '../children';
import type { Attack, Group } from '../suite';
import { LambdaHost } from './host';
import { captured, cycle } from '../util';

const BUNDLE = 'apps/chime-recorder-lambda/index.js';
const TABLE = 'adversary-calls';
const VOICE_CONNECTOR = 'adversaryvc0001';
const STREAMING = 'Chime VoiceConnector Streaming Status';

/** Counts CreateMediaInsightsPipeline requests per ClientRequestToken. */
class PipelineCounter {
  readonly byToken = new Map<string, number>();
  readonly #server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let token: string = randomUUID();
      try {
        token =
          (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ClientRequestToken?: string })
            .ClientRequestToken ?? token;
      } catch {
        // counted under a random token
      }
      this.byToken.set(token, (this.byToken.get(token) ?? 0) + 1);
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
  url = '';

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

export type ChimeLambda = LambdaHost & { dynalite: Child; pipelines: PipelineCounter };

/** One leg's streaming-status event. */
export function streamingEvent(
  transactionId: string,
  status: 'STARTED' | 'ENDED',
  isCaller: boolean,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const start = Date.UTC(2026, 0, 1, 12) + (isCaller ? 0 : 700);
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': STREAMING,
    source: 'aws.chime',
    account: '111122223333',
    time: new Date(start).toISOString(),
    region: 'us-east-1',
    resources: [],
    detail: {
      streamingStatus: status,
      version: '0',
      transactionId,
      callId: randomUUID(),
      voiceConnectorId: VOICE_CONNECTOR,
      direction: 'Inbound',
      isCaller,
      fromNumber: '+15555550100',
      toNumber: '+15555550199',
      mediaType: 'audio/L16',
      streamArn: `arn:aws:kinesisvideo:us-east-1:111122223333:stream/ChimeVoiceConnector-${VOICE_CONNECTOR}-${randomUUID()}/${start}`,
      startFragmentNumber: '91343852333181437344442219794598596340754947404',
      startTime: new Date(start).toISOString(),
      ...(status === 'ENDED' ? { endTime: new Date(start + 60_000).toISOString() } : {}),
    },
    ...overrides,
  };
}

const detailWith = (changes: Record<string, unknown>): Record<string, unknown> => {
  const event = streamingEvent(randomUUID(), 'STARTED', true);
  return { ...event, detail: { ...(event['detail'] as object), ...changes } };
};

/** What EventBridge should never deliver. */
const HOSTILE: readonly [string, () => unknown, string?][] = [
  ['null', () => null],
  ['an array', () => [streamingEvent(randomUUID(), 'STARTED', true)]],
  ['empty object', () => ({})],
  ['detail null', () => ({ ...streamingEvent(randomUUID(), 'STARTED', true), detail: null })],
  [
    'wrong source',
    () => streamingEvent(randomUUID(), 'STARTED', true, { source: 'evil.chime' }),
    'source',
  ],
  [
    'unknown detail-type',
    () => streamingEvent(randomUUID(), 'STARTED', true, { 'detail-type': 'd'.repeat(10_000) }),
    'detail-type',
  ],
  ['1 MB transaction id', () => detailWith({ transactionId: 't'.repeat(1 << 20) })],
  ['impossible time', () => detailWith({ startTime: '2026-13-45T25:61:61Z' })],
  ['number as isCaller', () => detailWith({ isCaller: 'yes' })],
  ['injection in ids', () => detailWith({ transactionId: "x' OR '1'='1", callId: '$(rm -rf /)' })],
  // Sent as JSON text and parsed in the host: the IPC channel cannot serialise 5,000 levels.
  [
    'deep detail',
    () => ({
      json: JSON.stringify(detailWith({ extra: 'DEEP' })).replace(
        '"DEEP"',
        `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
      ),
    }),
  ],
  ['another voice connector', () => detailWith({ voiceConnectorId: 'someoneelse001' })],
];

export const chimeHostileEvents: Attack<ChimeLambda> = {
  name: 'hostile EventBridge events',
  expected:
    'each returns normally (dropped as malformed or ignored, never thrown, so Lambda never retries it); an ignored event names the field that did not match',
  async run(host, mode) {
    const problems: string[] = [];
    const outcomes = new Map<string, number>();
    for (let r = 0; r < mode.lambdas.repeat; r += 1) {
      for (const [name, make, field] of HOSTILE) {
        const event = make();
        const json = (event as { json?: unknown } | null)?.json;
        const result = await host.invoke(event, typeof json === 'string' ? json : undefined);
        if (result.polluted) problems.push(`${name}: Object.prototype polluted`);
        if (!result.ok) {
          problems.push(`${name}: threw ${result.error?.message.slice(0, 80) ?? ''}`);
          continue;
        }
        const answer = result.result as { outcome?: string; reason?: string };
        outcomes.set(answer.outcome ?? '?', (outcomes.get(answer.outcome ?? '?') ?? 0) + 1);
        if (field !== undefined && !(answer.reason ?? '').startsWith(field)) {
          problems.push(
            `${name}: reason "${(answer.reason ?? '').slice(0, 60)}" does not name ${field}`,
          );
        }
        if ((answer.reason ?? '').length > 300)
          problems.push(`${name}: a ${answer.reason?.length}-character reason`);
      }
    }
    const unique = [...new Set(problems)];
    const seen = [...outcomes].map(([o, c]) => `${c}× ${o}`).join(', ');
    return {
      ok: unique.length === 0,
      observed: `${seen}${unique.length ? `; ${unique.slice(0, 3).join('; ')}` : ''}`,
    };
  },
};

export const chimeEventStorm: Attack<ChimeLambda> = {
  name: 'storm of duplicated, shuffled calls',
  expected: 'every event handled; exactly one pipeline per call whose two legs ended',
  async run(host, mode) {
    const calls = Math.max(1, Math.floor(mode.lambdas.chimeStorm / 5));
    const ids = Array.from({ length: calls }, () => randomUUID());
    const events = ids.flatMap((id) => [
      streamingEvent(id, 'STARTED', true),
      streamingEvent(id, 'STARTED', false),
      streamingEvent(id, 'ENDED', true),
      streamingEvent(id, 'ENDED', false),
      streamingEvent(id, 'ENDED', false),
    ]);
    for (let i = events.length - 1; i > 0; i -= 1) {
      const j = Math.floor(Math.random() * (i + 1));
      [events[i], events[j]] = [cycle(events, j), cycle(events, i)];
    }
    let thrown = 0;
    for (let i = 0; i < events.length; i += 8) {
      const batch = await Promise.all(events.slice(i, i + 8).map((e) => host.invoke(e)));
      thrown += batch.filter((r) => !r.ok).length;
    }
    const wrong = ids.filter((id) => host.pipelines.byToken.get(id) !== 1).length;
    return {
      ok: thrown === 0 && wrong === 0,
      observed: `${events.length} events of ${calls} calls: ${thrown} thrown, ${calls - wrong}/${calls} calls with exactly one pipeline`,
    };
  },
};

async function startDynalite(): Promise<{ child: Child; endpoint: string }> {
  const script =
    "const s=require('dynalite')({createTableMs:0,deleteTableMs:0,updateTableMs:0});" +
    "s.listen(0,'127.0.0.1',()=>console.log('dynalite on '+s.address().port));";
  const child = startChild('dynalite', process.execPath, ['-e', script]);
  const port = captured(await child.waitFor(/dynalite on (\d+)/, 30_000));
  return { child, endpoint: `http://127.0.0.1:${port}` };
}

async function createTable(endpoint: string): Promise<void> {
  const dynamo = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'a' },
  });
  try {
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
    while (
      (await dynamo.send(new DescribeTableCommand({ TableName: TABLE }))).Table?.TableStatus !==
      'ACTIVE'
    ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    dynamo.destroy();
  }
}

export const chimeGroup: Group<ChimeLambda> = {
  name: 'chime-recorder-lambda',
  async start() {
    const dynalite = await startDynalite();
    const pipelines = await new PipelineCounter().start();
    try {
      await createTable(dynalite.endpoint);
      const host = await LambdaHost.start(
        'chime-recorder-lambda',
        built(BUNDLE),
        {
          CALL_TABLE: TABLE,
          RECORDING_BUCKET: 'adversary-recordings',
          MEDIA_INSIGHT_PIPELINE_ARN:
            'arn:aws:chime:us-east-1:111122223333:media-insights-pipeline-configuration/Adversary',
          VOICECONNECTOR_ID: VOICE_CONNECTOR,
          // No local S3 here: without this the recorder would send its metadata objects to AWS.
          WRITE_METADATA_JSON: 'false',
          LOG_LEVEL: 'ERROR',
          // The stack's FUNCTION_TIMEOUT: the recorder keeps DEADLINE_RESERVE_MS (10 s) of it back.
          ADVERSARY_LAMBDA_TIMEOUT_MS: '60000',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'adversary',
          AWS_SECRET_ACCESS_KEY: 'adversary',
          AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
          AWS_ENDPOINT_URL_CHIME_SDK_MEDIA_PIPELINES: pipelines.url,
        },
        () => streamingEvent(randomUUID(), 'STARTED', true),
        (result) => result.ok,
      );
      const lambda: ChimeLambda = Object.assign(host, { dynalite: dynalite.child, pipelines });
      for (let i = 0; i < 5; i += 1) await lambda.probe();
      return lambda;
    } catch (error) {
      await dynalite.child.stop(2000);
      await pipelines.close();
      throw error;
    }
  },
  async stop(host) {
    await host.stop();
    await host.dynalite.stop(3000);
    await host.pipelines.close();
  },
  attacks: [chimeHostileEvents, chimeEventStorm],
};

// A replay-table write that succeeded but whose answer was lost (a time-out after DynamoDB had
// applied it) is retried by the SDK: the retry must recognise the item it wrote itself instead of
// refusing its own session as a replay. Loopback only (dynalite).

import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAudioHookHeaders, nonceKey } from '@org/audiohook-protocol';
import { DynamoNonceStore, replayTableClient } from '../src/lib/replay-store';
import { startLocalDynamo, type LocalDynamo } from './helpers/dynamo';
import { RawClient } from './helpers/raw-client';
import { SIGNED_KEY, SIGNED_SECRET, startTestServer, type TestServer } from './helpers/server';
import { until } from './helpers/wait';

// The SDK's default credential chain reads the environment (the app never handles credentials).
const savedEnv = { ...process.env };
beforeAll(() => {
  process.env['AWS_ACCESS_KEY_ID'] = 'test';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'test';
  delete process.env['AWS_PROFILE'];
});
afterAll(() => {
  process.env = savedEnv;
});

const TABLE = 'replay-retry';

/**
 * The server's own replay-table client (its two attempts and time limits) with a middleware
 * inside the retry loop that lets the first attempt reach the table, then throws the SDK's
 * time-out error instead of its answer: the write happened, the caller did not hear of it.
 */
function clientLosingFirstAnswer(endpoint: string): {
  client: DynamoDBClient;
  attempts: () => number;
} {
  const client = replayTableClient({ region: 'us-east-1', endpoint, timeoutMs: 1500 });
  let attempts = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      attempts++;
      const result = await next(args);
      if (attempts === 1) {
        throw Object.assign(new Error('the answer timed out after the write'), {
          name: 'TimeoutError',
        });
      }
      return result;
    },
    { step: 'deserialize', name: 'loseFirstAnswer' },
  );
  return { client, attempts: () => attempts };
}

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await dynamo.createReplayTable(TABLE);
});
afterAll(async () => {
  await dynamo.close();
});

describe('DynamoNonceStore with a retried write', () => {
  it('reports a claim as won when its first attempt wrote the item and only the retry saw it there', async () => {
    const flaky = clientLosingFirstAnswer(dynamo.endpoint);
    try {
      const store = new DynamoNonceStore({ client: flaky.client, table: TABLE });
      const key = nonceKey('api-key', randomUUID());
      const now = Date.now();
      expect(await store.claim(key, now + 10_000, now)).toBe(true);
      expect(flaky.attempts()).toBe(2); // the SDK did retry a write that had succeeded
      // The item carries the id of that one claim.
      const item = (await dynamo.items(TABLE)).find((i) => i['pk']?.['S'] === `nonce#${key}`);
      expect(item?.['claimId']?.['S']).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      flaky.client.destroy();
    }
  });

  it('still refuses every later claim of that nonce, on the same store and on other instances', async () => {
    const flaky = clientLosingFirstAnswer(dynamo.endpoint);
    try {
      const mine = new DynamoNonceStore({ client: flaky.client, table: TABLE });
      const other = new DynamoNonceStore({ client: dynamo.client, table: TABLE });
      const key = nonceKey('api-key', randomUUID());
      const now = Date.now();
      expect(await mine.claim(key, now + 10_000, now)).toBe(true);
      expect(await mine.claim(key, now + 10_000, now)).toBe(false);
      expect(await other.claim(key, now + 10_000, now)).toBe(false);
    } finally {
      flaky.client.destroy();
    }
  });
});

describe('two servers sharing the replay table, one losing an answer', () => {
  let servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
  });

  /** Sends one signed upgrade to `server`, opens, and returns `opened` or the disconnect info. */
  async function tryOpen(
    server: TestServer,
    headers: Record<string, string>,
    ids: {
      sessionId: string;
      organizationId: string;
    },
  ): Promise<string> {
    const client = new RawClient({ url: server.url(), ...ids, headers });
    await client.opened;
    client.open();
    const message = await until(
      () => client.received.find((m) => m.type === 'opened' || m.type === 'disconnect'),
      'opened or disconnect',
      20_000,
    );
    await client.finish(message.type === 'opened' ? 'end' : 'disconnect');
    return message.type === 'opened' ? 'opened' : String(message.parameters['info']);
  }

  it('opens the session whose nonce write was retried, and B still refuses its replay', async () => {
    const flaky = clientLosingFirstAnswer(dynamo.endpoint);
    const env = {
      REPLAY_CACHE_TABLE: TABLE,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      AUTH_FAILURE_DELAY_MS: '0',
    };
    try {
      servers.push(await startTestServer(env, { dynamoClient: flaky.client }));
      servers.push(await startTestServer(env));
      const [a, b] = servers as [TestServer, TestServer];
      const authority = 'audiohook.example.com';
      const ids = { sessionId: randomUUID(), organizationId: randomUUID() };
      const headers = {
        ...createAudioHookHeaders({
          ...ids,
          correlationId: randomUUID(),
          apiKey: SIGNED_KEY,
          clientSecret: SIGNED_SECRET,
          requestTarget: '/api/v1/audiohook/ws',
          authority,
        }),
        Host: authority,
      };
      expect(await tryOpen(a, headers, ids)).toBe('opened');
      expect(flaky.attempts()).toBe(2);
      expect(await tryOpen(b, headers, ids)).toBe('PRECONDITION: "nonce" was already used');
    } finally {
      flaky.client.destroy();
    }
  });
});

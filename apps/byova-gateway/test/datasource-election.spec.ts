// Several instances starting together on a fresh deployment register one Webex data source
// between them (elected through the conversation table), and several matching data sources left
// by an older deployment no longer stop the start: every instance picks the same one.

import { PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import pino from 'pino';
import { DataSourceLifecycle, StaticAccessToken, type DataSource } from '../src/lib/datasource';
import {
  DataSourceElection,
  dataSourceElectionKey,
  type DataSourceIdentity,
  type RegistrationSteps,
} from '../src/lib/datasource-election';
import { startLocalDynamo, type LocalDynamo } from './helpers/dynamo';
import { FakeWebex } from './helpers/fake-webex';
import { startGateway, testConfig, type RunningGateway } from './helpers/gateway';

const URL_ = 'https://byova.example.com';
const SCHEMA = '5397013b-7920-4ffc-807c-e8a3e0a18f43';

let dynamo: LocalDynamo;
let webex: FakeWebex;
let tables = 0;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});
beforeEach(async () => {
  webex = new FakeWebex();
  await webex.listen();
});
afterEach(async () => {
  await webex.close();
});

/** A fresh table (the election item's key is the same in every test). */
async function freshTable(): Promise<string> {
  tables += 1;
  const name = `byova-election-${tables}`;
  await dynamo.createTable(name);
  return name;
}

/** Log lines written at `warn` and above. */
function capture(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, lines };
}

function lifecycle(
  options: { table?: string; leaseMs?: number; logger?: pino.Logger } = {},
): DataSourceLifecycle {
  const logger = options.logger ?? pino({ level: 'silent' });
  return new DataSourceLifecycle({
    baseUrl: webex.base,
    id: undefined,
    url: URL_,
    schemaId: SCHEMA,
    audience: 'BYOVAGateway',
    subject: 'callAudioData',
    tokenLifetimeMinutes: 1440,
    renewalLeadMs: 3_600_000,
    retryMs: 60_000,
    timeoutMs: 2000,
    auth: new StaticAccessToken('static-token'),
    logger,
    ...(options.table !== undefined
      ? {
          election: new DataSourceElection({
            client: dynamo.client(),
            table: options.table,
            leaseMs: options.leaseMs ?? 10_000,
            pollMs: 20,
            logger,
          }),
        }
      : {}),
  });
}

async function startAll(all: readonly DataSourceLifecycle[]): Promise<void> {
  try {
    await Promise.all(all.map((ds) => ds.start()));
  } finally {
    for (const ds of all) ds.stop();
  }
}

describe('data source registration by several instances', () => {
  it('registers exactly one data source when three instances start at once on a fresh deployment', async () => {
    const table = await freshTable();
    webex.listBarrier = 3; // all three list before any registers
    const all = [lifecycle({ table }), lifecycle({ table }), lifecycle({ table })];
    await startAll(all);
    expect(webex.count('POST', '/v1/dataSources')).toBe(1);
    expect(webex.items.map((i) => i.id)).toEqual(['ds-1']);
    expect(all.map((ds) => ds.status().id)).toEqual(['ds-1', 'ds-1', 'ds-1']);
    // The next deployment finds one match and starts without registering.
    const next = lifecycle({ table });
    await startAll([next]);
    expect(next.status().id).toBe('ds-1');
    expect(webex.count('POST', '/v1/dataSources')).toBe(1);
  });

  it('keeps the election in its own item of the conversation table, apart from conversations', async () => {
    const table = await freshTable();
    webex.listBarrier = 2;
    await startAll([lifecycle({ table }), lifecycle({ table })]);
    const items = await dynamo.items(table);
    expect(items).toHaveLength(1);
    const key = dataSourceElectionKey({
      baseUrl: webex.base,
      url: URL_,
      schemaId: SCHEMA,
      audience: 'BYOVAGateway',
      subject: 'callAudioData',
    });
    expect(key).toMatch(/^datasource#[0-9a-f]{64}$/);
    expect(items[0]?.['pk']?.S).toBe(key);
    expect(items[0]?.['dataSourceId']?.S).toBe('ds-1');
    // TTL attribute of the table: the item cleans itself up.
    expect(Number(items[0]?.['expiresAt']?.N)).toBeGreaterThan(Date.now() / 1000);
  });

  it('takes over from an instance that claimed the registration and never finished', async () => {
    const table = await freshTable();
    const key = dataSourceElectionKey({
      baseUrl: webex.base,
      url: URL_,
      schemaId: SCHEMA,
      audience: 'BYOVAGateway',
      subject: 'callAudioData',
    });
    // A registrar that crashed after its claim: no id, and it never writes again.
    await dynamo.client().send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: key },
          owner: { S: 'crashed-instance' },
          expiresAt: { N: String(Math.floor(Date.now() / 1000) + 86_400) },
        },
      }),
    );
    const { logger, lines } = capture();
    const ds = lifecycle({ table, leaseMs: 200, logger });
    await startAll([ds]);
    expect(ds.status().id).toBe('ds-1');
    expect(webex.count('POST', '/v1/dataSources')).toBe(1);
    expect(lines.map((l) => l['msg'])).toContain(
      'the instance registering the data source did not finish; trying again',
    );
  });

  it('starts three gateways together on a fresh deployment with one data source between them', async () => {
    const table = await freshTable();
    webex.listBarrier = 3;
    const config = {
      ...testConfig({
        jwt_validation: { datasource_url: URL_ },
        data_source: { enabled: true, base_url: webex.base, auth: { type: 'static' } },
      }),
      conversationTable: { table, endpoint: dynamo.endpoint, region: 'us-east-1' },
    };
    const env = { WEBEX_BYODS_ACCESS_TOKEN: 'static-token' };
    const started = await Promise.allSettled(
      [0, 1, 2].map(() => startGateway(config, { env, dynamoClient: dynamo.client() })),
    );
    const gateways = started
      .filter((s): s is PromiseFulfilledResult<RunningGateway> => s.status === 'fulfilled')
      .map((s) => s.value);
    try {
      expect(started.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      expect(webex.count('POST', '/v1/dataSources')).toBe(1);
      const ids = await Promise.all(
        gateways.map(async (gw) => {
          const status = (await (await fetch(`${gw.httpUrl}/api/status`)).json()) as {
            data_source: { id: string };
          };
          return status.data_source.id;
        }),
      );
      expect(ids).toEqual(['ds-1', 'ds-1', 'ds-1']);
    } finally {
      await Promise.all(gateways.map((gw) => gw.stop()));
    }
  });
});

describe('the registration claim', () => {
  const identity = (): DataSourceIdentity => ({
    baseUrl: webex.base,
    url: URL_,
    schemaId: SCHEMA,
    audience: 'BYOVAGateway',
    subject: 'callAudioData',
  });

  /** Steps that register `ds-mine` and read back any id. */
  function steps(): RegistrationSteps & { registered: number } {
    const out = {
      registered: 0,
      find: async (): Promise<DataSource | undefined> => undefined,
      register: async (): Promise<DataSource> => {
        out.registered += 1;
        return { id: 'ds-mine' };
      },
      read: async (id: string): Promise<DataSource | undefined> => ({ id }),
    };
    return out;
  }

  /** A client whose first PutItem is stored but answered with a timeout (the SDK retries it). */
  function clientLosingFirstPutAnswer(): DynamoDBClient {
    const client = dynamo.client();
    let lost = false;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'PutItemCommand') return next(args);
        const out = await next(args);
        if (!lost) {
          lost = true;
          throw Object.assign(new Error('the answer timed out'), { name: 'TimeoutError' });
        }
        return out;
      },
      // After the retry middleware: once per attempt, around the HTTP exchange.
      { step: 'finalizeRequest', priority: 'low', name: 'loseFirstPutAnswer' },
    );
    return client;
  }

  it('registers at once when its own claim was stored but the answer was lost', async () => {
    const table = await freshTable();
    const { logger, lines } = capture();
    const election = new DataSourceElection({
      client: clientLosingFirstPutAnswer(),
      table,
      leaseMs: 200,
      pollMs: 20,
      logger,
    });
    const registration = steps();
    const item = await election.registerOnce(identity(), registration);
    expect(item.id).toBe('ds-mine');
    expect(registration.registered).toBe(1);
    expect(lines.map((l) => l['msg'])).not.toContain(
      'the instance registering the data source did not finish; trying again',
    );
    expect((await dynamo.items(table))[0]?.['dataSourceId']?.S).toBe('ds-mine');
  });

  it('waits for the registrar as long as the registrar’s own lease, when longer than the waiter’s', async () => {
    const table = await freshTable();
    const key = dataSourceElectionKey(identity());
    // A registrar with a long timeout_ms claimed the registration and is still registering.
    await dynamo.client().send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: key },
          owner: { S: 'slow-registrar' },
          leaseMs: { N: '60000' },
          expiresAt: { N: String(Math.floor(Date.now() / 1000) + 86_400) },
        },
      }),
    );
    const { logger, lines } = capture();
    const ownLease = 100;
    const election = new DataSourceElection({
      client: dynamo.client(),
      table,
      leaseMs: ownLease,
      pollMs: 10,
      logger,
    });
    const registration = steps();
    const waiting = election.registerOnce(identity(), registration);
    // Well past the waiter's own lease, the registrar finishes.
    await new Promise((resolve) => setTimeout(resolve, 4 * ownLease));
    await dynamo.client().send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: key } },
        UpdateExpression: 'SET dataSourceId = :id',
        ExpressionAttributeValues: { ':id': { S: 'ds-slow' } },
      }),
    );
    expect((await waiting).id).toBe('ds-slow');
    expect(registration.registered).toBe(0);
    expect(lines.map((l) => l['msg'])).not.toContain(
      'the instance registering the data source did not finish; trying again',
    );
  });

  it('writes its lease into its claim for the instances that wait for it', async () => {
    const table = await freshTable();
    let claim: Record<string, unknown> | undefined;
    const election = new DataSourceElection({
      client: dynamo.client(),
      table,
      leaseMs: 8000,
      pollMs: 20,
      logger: pino({ level: 'silent' }),
    });
    await election.registerOnce(identity(), {
      ...steps(),
      register: async () => {
        claim = (await dynamo.items(table))[0];
        return { id: 'ds-mine' };
      },
    });
    expect(claim).toMatchObject({ owner: { S: expect.any(String) }, leaseMs: { N: '8000' } });
  });
});

describe('several matching data sources', () => {
  const match = { url: URL_, schemaId: SCHEMA, audience: 'BYOVAGateway', subject: 'callAudioData' };
  const future = new Date(Date.now() + 86_400_000).toISOString();

  it('picks the oldest on every instance, leaves the others alone and names them in a warning', async () => {
    // The list carries no createdAt (the fake strips it, as the API documents): it is read by id.
    webex.items = [
      { id: 'ds-new', ...match, createdAt: '2025-03-01T00:00:00Z', tokenExpiryTime: future },
      { id: 'ds-old', ...match, createdAt: '2024-01-01T00:00:00Z', tokenExpiryTime: future },
      { id: 'ds-mid', ...match, createdAt: '2024-06-01T00:00:00Z', tokenExpiryTime: future },
    ];
    const first = capture();
    const second = capture();
    const a = lifecycle({ logger: first.logger });
    const b = lifecycle({ logger: second.logger });
    await startAll([a, b]);
    expect([a.status().id, b.status().id]).toEqual(['ds-old', 'ds-old']);
    expect(webex.count('POST')).toBe(0);
    expect(webex.count('DELETE')).toBe(0);
    expect(webex.items).toHaveLength(3);
    expect(first.lines).toContainEqual(
      expect.objectContaining({
        data_source_id: 'ds-old',
        other_data_source_ids: ['ds-mid', 'ds-new'],
      }),
    );
  });

  it('picks the lowest id among data sources created at the same time', async () => {
    webex.items = [
      { id: 'ds-b', ...match, createdAt: '2024-01-01T00:00:00Z', tokenExpiryTime: future },
      { id: 'ds-a', ...match, createdAt: '2024-01-01T00:00:00Z', tokenExpiryTime: future },
    ];
    const ds = lifecycle();
    await startAll([ds]);
    expect(ds.status().id).toBe('ds-a');
  });
});

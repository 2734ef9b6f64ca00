/**
 * Runs the local fakes of Genesys Cloud (and optionally Elasticsearch) so the collector can be
 * seen working without a Genesys org:
 *
 *   npx nx run event-collector:fake-genesys
 *
 * Environment: FAKE_GENESYS_PORT (8078), FAKE_ELASTIC_PORT (9201; 0 disables),
 * FAKE_DYNAMODB_PORT (8079; dynalite with the lease table `event-collector-lease`; 0 disables),
 * FAKE_PUBLISH_EVERY_MS (5000; 0 disables), FAKE_HEARTBEAT_MS (30000).
 * Controls: curl -X POST http://127.0.0.1:8078/__fake/publish | /socket-closing | /drop | /expire | /revoke,
 * and curl http://127.0.0.1:8078/__fake/state
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Server } from 'node:http';
import dynalite from 'dynalite';
import { FakeElastic } from './fake-elastic';
import { FakeGenesys } from './fake-genesys';

const num = (name: string, def: number): number => {
  const v = Number(process.env[name] ?? def);
  return Number.isFinite(v) ? v : def;
};

async function run(): Promise<void> {
  const genesys = await new FakeGenesys({
    heartbeatIntervalMs: num('FAKE_HEARTBEAT_MS', 30_000),
  }).start(num('FAKE_GENESYS_PORT', 8078));
  const esPort = num('FAKE_ELASTIC_PORT', 9201);
  const es = esPort > 0 ? await new FakeElastic().start(esPort) : undefined;
  const dynamoPort = num('FAKE_DYNAMODB_PORT', 8079);
  const dynamo = dynamoPort > 0 ? await startLeaseTable(dynamoPort) : undefined;
  const every = num('FAKE_PUBLISH_EVERY_MS', 5000);
  let n = 0;
  const timer =
    every > 0
      ? setInterval(() => {
          n += 1;
          const delivered = genesys.publish('v2.operations.events.AUDIOHOOK-0001', {
            eventEntity: {
              id: 'AUDIOHOOK-0001',
              name: 'AudioHook connection failure',
              description: 'The AudioHook client could not connect to the server.',
            },
            entityId: '0f8f91f9-a27d-4ddf-9026-7e1e3a8d73a6',
            entityName: 'Demo AudioHook Monitor',
            entityType: 'integration',
            conversationId: `34c18827-77a6-4970-ad66-${String(n).padStart(12, '0')}`,
            errorCode: 'CONNECT_FAILED',
            currentValue: 'error',
            timestamp: Date.now(),
          });
          process.stdout.write(`published event ${n} to ${delivered} socket(s)\n`);
        }, every)
      : undefined;

  const lines = [
    `fake Genesys on ${genesys.baseUrl}${es ? `, fake Elasticsearch on ${es.baseUrl}` : ''}` +
      (dynamo ? `, dynalite on ${dynamo.endpoint} (table ${LEASE_TABLE})` : ''),
    'run the collector against it in another terminal:',
    '',
    `  GENESYS_CLIENT_ID=${genesys.o.clientId} GENESYS_CLIENT_SECRET=${genesys.o.clientSecret} \\`,
    `  GENESYS_LOGIN_BASE_URL=${genesys.baseUrl} GENESYS_API_BASE_URL=${genesys.baseUrl} \\`,
    `  OUTPUT_FILE=./tmp/event-collector/audiohook_events.jsonl${es ? ` ELASTIC_URL=${es.baseUrl}` : ''} \\`,
    '  npx nx serve event-collector',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const stop = (): void => {
    if (timer) clearInterval(timer);
    dynamo?.server.close();
    void Promise.all([genesys.stop(), es?.stop()]).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const LEASE_TABLE = 'event-collector-lease';

/** dynalite with the lease table, so several collectors can share a lease locally. */
async function startLeaseTable(port: number): Promise<{ server: Server; endpoint: string }> {
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await client.send(
    new CreateTableCommand({
      TableName: LEASE_TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  client.destroy();
  return { server, endpoint };
}

void run();

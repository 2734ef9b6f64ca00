// A local DynamoDB (dynalite, in memory) on a free loopback port, with tables as the deployment
// contract has them: partition key `pk` (String), TTL attribute `expiresAt`.

import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  ScanCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

export interface LocalDynamo {
  readonly endpoint: string;
  /** A client for the gateway under test (each gateway gets its own). */
  client(): DynamoDBClient;
  createTable(name: string): Promise<void>;
  /** Every item of a table. */
  items(table: string): Promise<Record<string, AttributeValue>[]>;
  close(): Promise<void>;
}

export async function startLocalDynamo(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: DynamoDBClient[] = [];
  const client = (): DynamoDBClient => {
    const c = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    clients.push(c);
    return c;
  };
  const admin = client();
  return {
    endpoint,
    client,
    createTable: async (name) => {
      await admin.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      await admin
        .send(
          new UpdateTimeToLiveCommand({
            TableName: name,
            TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          }),
        )
        // dynalite may not implement TTL settings; the table works the same without them.
        .catch(() => undefined);
    },
    items: async (table) =>
      (await admin.send(new ScanCommand({ TableName: table, ConsistentRead: true }))).Items ?? [],
    close: async () => {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

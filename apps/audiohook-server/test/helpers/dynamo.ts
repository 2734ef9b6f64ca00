// A local DynamoDB (dynalite, in memory) on a free loopback port with the replay cache table of
// the deployment contract: partition key `pk` (String), TTL attribute `expiresAt`.

import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

export const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface LocalDynamo {
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  /** Creates a replay cache table as the deployment stack does. */
  createReplayTable(name: string): Promise<void>;
  /** Every item of a table, attribute values as the wire has them. */
  items(table: string): Promise<Record<string, Record<string, string>>[]>;
  close(): Promise<void>;
}

export async function startLocalDynamo(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS });
  return {
    endpoint,
    client,
    createReplayTable: async (name) => {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      await client
        .send(
          new UpdateTimeToLiveCommand({
            TableName: name,
            TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          }),
        )
        // dynalite may not implement TTL settings; the table works the same without them.
        .catch(() => undefined);
    },
    items: async (table) => {
      const out = await client.send(new ScanCommand({ TableName: table }));
      return (out.Items ?? []).map((item) =>
        Object.fromEntries(
          Object.entries(item).map(([name, value]) => [
            name,
            value as unknown as Record<string, string>,
          ]),
        ),
      );
    },
    close: async () => {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

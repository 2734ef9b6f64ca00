import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

/** dynalite accepts any credentials; the SDK needs some. */
export const TEST_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
};

/** A local DynamoDB (dynalite, in memory) on a free loopback port. */
export class LocalDynamo {
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
    readonly client: DynamoDBClient,
  ) {}

  static async start(): Promise<LocalDynamo> {
    const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new DynamoDBClient({
      endpoint,
      region: TEST_AWS_ENV.AWS_REGION,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    return new LocalDynamo(server, endpoint, client);
  }

  /** A table as the deployment stack creates it: `pk` (String), TTL on `expiresAt`, on demand. */
  async createTable(name: string): Promise<void> {
    await this.client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await this.client
      .send(
        new UpdateTimeToLiveCommand({
          TableName: name,
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        }),
      )
      .catch(() => undefined); // dynalite may not implement TTL settings
  }

  /** One item's attributes, values as strings (for assertions). */
  async item(table: string, pk: string): Promise<Record<string, string> | undefined> {
    const res = await this.client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    if (!res.Item) return undefined;
    return Object.fromEntries(
      Object.entries(res.Item).map(([k, v]) => [k, String(v.S ?? v.N ?? v.BOOL ?? '')]),
    );
  }

  async stop(): Promise<void> {
    this.client.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

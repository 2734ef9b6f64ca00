// The call table on a local DynamoDB (dynalite) for the harness, the tests and the benchmark;
// deployments create it with the CDK stack. Kept out of src/lib so the function's code, and so its
// role, never includes CreateTable.
import {
  type CreateTableCommandInput,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '../lib/table';

/**
 * The `CreateTable` request of the call table: `pk`/`sk` strings, on-demand billing, and the
 * sparse keys-only due index (`dueShard` S, `dueAtMs` N) that the finalize sweep queries.
 *
 * @example
 * ```ts
 * await dynamo.send(new CreateTableCommand(callTableDefinition('calls')));
 * ```
 */
export function callTableDefinition(
  tableName: string,
  dueIndexName = 'due-index',
): CreateTableCommandInput {
  const s = TABLE_SCHEMA;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: s.partitionKey, AttributeType: 'S' },
      { AttributeName: s.sortKey, AttributeType: 'S' },
      { AttributeName: s.dueIndexPartitionKey, AttributeType: 'S' },
      { AttributeName: s.dueIndexSortKey, AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: s.partitionKey, KeyType: 'HASH' },
      { AttributeName: s.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: dueIndexName,
        KeySchema: [
          { AttributeName: s.dueIndexPartitionKey, KeyType: 'HASH' },
          { AttributeName: s.dueIndexSortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
  };
}

/**
 * Creates the call table unless it exists and waits until it is active (local DynamoDB, the
 * harness and the benchmark; deployments create it with the CDK stack).
 */
export async function ensureCallTable(
  client: DynamoDBClient,
  tableName: string,
  dueIndexName = 'due-index',
  timeoutMs = 30_000,
): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
    await client.send(new CreateTableCommand(callTableDefinition(tableName, dueIndexName)));
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (d.Table?.GlobalSecondaryIndexes ?? []).every(
      (i) => i.IndexStatus === 'ACTIVE',
    );
    if (d.Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} did not become active`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

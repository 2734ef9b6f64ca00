import {
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { CALL_SK, type CallItem, parseCall } from './call-items';
import { ExpressionBuilder } from './update-expression';

/** What every store of the call table is built with. */
export interface TableItemsOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Lifetime of every item after its last update. @default 168 */
  ttlHours?: number;
}

/**
 * The item-level primitives the call table's stores share: keys, the TTL every write renews,
 * conditional `UpdateItem` (a failed condition is an answer, not a fault) and the consistent read
 * of the call item.
 */
export abstract class TableItems {
  protected readonly client: DynamoDBDocumentClient;
  protected readonly table: string;
  readonly #ttlSeconds: number;

  protected constructor(options: TableItemsOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.#ttlSeconds = (options.ttlHours ?? 168) * 3600;
  }

  /** The call item, read strongly consistent; `undefined` when there is none. */
  protected async getCall(transactionId: string): Promise<CallItem | undefined> {
    const item = await this.getItem(transactionId, CALL_SK);
    return item === undefined ? undefined : parseCall(item);
  }

  /** One item, read strongly consistent; `undefined` when there is none. */
  protected async getItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: this.key(pk, sk), ConsistentRead: true }),
    );
    return out.Item;
  }

  /** A new update that sets `updatedAtMs` and renews the item's `ttl`. */
  protected touched(nowMs: number): ExpressionBuilder {
    return new ExpressionBuilder().set('updatedAtMs', nowMs).set('ttl', this.ttl(nowMs));
  }

  /** The `ttl` (epoch seconds) of an item written at `nowMs`. */
  protected ttl(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.#ttlSeconds;
  }

  protected key(pk: string, sk: string): { pk: string; sk: string } {
    return { pk, sk };
  }

  /**
   * One `UpdateItem`.
   * @returns `false` when `condition` did not hold (nothing was written), `true` otherwise.
   */
  protected async update(args: {
    Key: Record<string, string>;
    x: ExpressionBuilder;
    condition?: string;
  }): Promise<boolean> {
    const input: UpdateCommandInput = {
      TableName: this.table,
      Key: args.Key,
      UpdateExpression: args.x.update,
      ...(args.condition ? { ConditionExpression: args.condition } : {}),
      ...args.x.attributes(),
    };
    try {
      await this.client.send(new UpdateCommand(input));
      return true;
    } catch (err) {
      if (args.condition && isConditionalFailure(err)) return false;
      throw err;
    }
  }
}

/** Whether a DynamoDB error is a failed condition (an expected outcome, not a fault). */
export function isConditionalFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

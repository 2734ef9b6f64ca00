// Conversation state shared by every gateway instance: one DynamoDB item per conversation
// (`CONVERSATION_TABLE`), written and deleted with a version condition so two instances never
// overwrite or remove each other's newer state silently, and expiring by TTL when WxCC never ends
// the call. A write may mark the item as claimed by a turn in progress (see
// shared-conversations.ts).

import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { parseConversationState, type Clock, type ConversationState } from '@org/byova';
import type { AwsSdkLogger } from '@org/service-kit';
import { GatewayError, GatewayErrorCode } from './errors';

/** Prefix of the partition key of a conversation item (`conversation#<conversation_id>`). */
export const CONVERSATION_KEY_PREFIX = 'conversation#';

/** A conversation's state as stored, with its version (1 when created, +1 per update). */
export interface StoredConversation {
  readonly state: ConversationState;
  readonly version: number;
  /** The claim of a turn in progress on some instance (`turnBy`), if any. */
  readonly claimedBy: string | undefined;
}

export interface ConversationStoreOptions {
  readonly client: DynamoDBClient;
  /** The table: partition key `pk` (String), TTL attribute `expiresAt` (epoch seconds). */
  readonly table: string;
  /** An item expires this long after the conversation's last activity. */
  readonly ttlSeconds: number;
  readonly clock: Clock;
}

/**
 * The conversation table. Item: `pk` = `conversation#<id>`, `version` (N), `state` (S, the
 * {@link ConversationState} as JSON), `expiresAt` (N, epoch seconds), `updatedAt` (N, epoch ms),
 * `turnBy` (S, only while a turn claimed the conversation). Every failure other than a version
 * conflict throws `BYOVA_GW_ERR_STORE_UNAVAILABLE`.
 */
export class ConversationStore {
  readonly #options: ConversationStoreOptions;

  constructor(options: ConversationStoreOptions) {
    this.#options = options;
  }

  get table(): string {
    return this.#options.table;
  }

  /** The stored state, or undefined (never stored, deleted, or past its expiry). */
  async load(conversationId: string): Promise<StoredConversation | undefined> {
    const out = await this.#send('read', () =>
      this.#options.client.send(
        new GetItemCommand({
          TableName: this.#options.table,
          Key: { pk: { S: key(conversationId) } },
          ConsistentRead: true,
        }),
      ),
    );
    const item = out.Item;
    if (item === undefined) return undefined;
    // TTL deletes late: an expired item is gone.
    if (Number(item['expiresAt']?.N ?? 0) * 1000 <= this.#options.clock.now()) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(item['state']?.S ?? '');
    } catch (error) {
      throw new GatewayError(
        GatewayErrorCode.StoreUnavailable,
        `conversation ${conversationId} in ${this.#options.table} is not JSON`,
        { cause: error },
      );
    }
    return {
      state: parseConversationState(json),
      version: Number(item['version']?.N ?? 0),
      claimedBy: item['turnBy']?.S,
    };
  }

  /**
   * Writes `state` as version `version`: the first version only if no item exists, later ones
   * only over version `version - 1`. With `claim`, the item says a turn is in progress
   * (`turnBy`); a write without it ends the claim.
   *
   * @returns false when another writer got there first (the caller reloads).
   */
  async save(state: ConversationState, version: number, claim?: string): Promise<boolean> {
    const now = this.#options.clock.now();
    const expiresAt = Math.ceil(state.lastActivityAt / 1000) + this.#options.ttlSeconds;
    try {
      await this.#send('write', () =>
        this.#options.client.send(
          new PutItemCommand({
            TableName: this.#options.table,
            Item: {
              pk: { S: key(state.conversationId) },
              version: { N: String(version) },
              state: { S: JSON.stringify(state) },
              expiresAt: { N: String(expiresAt) },
              updatedAt: { N: String(now) },
              ...(claim !== undefined ? { turnBy: { S: claim } } : {}),
            },
            ...(version === 1
              ? {
                  // A new conversation may replace only an item that has expired.
                  ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
                  ExpressionAttributeValues: { ':now': { N: String(Math.floor(now / 1000)) } },
                }
              : {
                  ConditionExpression: 'version = :previous',
                  ExpressionAttributeValues: { ':previous': { N: String(version - 1) } },
                }),
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /**
   * Forgets a conversation (it ended), if it is still at `version`.
   *
   * @returns false when the item has another version (another instance wrote it since) or is
   *   gone.
   */
  async delete(conversationId: string, version: number): Promise<boolean> {
    try {
      await this.#send('write', () =>
        this.#options.client.send(
          new DeleteItemCommand({
            TableName: this.#options.table,
            Key: { pk: { S: key(conversationId) } },
            ConditionExpression: 'version = :version',
            ExpressionAttributeValues: { ':version': { N: String(version) } },
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  async #send<T>(what: 'read' | 'write', call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new GatewayError(
        GatewayErrorCode.StoreUnavailable,
        `the conversation table ${this.#options.table} could not be ${what === 'read' ? 'read' : 'written'}`,
        { cause: error },
      );
    }
  }
}

function key(conversationId: string): string {
  return `${CONVERSATION_KEY_PREFIX}${conversationId}`;
}

/**
 * A failed write condition, wrapped in a GatewayError (`#send` here, or the data source
 * election's).
 */
export function isConflict(error: unknown): boolean {
  return error instanceof GatewayError && error.cause instanceof ConditionalCheckFailedException;
}

/** The DynamoDB client of the conversation table: two attempts, each within `timeoutMs`. */
export function conversationTableClient(options: {
  readonly region: string;
  readonly endpoint: string | undefined;
  readonly timeoutMs: number;
  /** Takes the SDK's warnings (see `awsSdkLogger`); otherwise the SDK writes them to the console. */
  readonly logger?: AwsSdkLogger;
}): DynamoDBClient {
  return new DynamoDBClient({
    region: options.region,
    maxAttempts: 2,
    requestHandler: { requestTimeout: options.timeoutMs, connectionTimeout: options.timeoutMs },
    ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
}

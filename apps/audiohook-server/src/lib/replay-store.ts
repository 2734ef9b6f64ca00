// The replay cache shared by every instance: nonces of verified signatures claimed in a DynamoDB
// table with a conditional write, so a request replayed to another instance is refused too.

import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { NonceStore } from '@org/audiohook-protocol';
import type { AwsSdkLogger } from '@org/service-kit';
import { ServerError, ServerErrorCode } from './errors';

/** Prefix of the partition key of a nonce item (`nonce#<nonceKey>`). */
export const NONCE_KEY_PREFIX = 'nonce#';

export interface DynamoNonceStoreOptions {
  readonly client: DynamoDBClient;
  /** The table (`REPLAY_CACHE_TABLE`): partition key `pk` (String), TTL attribute `expiresAt`. */
  readonly table: string;
}

/**
 * A {@link NonceStore} on a DynamoDB table. A claim is one `PutItem` of
 * `{pk: "nonce#<key>", expiresAt: <epoch seconds, rounded up>, claimId: <random UUID>}` with the
 * condition `attribute_not_exists(pk) OR expiresAt < :now OR claimId = :claim`: of concurrent
 * claims of one key, on any number of instances, exactly one succeeds; an item whose expiry has
 * passed can be claimed again even before DynamoDB's TTL has deleted it (TTL deletes late).
 *
 * The claim id makes the write idempotent: the SDK retries a request whose answer it did not get
 * (a time-out, a reset), and a retry of a write that had in fact succeeded finds the item it
 * wrote itself. Its condition holds on the claim id, so the session that claimed the nonce is not
 * refused as its own replay; any other claim of the key, carrying another id, still fails. This
 * needs no read (no `GetItem` permission) and no second round trip.
 *
 * Any other failure throws, and the verifier then refuses the request (`UNAVAILABLE`): a store
 * outage fails closed, never open.
 *
 * @example
 * ```ts
 * const nonceStore = new DynamoNonceStore({ client: new DynamoDBClient({}), table: 'replay' });
 * await verifySignature(request, { resolveSecret, nonceStore });
 * ```
 */
export class DynamoNonceStore implements NonceStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(options: DynamoNonceStoreOptions) {
    this.#client = options.client;
    this.#table = options.table;
  }

  async claim(key: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    // One id per claim, sent unchanged by every SDK attempt of this one request.
    const claimId = randomUUID();
    try {
      await this.#client.send(
        new PutItemCommand({
          TableName: this.#table,
          Item: {
            pk: { S: `${NONCE_KEY_PREFIX}${key}` },
            // Rounded up: the key is kept at least until expiresAtMs.
            expiresAt: { N: String(Math.ceil(expiresAtMs / 1000)) },
            claimId: { S: claimId },
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR claimId = :claim',
          ExpressionAttributeValues: {
            ':now': { N: String(Math.floor(nowMs / 1000)) },
            ':claim': { S: claimId },
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new ServerError(
        ServerErrorCode.ReplayStoreUnavailable,
        `the replay cache table ${this.#table} could not be written`,
        { cause: error },
      );
    }
  }
}

export interface ReplayTableClientOptions {
  readonly region: string;
  /** `DYNAMODB_ENDPOINT` (dynalite, DynamoDB Local, a VPC endpoint). */
  readonly endpoint?: string;
  /** Per-request time limit; a slow store must not hold the `open` past Genesys' 5 s. */
  readonly timeoutMs: number;
  /** Takes the SDK's warnings (see `awsSdkLogger`); otherwise the SDK writes them to the console. */
  readonly logger?: AwsSdkLogger;
}

/**
 * The DynamoDB client of the replay cache: two attempts, each within `timeoutMs`, so an outage is
 * reported (and the session refused) within about twice that.
 *
 * @example
 * ```ts
 * const client = replayTableClient({ region: 'eu-west-1', timeoutMs: 1500 });
 * ```
 */
export function replayTableClient(options: ReplayTableClientOptions): DynamoDBClient {
  return new DynamoDBClient({
    region: options.region,
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: options.timeoutMs,
      requestTimeout: options.timeoutMs,
    },
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}

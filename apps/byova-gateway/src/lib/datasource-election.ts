// Which instance registers the Webex data source when several start at once on a fresh
// deployment. Without coordination every instance lists none and registers one, and every later
// start finds several. With the conversation table, the instances elect one registrar with a
// conditional PutItem on a dedicated item (`datasource#<hash of base URL, URL, schema, audience,
// subject>`, which no conversation key can equal: those are `conversation#<id>`); the others
// wait for it and read the id it registered. A registrar that crashes is detected without
// comparing clocks of different machines: an instance that has seen the same unfinished claim for
// `leaseMs` by its own monotonic clock removes it (conditionally) and tries again.

import { createHash, randomUUID } from 'node:crypto';
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Logger } from 'pino';
import { isConflict } from './conversation-store';
import { DataSourceError, type DataSource } from './datasource';

/** Prefix of the partition key of the registration item (`datasource#<sha-256 hex>`). */
export const DATA_SOURCE_KEY_PREFIX = 'datasource#';

/** The registration item is removed by TTL this long after its last write (cleanup only). */
const ITEM_TTL_SECONDS = 86_400;

/** Claims tried before giving up (each after the previous registrar failed or vanished). */
const MAX_ROUNDS = 5;

/** What the election needs from the lifecycle. */
export interface RegistrationSteps {
  /** Finds a matching data source (another registrar may have finished earlier). */
  find(): Promise<DataSource | undefined>;
  /** Registers one (POST). */
  register(): Promise<DataSource>;
  /** Reads the data source another instance registered; undefined when it no longer exists. */
  read(id: string): Promise<DataSource | undefined>;
}

export interface DataSourceElectionOptions {
  readonly client: DynamoDBClient;
  /** The conversation table: partition key `pk` (String), TTL attribute `expiresAt`. */
  readonly table: string;
  /** An unfinished claim seen this long (own clock) is taken for a crashed registrar's. */
  readonly leaseMs: number;
  /** How often a waiting instance reads the registration item. */
  readonly pollMs: number;
  readonly logger: Logger;
}

/** The identity of a data source the election is about (its item key is a hash of it). */
export interface DataSourceIdentity {
  readonly baseUrl: string;
  readonly url: string;
  readonly schemaId: string;
  readonly audience: string;
  readonly subject: string;
}

interface RegistrationRecord {
  readonly owner: string;
  readonly dataSourceId: string | undefined;
  /** The registrar's own lease (`leaseMs`), when it wrote one. */
  readonly leaseMs?: number | undefined;
}

/** The table item of a data source's registration. */
export function dataSourceElectionKey(identity: DataSourceIdentity): string {
  const { baseUrl, url, schemaId, audience, subject } = identity;
  const digest = createHash('sha256')
    .update(JSON.stringify([baseUrl, url, schemaId, audience, subject]))
    .digest('hex');
  return `${DATA_SOURCE_KEY_PREFIX}${digest}`;
}

/** Elects, through the conversation table, the one instance that registers a data source. */
export class DataSourceElection {
  readonly #options: DataSourceElectionOptions;
  readonly #owner = randomUUID();

  constructor(options: DataSourceElectionOptions) {
    this.#options = options;
  }

  /**
   * The data source, registered by exactly one of the instances running this at the same time.
   *
   * @throws DataSourceError when the table cannot be used, a step fails on the registrar, or no
   *   registrar finished within {@link MAX_ROUNDS} claims.
   */
  async registerOnce(identity: DataSourceIdentity, steps: RegistrationSteps): Promise<DataSource> {
    const key = dataSourceElectionKey(identity);
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      if (await this.#claim(key)) return this.#registerAsWinner(key, steps);
      const outcome = await this.#awaitRegistrar(key);
      if (outcome === undefined) continue;
      const item = await steps.read(outcome.dataSourceId);
      if (item !== undefined) {
        this.#options.logger.info(
          { data_source_id: item.id },
          'data source registered by another instance',
        );
        return item;
      }
      // Registered, then deleted in Webex: forget the record and elect again.
      await this.#remove(key, outcome);
    }
    throw new DataSourceError(
      `no instance finished registering the data source after ${MAX_ROUNDS} attempts`,
    );
  }

  async #registerAsWinner(key: string, steps: RegistrationSteps): Promise<DataSource> {
    let item: DataSource;
    try {
      // A registrar whose record has since expired may have registered it already.
      item = (await steps.find()) ?? (await steps.register());
    } catch (error) {
      // Let the next instance try at once rather than after the lease.
      await this.#remove(key, { owner: this.#owner, dataSourceId: undefined }).catch(
        () => undefined,
      );
      throw error;
    }
    await this.#send('write', () =>
      this.#options.client.send(
        new PutItemCommand({
          TableName: this.#options.table,
          Item: { ...this.#item(key), dataSourceId: { S: item.id } },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': { S: this.#owner } },
        }),
      ),
    ).catch((error: unknown) => {
      // Registered all the same; the waiting instances find it on their next claim.
      this.#options.logger.warn(
        { err: error, data_source_id: item.id },
        'could not record the registered data source for the other instances',
      );
    });
    return item;
  }

  /**
   * True when this instance became the registrar. The claim can be stored with its answer lost
   * (a timeout, after which the SDK's retry fails the condition, or throws): a record that names
   * this instance is its own claim.
   */
  async #claim(key: string): Promise<boolean> {
    let failure: { readonly error: unknown } | undefined;
    try {
      await this.#send('write', () =>
        this.#options.client.send(
          new PutItemCommand({
            TableName: this.#options.table,
            Item: { ...this.#item(key), leaseMs: { N: String(this.#options.leaseMs) } },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      return true;
    } catch (error) {
      if (!isConflict(error)) failure = { error };
    }
    const record = await this.#read(key).catch(() => undefined);
    if (record?.owner === this.#owner && record.dataSourceId === undefined) {
      this.#options.logger.info({}, 'registration claim stored although its answer was lost');
      return true;
    }
    if (failure !== undefined) throw failure.error;
    return false;
  }

  /**
   * Waits for the registrar: its result, or undefined once its record is gone (failed, or
   * removed here after `leaseMs` without a result) so that the caller claims again.
   */
  async #awaitRegistrar(key: string): Promise<{ owner: string; dataSourceId: string } | undefined> {
    let seen: { owner: string; since: number } | undefined;
    for (;;) {
      const record = await this.#read(key);
      if (record === undefined) return undefined;
      if (record.dataSourceId !== undefined)
        return { owner: record.owner, dataSourceId: record.dataSourceId };
      const now = performance.now();
      // The registrar's lease when it is longer (its timeout_ms may be larger than this one's).
      const lease = Math.max(this.#options.leaseMs, record.leaseMs ?? 0);
      if (seen?.owner !== record.owner) seen = { owner: record.owner, since: now };
      else if (now - seen.since >= lease) {
        this.#options.logger.warn(
          { registrar: record.owner },
          'the instance registering the data source did not finish; trying again',
        );
        await this.#remove(key, record);
        return undefined;
      }
      await new Promise((resolve) => setTimeout(resolve, this.#options.pollMs));
    }
  }

  async #read(key: string): Promise<RegistrationRecord | undefined> {
    const out = await this.#send('read', () =>
      this.#options.client.send(
        new GetItemCommand({
          TableName: this.#options.table,
          Key: { pk: { S: key } },
          ConsistentRead: true,
        }),
      ),
    );
    const owner = out.Item?.['owner']?.S;
    if (owner === undefined) return undefined;
    const leaseMs = Number(out.Item?.['leaseMs']?.N);
    return {
      owner,
      dataSourceId: out.Item?.['dataSourceId']?.S,
      leaseMs: Number.isFinite(leaseMs) ? leaseMs : undefined,
    };
  }

  /** Removes the record if it is still `record` (another instance may have replaced it). */
  async #remove(key: string, record: RegistrationRecord): Promise<void> {
    try {
      await this.#send('write', () =>
        this.#options.client.send(
          new DeleteItemCommand({
            TableName: this.#options.table,
            Key: { pk: { S: key } },
            ...(record.dataSourceId === undefined
              ? {
                  ConditionExpression: '#owner = :owner AND attribute_not_exists(dataSourceId)',
                  ExpressionAttributeValues: { ':owner': { S: record.owner } },
                }
              : {
                  ConditionExpression: '#owner = :owner AND dataSourceId = :id',
                  ExpressionAttributeValues: {
                    ':owner': { S: record.owner },
                    ':id': { S: record.dataSourceId },
                  },
                }),
            ExpressionAttributeNames: { '#owner': 'owner' },
          }),
        ),
      );
    } catch (error) {
      if (isConflict(error)) return;
      throw error;
    }
  }

  #item(key: string): Record<string, AttributeValue> {
    const now = Date.now();
    return {
      pk: { S: key },
      owner: { S: this.#owner },
      expiresAt: { N: String(Math.floor(now / 1000) + ITEM_TTL_SECONDS) },
      updatedAt: { N: String(now) },
    };
  }

  async #send<T>(what: 'read' | 'write', call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new DataSourceError(
        `the data source registration item in ${this.#options.table} could not be ${what === 'read' ? 'read' : 'written'}`,
        { cause: error },
      );
    }
  }
}

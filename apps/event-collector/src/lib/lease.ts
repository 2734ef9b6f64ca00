import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { CollectorError, describeError } from './errors';

/** What the previous holder last published with the lease (its checkpoint, as JSON). */
export interface LeaseAcquired {
  token: number;
  /** The holder's last published state, if any (`undefined` on a brand-new lease). */
  shared: string | undefined;
  /** The previous holder, if any. */
  previousOwner: string | undefined;
}

export interface LeaseOptions {
  client: DynamoDBClient;
  table: string;
  /** The item's partition key `pk`. */
  key: string;
  /** This instance's name in the item. */
  owner: string;
  /** How long a holder that stops renewing keeps the lease. @default 15000 */
  durationMs: number;
  /** How often the holder renews. @default 5000 */
  renewEveryMs: number;
  /** How often a standby reads the lease. @default 2000 */
  pollEveryMs: number;
  /** The lowest fencing token allowed (e.g. the one in the checkpoint). @default 0 */
  minToken?: () => Promise<number>;
  /** Monotonic milliseconds. Injectable for tests. @default performance.now */
  now?: () => number;
  logger: Logger;
  onAcquired: (a: LeaseAcquired) => void;
  onLost: (reason: string) => void;
}

/** The item as read. */
interface LeaseItem {
  owner: string;
  token: number;
  beat: number;
  released: boolean;
  durationMs: number;
  shared: string | undefined;
}

/**
 * The holder stops trusting its lease this much earlier than a standby may take it: room for
 * request latency and for two clocks that tick at slightly different rates.
 */
const SAFETY = 0.1;
/** DynamoDB TTL of the item: only cleans up a lease nobody has used for a month. */
const TTL_S = 30 * 24 * 3600;

const N = (n: number): AttributeValue => ({ N: String(n) });
const S = (s: string): AttributeValue => ({ S: s });

/**
 * A leader lease in one DynamoDB item (`pk` = key), with no assumption about clocks agreeing:
 *
 * - The holder renews with a conditional update (`owner` and fencing `token` unchanged) that bumps
 *   a `beat` counter, and trusts the lease until `durationMs` (less 10 %) after it *sent* its last
 *   successful renewal, on its own monotonic clock. A renewal that finds another owner or token
 *   means it was fenced out: {@link LeaseOptions.onLost} at once.
 * - A standby reads the item and takes over only after seeing the same `token` and `beat` for a
 *   whole `durationMs` on its own monotonic clock (or at once when the holder released it), with a
 *   conditional write on that `token` and `beat`, and a new token one higher. Two standbys racing
 *   for it: one write wins, the other's condition fails.
 *
 * The token is the fencing token: everything the holder writes carries it, so a newer holder's
 * writes can be told from a stale one's.
 */
export class DynamoLease {
  readonly #o: LeaseOptions;
  readonly #now: () => number;
  #held = false;
  #token: number | null = null;
  #validUntil = 0;
  #observed: { token: number; beat: number; since: number } | undefined;
  #holder: string | null = null;
  #shared: string | undefined;
  #lastError: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #running = false;
  #stepping: Promise<void> | undefined;

  constructor(options: LeaseOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** True while this instance holds the lease and may still trust it. */
  holds(): boolean {
    return this.#held && this.#now() < this.#validUntil;
  }

  get token(): number | null {
    return this.#held ? this.#token : null;
  }

  status(): { held: boolean; token: number | null; holder: string | null; lastError?: string } {
    return {
      held: this.holds(),
      token: this.token,
      holder: this.#holder,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
    };
  }

  /** Gives the lease up as lost (e.g. the checkpoint shows a newer holder). */
  fence(reason: string): void {
    this.#lose(reason);
  }

  /** Releases the lease now (e.g. this instance cannot collect) and goes back to standby. */
  async release(): Promise<void> {
    if (!this.#held) return;
    await this.#release();
    this.#held = false;
    this.#observed = undefined;
    if (this.#watchdog) clearTimeout(this.#watchdog);
  }

  /** State to hand over with the lease (sent with the next renewal and the release). */
  publish(shared: string): void {
    this.#shared = shared;
  }

  /** Starts polling (standby) and renewing (holder) on timers. */
  start(): void {
    this.#running = true;
    this.#schedule(0);
  }

  /** Stops the timers; releases the lease (so a standby takes over at once) if `release`. */
  async stop(release: boolean): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#watchdog) clearTimeout(this.#watchdog);
    await this.#stepping;
    if (release && this.#held) await this.#release();
    this.#held = false;
  }

  /** One round: renew when holding, otherwise read and maybe acquire. */
  async step(): Promise<void> {
    try {
      if (this.#held) await this.#renew();
      else await this.#tryAcquire();
      this.#lastError = undefined;
    } catch (err) {
      this.#lastError = describeError(err);
      this.#o.logger.warn({ err: this.#lastError, held: this.#held }, 'lease request failed');
      if (this.#held && !this.holds()) this.#lose('the lease could not be renewed in time');
    }
  }

  #schedule(delayMs: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#stepping = this.step().finally(() => {
        this.#stepping = undefined;
        this.#schedule(this.#held ? this.#o.renewEveryMs : this.#o.pollEveryMs);
      });
    }, delayMs);
  }

  #armWatchdog(): void {
    if (!this.#running) return;
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(
      () => {
        if (this.#held && !this.holds()) this.#lose('the lease expired before it was renewed');
      },
      Math.max(0, this.#validUntil - this.#now()) + 1,
    );
  }

  #lose(reason: string): void {
    if (!this.#held) return;
    this.#held = false;
    this.#observed = undefined;
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#o.logger.warn({ reason, fencingToken: this.#token }, 'lease lost');
    this.#o.onLost(reason);
  }

  async #renew(): Promise<void> {
    const sentAt = this.#now();
    try {
      await this.#o.client.send(
        new UpdateItemCommand({
          TableName: this.#o.table,
          Key: { pk: S(this.#o.key) },
          UpdateExpression: `SET #beat = #beat + :one, #dur = :dur, #exp = :exp${this.#shared === undefined ? '' : ', #shared = :shared'}`,
          ConditionExpression: '#owner = :me AND #token = :token',
          ExpressionAttributeNames: {
            '#beat': 'beat',
            '#dur': 'durationMs',
            '#exp': 'expiresAt',
            '#owner': 'owner',
            '#token': 'token',
            ...(this.#shared === undefined ? {} : { '#shared': 'checkpoint' }),
          },
          ExpressionAttributeValues: {
            ':one': N(1),
            ':dur': N(this.#o.durationMs),
            ':exp': N(Math.floor(Date.now() / 1000) + TTL_S),
            ':me': S(this.#o.owner),
            ':token': N(this.#token ?? 0),
            ...(this.#shared === undefined ? {} : { ':shared': S(this.#shared) }),
          },
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        this.#lose('fenced out: another instance holds the lease now');
        return;
      }
      throw err;
    }
    this.#validUntil = sentAt + this.#o.durationMs * (1 - SAFETY);
    this.#armWatchdog();
  }

  async #tryAcquire(): Promise<void> {
    const item = await this.#read();
    const now = this.#now();
    this.#holder = item && !item.released ? item.owner : null;
    if (item && !item.released) {
      const o = this.#observed;
      if (!o || o.token !== item.token || o.beat !== item.beat) {
        this.#observed = { token: item.token, beat: item.beat, since: now };
        return;
      }
      // Unchanged for a whole lease duration, measured on our own clock: the holder is gone.
      if (now - o.since < Math.max(item.durationMs, this.#o.durationMs)) return;
    }
    await this.#acquire(item, now);
  }

  async #acquire(item: LeaseItem | undefined, sentAt: number): Promise<void> {
    const floor = (await this.#o.minToken?.()) ?? 0;
    const token = Math.max(item?.token ?? 0, floor) + 1;
    const values: Record<string, AttributeValue> = {
      pk: S(this.#o.key),
      owner: S(this.#o.owner),
      token: N(token),
      beat: N(0),
      released: { BOOL: false },
      durationMs: N(this.#o.durationMs),
      acquiredAt: S(new Date().toISOString()),
      expiresAt: N(Math.floor(Date.now() / 1000) + TTL_S),
    };
    if (item?.shared !== undefined) values['checkpoint'] = S(item.shared);
    try {
      await this.#o.client.send(
        new PutItemCommand({
          TableName: this.#o.table,
          Item: values,
          ...(item
            ? {
                ConditionExpression: '#token = :seenToken AND #beat = :seenBeat',
                ExpressionAttributeNames: { '#token': 'token', '#beat': 'beat' },
                ExpressionAttributeValues: {
                  ':seenToken': N(item.token),
                  ':seenBeat': N(item.beat),
                },
              }
            : { ConditionExpression: 'attribute_not_exists(pk)' }),
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        this.#observed = undefined; // someone else was faster; watch the new holder
        return;
      }
      throw err;
    }
    this.#held = true;
    this.#token = token;
    this.#holder = this.#o.owner;
    this.#observed = undefined;
    this.#shared = item?.shared;
    this.#validUntil = sentAt + this.#o.durationMs * (1 - SAFETY);
    this.#armWatchdog();
    this.#o.logger.info(
      { fencingToken: token, previousOwner: item?.owner, released: item?.released ?? null },
      'lease acquired',
    );
    this.#o.onAcquired({ token, shared: item?.shared, previousOwner: item?.owner });
  }

  async #release(): Promise<void> {
    try {
      await this.#o.client.send(
        new UpdateItemCommand({
          TableName: this.#o.table,
          Key: { pk: S(this.#o.key) },
          UpdateExpression: `SET #released = :true, #beat = #beat + :one${this.#shared === undefined ? '' : ', #shared = :shared'}`,
          ConditionExpression: '#owner = :me AND #token = :token',
          ExpressionAttributeNames: {
            '#released': 'released',
            '#beat': 'beat',
            '#owner': 'owner',
            '#token': 'token',
            ...(this.#shared === undefined ? {} : { '#shared': 'checkpoint' }),
          },
          ExpressionAttributeValues: {
            ':true': { BOOL: true },
            ':one': N(1),
            ':me': S(this.#o.owner),
            ':token': N(this.#token ?? 0),
            ...(this.#shared === undefined ? {} : { ':shared': S(this.#shared) }),
          },
        }),
      );
      this.#o.logger.info({ fencingToken: this.#token }, 'lease released');
    } catch (err) {
      this.#o.logger.warn({ err: describeError(err) }, 'could not release the lease');
    }
  }

  async #read(): Promise<LeaseItem | undefined> {
    const res = await this.#o.client.send(
      new GetItemCommand({
        TableName: this.#o.table,
        Key: { pk: S(this.#o.key) },
        ConsistentRead: true,
      }),
    );
    const it = res.Item;
    if (!it) return undefined;
    const num = (v: AttributeValue | undefined): number => Number(v?.N ?? NaN);
    const token = num(it['token']);
    const beat = num(it['beat']);
    const durationMs = num(it['durationMs']);
    if (!Number.isFinite(token) || !Number.isFinite(beat) || !Number.isFinite(durationMs)) {
      throw new CollectorError(
        'COLLECTOR_ERR_LEASE',
        `the lease item ${this.#o.key} is not a lease (token, beat, durationMs)`,
      );
    }
    return {
      owner: it['owner']?.S ?? '',
      token,
      beat,
      released: it['released']?.BOOL === true,
      durationMs,
      shared: it['checkpoint']?.S,
    };
  }
}

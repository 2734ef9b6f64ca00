import {
  type AttributeValue,
  ConditionalCheckFailedException,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
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
  /** The random id the holder wrote when it took the lease. */
  claim: string | undefined;
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
 * - A standby that takes over a lease that was not released waits the old holder's `durationMs`
 *   before it announces the lease ({@link LeaseOptions.onAcquired}) and before {@link holds} says
 *   yes: the old holder may have trusted its lease for up to 90 % of that after its last renewal,
 *   and a write it checked just before then may still be under way; the rest is margin. The
 *   holder renews meanwhile. A released lease (the holder stopped cleanly) is announced at once.
 * - Each take-over writes a random `claim` into the item. When the SDK retries the write after
 *   the first attempt's answer was lost, the retry's condition fails against that very write; the
 *   item then carries our claim, and the lease is ours.
 *
 * The token is the fencing token: the checkpoint the holder writes carries it, so a newer holder's
 * checkpoint can be told from a stale one's. The output files do not carry it; they are fenced by
 * {@link holds}, which every change to them asks first (see `JsonlWriter`).
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
  /** Taken but not announced yet: the previous holder may still have a write under way. */
  #pending: { acquired: LeaseAcquired; until: number } | undefined;
  #graceTimer: NodeJS.Timeout | undefined;

  constructor(options: LeaseOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /**
   * True while this instance holds the lease, may still trust it, and the previous holder's
   * grace period is over: only then may it touch the shared output.
   */
  holds(): boolean {
    return this.#valid() && this.#pending === undefined;
  }

  /** Holds the lease and may still trust it (grace period or not). */
  #valid(): boolean {
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
    this.#clearTimers();
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

  /**
   * Stops the timers; releases the lease (so a standby takes over at once) if `release`, unless
   * it is still in the previous holder's grace period: a write of that holder may still land, and
   * a released lease is taken without waiting, so the lease is left to expire instead.
   */
  async stop(release: boolean): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#watchdog) clearTimeout(this.#watchdog);
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    await this.#stepping;
    const inGrace = this.#pending !== undefined;
    this.#clearTimers();
    if (release && this.#held && !inGrace) await this.#release();
    this.#held = false;
  }

  /** One round: renew when holding, otherwise read and maybe acquire. */
  async step(): Promise<void> {
    try {
      if (this.#held) await this.#renew();
      else await this.#tryAcquire();
      this.#lastError = undefined;
      this.#announceIfDue();
    } catch (err) {
      this.#lastError = describeError(err);
      this.#o.logger.warn({ err: this.#lastError, held: this.#held }, 'lease request failed');
      if (this.#held && !this.#valid()) this.#lose('the lease could not be renewed in time');
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
        if (this.#held && !this.#valid()) this.#lose('the lease expired before it was renewed');
      },
      Math.max(0, this.#validUntil - this.#now()) + 1,
    );
  }

  #clearTimers(): void {
    if (this.#watchdog) clearTimeout(this.#watchdog);
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    this.#pending = undefined;
  }

  #lose(reason: string): void {
    if (!this.#held) return;
    this.#held = false;
    this.#observed = undefined;
    this.#clearTimers();
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
    const claim = randomBytes(8).toString('hex');
    const values: Record<string, AttributeValue> = {
      pk: S(this.#o.key),
      owner: S(this.#o.owner),
      token: N(token),
      beat: N(0),
      released: { BOOL: false },
      durationMs: N(this.#o.durationMs),
      claim: S(claim),
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
      if (!(await this.#claimStored(claim, err))) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        this.#observed = undefined; // someone else was faster; watch the new holder
        return;
      }
    }
    this.#took(item, token, sentAt);
  }

  /**
   * Whether a take-over write that reported a failure was stored all the same: the SDK retries a
   * request whose answer was lost (a timeout), and the retry's condition then fails against our
   * own first attempt. A consistent read shows our claim in the item in that case.
   */
  async #claimStored(claim: string, err: unknown): Promise<boolean> {
    const now = await this.#read().catch(() => undefined);
    if (now?.claim !== claim) return false;
    this.#o.logger.warn(
      { err: describeError(err) },
      'the lease write reported a failure but was stored (a retried request): the lease is ours',
    );
    return true;
  }

  /**
   * Holds the lease from `sentAt` (when the take-over write was sent). Announced at once when it
   * was free or released; otherwise after the old holder's `durationMs`: it trusted its lease at
   * most `durationMs × (1 − SAFETY)` after its last renewal, which it sent before we read the
   * item, and a write it checked just before that may still be landing.
   */
  #took(item: LeaseItem | undefined, token: number, sentAt: number): void {
    this.#held = true;
    this.#token = token;
    this.#holder = this.#o.owner;
    this.#observed = undefined;
    this.#shared = item?.shared;
    this.#validUntil = sentAt + this.#o.durationMs * (1 - SAFETY);
    this.#armWatchdog();
    const graceMs = item && !item.released ? Math.max(0, item.durationMs) : 0;
    this.#o.logger.info(
      {
        fencingToken: token,
        previousOwner: item?.owner,
        released: item?.released ?? null,
        graceMs,
      },
      graceMs > 0
        ? 'lease acquired; waiting until the previous holder cannot be writing any more'
        : 'lease acquired',
    );
    this.#pending = {
      acquired: { token, shared: item?.shared, previousOwner: item?.owner },
      until: sentAt + graceMs,
    };
    if (graceMs > 0 && this.#running) {
      this.#graceTimer = setTimeout(() => this.#announceIfDue(), graceMs + 1);
    }
    this.#announceIfDue();
  }

  /** Announces a lease taken once its grace period is over (and it is still trusted). */
  #announceIfDue(): void {
    const p = this.#pending;
    if (!p || !this.#valid() || this.#now() < p.until) return;
    this.#pending = undefined;
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
    this.#o.onAcquired(p.acquired);
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
      claim: it['claim']?.S,
    };
  }
}

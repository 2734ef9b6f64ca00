import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { awsSdkLogger } from '@org/service-kit';
import type { Logger } from 'pino';
import type { LeaseConfig } from '../config';
import { CheckpointFile, parseSharedCheckpoint, serializeCheckpoint } from './checkpoint';
import { CheckpointClaims } from './checkpoint-claims';
import { describeError } from './errors';
import type { LeaseHealth, Role } from './health';
import { DynamoLease } from './lease';
import type { Metrics } from './metrics';
import { CollectingSession, type SessionOptions } from './session';

/** What a session needs besides what leadership adds (token, fencing, shared checkpoint). */
export type SessionBase = Omit<
  SessionOptions,
  'token' | 'sharedCheckpoint' | 'mayWrite' | 'onFenced' | 'onCheckpoint'
>;

/**
 * Decides when this process collects. Without a lease it always does (one session for the whole
 * run). With `LEASE_TABLE` it stands by until it holds the DynamoDB lease (after taking over from
 * a holder that did not release it, only once that holder's grace period is over, see
 * `DynamoLease`), collects while it holds it (every change to the shared folder checked against
 * it), and abandons the session, writing nothing more, the moment it is fenced out.
 */
export class Leadership {
  readonly #base: SessionBase;
  readonly #metrics: Metrics;
  readonly #log: Logger;
  readonly #lease: DynamoLease | undefined;
  readonly #leaseConfig: LeaseConfig | undefined;
  readonly #owner: string;
  #session: CollectingSession | undefined;
  #role: Role;
  #transitions: Promise<void> = Promise.resolve();
  #stopping = false;

  constructor(base: SessionBase, lease: LeaseConfig | undefined) {
    this.#base = base;
    this.#metrics = base.metrics;
    this.#log = base.logger.child({ component: 'lease' });
    this.#leaseConfig = lease;
    this.#owner = `${hostname()}#${process.pid}#${randomBytes(3).toString('hex')}`;
    this.#role = lease ? 'standby' : 'leader';
    this.#lease = lease ? this.#buildLease(lease) : undefined;
  }

  get role(): Role {
    return this.#role;
  }

  get session(): CollectingSession | undefined {
    return this.#session;
  }

  leaseHealth(): LeaseHealth | null {
    const l = this.#lease;
    const c = this.#leaseConfig;
    if (!l || !c) return null;
    const s = l.status();
    return {
      table: c.table,
      key: c.key,
      owner: this.#owner,
      held: s.held,
      token: s.token,
      holder: s.holder,
      lastError: s.lastError,
    };
  }

  /** Without a lease: starts collecting (errors reach the caller). With one: starts standing by. */
  async start(): Promise<void> {
    if (this.#lease) {
      this.#log.info(
        { owner: this.#owner, key: this.#leaseConfig?.key },
        'standing by for the lease',
      );
      this.#lease.start();
      return;
    }
    this.#session = await CollectingSession.start({ ...this.#base, token: null });
  }

  /** Stops collecting cleanly (last checkpoint written), then releases the lease. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#transitions;
    await this.#session?.stop();
    await this.#lease?.stop(true);
  }

  #buildLease(c: LeaseConfig): DynamoLease {
    const client = new DynamoDBClient({
      region: c.region,
      maxAttempts: 2,
      // A hung request must fail, or renewals would stop behind it.
      requestHandler: {
        connectionTimeout: 2000,
        requestTimeout: Math.max(500, c.renewEveryMs),
        throwOnRequestTimeout: true,
      },
      logger: awsSdkLogger(this.#log, 'DynamoDB'),
      ...(c.endpoint === undefined ? {} : { endpoint: c.endpoint }),
    });
    const claims = new CheckpointClaims(
      new CheckpointFile(this.#base.config.output.checkpointFile),
    );
    return new DynamoLease({
      client,
      table: c.table,
      key: c.key,
      owner: this.#owner,
      durationMs: c.durationMs,
      renewEveryMs: c.renewEveryMs,
      pollEveryMs: c.pollEveryMs,
      minToken: async () => (await claims.newestToken().catch(() => undefined)) ?? 0,
      logger: this.#log,
      onAcquired: (a) => this.#lead(a.token, a.shared),
      onLost: (reason) => this.#standBy(reason),
    });
  }

  #lead(token: number, shared: string | undefined): void {
    const lease = this.#lease;
    if (!lease) return;
    const t0 = Date.now();
    this.#transitions = this.#transitions.then(async () => {
      if (this.#stopping || !lease.holds()) return;
      try {
        this.#session = await CollectingSession.start({
          ...this.#base,
          token,
          sharedCheckpoint: parseSharedCheckpoint(shared),
          mayWrite: () => lease.holds(),
          onFenced: (reason) => lease.fence(reason),
          onCheckpoint: (cp) => lease.publish(serializeCheckpoint(cp)),
        });
        this.#role = 'leader';
        this.#metrics.inc('lease_acquired');
        this.#log.info(
          { fencingToken: token, startMs: Date.now() - t0 },
          'collecting as the lease holder',
        );
      } catch (err) {
        this.#metrics.inc('errors');
        this.#log.error(
          { err: describeError(err) },
          'could not start collecting; releasing the lease for another instance',
        );
        await this.#session?.abandon();
        this.#session = undefined;
        await lease.release();
      }
    });
  }

  #standBy(reason: string): void {
    this.#transitions = this.#transitions.then(async () => {
      const s = this.#session;
      this.#session = undefined;
      this.#role = 'standby';
      if (!s) return;
      this.#metrics.inc('lease_lost');
      this.#log.warn({ reason }, 'no longer the lease holder: stopped collecting, standing by');
      await s.abandon();
    });
  }
}

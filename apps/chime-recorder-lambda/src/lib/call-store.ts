import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { CALL_SK, type CallItem, type LegItem, parseCall, parseLeg } from './call-items';
import { RecorderError, RecorderErrorCode } from './errors';
import type { LegRole, StreamEnded, StreamFailed, StreamStarted, StreamingEvent } from './events';
import {
  EARLY_CHANGE_ATTRIBUTES,
  type EarlyPipelineChange,
  earlyChangeOf,
  type PipelineChange,
  setPipelineChange,
} from './pipeline-change';
import { ExpressionBuilder } from './update-expression';

export { CALL_SK, type CallItem, type CallState, type LegItem, type LegStatus } from './call-items';
export type { PipelineChange } from './pipeline-change';
/** Sort key of a leg item. */
export const legSk = (role: LegRole): string => `LEG#${role}`;

/** Everything stored about one transaction, read in one query. */
export interface CallSnapshot {
  call?: CallItem;
  legs: LegItem[];
}

/** What {@link CallStore.markCreated} records about the created pipeline. */
export interface CreatedPipeline {
  pipelineId?: string;
  pipelineArn?: string;
  pipelineStatus?: string;
  destination: string;
  clientRequestToken?: string;
  streamArns: string[];
  legsRecorded: LegRole[];
  recordingStartMs: number;
  recordingEndMs: number;
  callStartMs: number;
  callEndMs: number;
  recordingKey: string;
  partial: boolean;
  reason: string;
  /**
   * The metadata object still to be written: its key, and when the sweep writes it if this
   * invocation does not record the write first (the call stays in the due index until then).
   */
  metadata?: { key: string; retryAtMs: number };
}

/** What {@link CallStore.markCreated} did. */
export interface CreatedOutcome {
  /** Whether the claim was ours; `false`: another invocation took it over, nothing was written. */
  ours: boolean;
  /** A pipeline status event that arrived before this write, now removed from the item. */
  early?: EarlyPipelineChange;
  /** Whether `early` was about this pipeline and was applied with the `CREATED` mark. */
  earlyApplied?: boolean;
}

/** Conditional `markCreated` writes tried before giving up (each retry means a new early event). */
const MARK_CREATED_ATTEMPTS = 8;

/** Options of {@link CallStore}. */
export interface CallStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** @default 'due-index' */
  dueIndexName?: string;
  /** @default true */
  consistentReads?: boolean;
  /** Lifetime of every item after its last update. @default 168 */
  ttlHours?: number;
  /** @default 4 */
  sweepShards?: number;
}

/**
 * The recorder's state in DynamoDB: one item per leg with an explicit role, one call item holding
 * the pipeline claim, and a sparse due index the finalize sweep reads. Every write is an
 * `UpdateItem` that is safe to repeat (duplicates, retries, concurrent invocations).
 *
 * @example
 * ```ts
 * const store = new CallStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName });
 * const { call, legs } = await store.load(transactionId);
 * ```
 */
export class CallStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #index: string;
  readonly #consistent: boolean;
  readonly #ttlSeconds: number;
  readonly #shards: number;

  constructor(options: CallStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#index = options.dueIndexName ?? 'due-index';
    this.#consistent = options.consistentReads ?? true;
    this.#ttlSeconds = (options.ttlHours ?? 168) * 3600;
    this.#shards = options.sweepShards ?? 4;
  }

  /** The due-index partition of a transaction. */
  shardOf(transactionId: string): string {
    // FNV-1a: stable across processes, unlike anything seeded.
    let h = 0x811c9dc5;
    for (let i = 0; i < transactionId.length; i++) {
      h ^= transactionId.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return String(h % this.#shards);
  }

  /** Number of due-index partitions. */
  get shards(): number {
    return this.#shards;
  }

  /**
   * Writes a STARTED or ENDED leg. Stream and start are kept from the first event that had them;
   * ENDED always sets the end and the status, STARTED never downgrades an ENDED leg.
   */
  async recordLeg(ev: StreamStarted | StreamEnded, nowMs: number): Promise<void> {
    const x = new ExpressionBuilder();
    x.set('role', ev.role)
      .set('transactionId', ev.transactionId)
      .set('callId', ev.callId)
      .set('voiceConnectorId', ev.voiceConnectorId)
      .set('streamArn', ev.streamArn, 'ifAbsent')
      .set('startTimeMs', ev.startTimeMs, 'ifAbsent')
      .set('direction', ev.direction, 'ifAbsent')
      .set('mediaType', ev.mediaType, 'ifAbsent')
      .set('updatedAtMs', nowMs)
      .set('ttl', this.#ttl(nowMs));
    if (ev.status === 'STARTED') {
      x.set('status', 'STARTED', 'ifAbsent').set('startedEventId', ev.eventId, 'ifAbsent');
    } else {
      x.set('status', 'ENDED').set('endTimeMs', ev.endTimeMs).set('endedEventId', ev.eventId);
    }
    await this.#update({ Key: this.#key(ev.transactionId, legSk(ev.role)), x });
  }

  /**
   * Marks one leg FAILED (when the event names the leg). An ENDED leg stays ENDED.
   * @returns whether the leg changed.
   */
  async recordLegFailure(ev: StreamFailed & { role: LegRole }, nowMs: number): Promise<boolean> {
    const x = new ExpressionBuilder();
    x.set('role', ev.role)
      .set('transactionId', ev.transactionId)
      .set('callId', ev.callId)
      .set('voiceConnectorId', ev.voiceConnectorId)
      .set('status', 'FAILED')
      .set('failedAtMs', ev.failTimeMs ?? nowMs)
      .set('failureReason', ev.failureReason)
      .set('failedEventId', ev.eventId)
      .set('updatedAtMs', nowMs)
      .set('ttl', this.#ttl(nowMs));
    const condition = `attribute_not_exists(${x.name('status')}) OR ${x.name('status')} <> ${x.value('ENDED')}`;
    return this.#update({ Key: this.#key(ev.transactionId, legSk(ev.role)), x, condition });
  }

  /**
   * Creates or refreshes the call item (identifiers, phone numbers, TTL, due-index partition)
   * and, for a FAILED event that names no leg, the call-level streaming failure.
   * @returns the call item after the write.
   */
  async touchCall(ev: StreamingEvent, nowMs: number): Promise<CallItem> {
    const x = new ExpressionBuilder();
    x.set('transactionId', ev.transactionId)
      .set('callId', ev.callId, 'ifAbsent')
      .set('voiceConnectorId', ev.voiceConnectorId, 'ifAbsent')
      .set('direction', ev.direction, 'ifAbsent')
      .set('firstSeenAtMs', nowMs, 'ifAbsent')
      .set('updatedAtMs', nowMs)
      .set('ttl', this.#ttl(nowMs))
      .set('dueShard', this.shardOf(ev.transactionId), 'ifAbsent');
    if (ev.status === 'STARTED' || ev.status === 'ENDED') {
      x.set('fromNumber', ev.fromNumber, 'ifAbsent').set('toNumber', ev.toNumber, 'ifAbsent');
    }
    if (ev.status === 'FAILED' && ev.role === undefined) {
      x.set('streamingFailedAtMs', ev.failTimeMs ?? nowMs, 'ifAbsent').set(
        'streamingFailureReason',
        ev.failureReason ?? 'unknown',
        'ifAbsent',
      );
    }
    const out = await this.#client.send(
      new UpdateCommand({
        TableName: this.#table,
        Key: this.#key(ev.transactionId, CALL_SK),
        UpdateExpression: x.update,
        ...x.attributes(),
        ReturnValues: 'ALL_NEW',
      }),
    );
    return parseCall(out.Attributes);
  }

  /**
   * Moves the call's due time earlier (never later) while no pipeline is claimed.
   * @returns whether it changed.
   */
  async scheduleDue(transactionId: string, dueAtMs: number): Promise<boolean> {
    const x = new ExpressionBuilder();
    x.set('dueAtMs', dueAtMs).set('dueShard', this.shardOf(transactionId));
    const due = x.name('dueAtMs');
    const condition = `attribute_exists(${x.name('pk')}) AND attribute_not_exists(${x.name('state')}) AND (attribute_not_exists(${due}) OR ${due} > ${x.value(dueAtMs)})`;
    return this.#update({ Key: this.#key(transactionId, CALL_SK), x, condition });
  }

  /** Reads the call and its legs (strongly consistent unless configured otherwise). */
  async load(transactionId: string): Promise<CallSnapshot> {
    const out = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': 'pk' },
        ExpressionAttributeValues: { ':pk': transactionId },
        ConsistentRead: this.#consistent,
      }),
    );
    const snapshot: CallSnapshot = { legs: [] };
    for (const item of out.Items ?? []) {
      if (item['sk'] === CALL_SK) snapshot.call = parseCall(item);
      else if (typeof item['sk'] === 'string' && item['sk'].startsWith('LEG#')) {
        snapshot.legs.push(parseLeg(item));
      }
    }
    return snapshot;
  }

  /**
   * Claims the pipeline creation: only one invocation wins, even under duplicate and concurrent
   * delivery. A claim older than `leaseMs` (a crashed invocation) can be taken over; the due time
   * is moved to the end of the lease so the sweep finds a claim that never completes.
   * @returns the call item after the claim, or `undefined` when another invocation holds it.
   */
  async claim(
    transactionId: string,
    claimId: string,
    nowMs: number,
    leaseMs: number,
  ): Promise<CallItem | undefined> {
    const x = new ExpressionBuilder();
    x.set('state', 'CREATING')
      .set('claimId', claimId)
      .set('claimedAtMs', nowMs)
      .set('dueAtMs', nowMs + leaseMs)
      .set('dueShard', this.shardOf(transactionId))
      .set('updatedAtMs', nowMs)
      .set('ttl', this.#ttl(nowMs))
      .add('createAttempts', 1);
    const state = x.name('state');
    const condition = `attribute_exists(${x.name('pk')}) AND (attribute_not_exists(${state}) OR (${state} = ${x.value('CREATING')} AND ${x.name('claimedAtMs')} <= ${x.value(nowMs - leaseMs)}))`;
    try {
      const out = await this.#client.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: this.#key(transactionId, CALL_SK),
          UpdateExpression: x.update,
          ConditionExpression: condition,
          ...x.attributes(),
          ReturnValues: 'ALL_NEW',
        }),
      );
      return parseCall(out.Attributes);
    } catch (err) {
      if (isConditionalFailure(err)) return undefined;
      throw err;
    }
  }

  /**
   * Records the created pipeline (`state = CREATED`) and, when a metadata object is still to be
   * written, keeps the call in the due index until {@link recordMetadataAttempt} says it was.
   *
   * A pipeline status event that arrived while the call was being created (see
   * {@link deferPipelineChange}) is applied in the same write when it is about this pipeline, so
   * the call may go straight to `RECORDED` or `FAILED`; the write is conditional on the early
   * event it saw, so one stored meanwhile makes it read the item again and retry.
   * `current` is the call item as last read (saves a read in the common case).
   * @throws RecorderError `CHIME_REC_ERR_STATE_CONFLICT` (retryable) when early events keep
   *   changing the item; the claim then expires and the sweep records the call again.
   */
  async markCreated(
    transactionId: string,
    claimId: string,
    p: CreatedPipeline,
    nowMs: number,
    current?: CallItem,
  ): Promise<CreatedOutcome> {
    let call = current;
    for (let attempt = 1; attempt <= MARK_CREATED_ATTEMPTS; attempt++) {
      call ??= await this.#getCall(transactionId);
      if (call?.state !== 'CREATING' || call.claimId !== claimId) return { ours: false };
      const early = earlyChangeOf(call);
      const applied =
        early !== undefined && p.pipelineArn !== undefined && early.pipelineArn === p.pipelineArn;
      const x = this.#createdUpdate(transactionId, p, nowMs);
      if (applied) setPipelineChange(x, early, nowMs);
      else x.set('pipelineStatus', p.pipelineStatus);
      if (!applied || early.state === undefined) x.set('state', 'CREATED');
      if (early !== undefined) x.remove(...EARLY_CHANGE_ATTRIBUTES);
      const seen =
        early === undefined
          ? `attribute_not_exists(${x.name('earlyPipelineArn')})`
          : `${x.name('earlyPipelineArn')} = ${x.value(early.pipelineArn)} AND ${x.name('earlyPipelineStatus')} = ${x.value(early.pipelineStatus)}`;
      const condition = `${this.#claimHeld(x, claimId)} AND ${seen}`;
      if (await this.#update({ Key: this.#key(transactionId, CALL_SK), x, condition })) {
        return early === undefined ? { ours: true } : { ours: true, early, earlyApplied: applied };
      }
      call = undefined;
    }
    throw new RecorderError(
      RecorderErrorCode.StateConflict,
      `the call item kept changing while the created pipeline was being recorded (${MARK_CREATED_ATTEMPTS} attempts)`,
      { retryable: true },
    );
  }

  /** The writes of {@link markCreated} other than `state` and `pipelineStatus`. */
  #createdUpdate(transactionId: string, p: CreatedPipeline, nowMs: number): ExpressionBuilder {
    const x = new ExpressionBuilder();
    x.set('pipelineId', p.pipelineId)
      .set('pipelineArn', p.pipelineArn)
      .set('destination', p.destination)
      .set('clientRequestToken', p.clientRequestToken)
      .set('streamArns', p.streamArns)
      .set('legsRecorded', p.legsRecorded)
      .set('recordingStartMs', p.recordingStartMs)
      .set('recordingEndMs', p.recordingEndMs)
      .set('callStartMs', p.callStartMs)
      .set('callEndMs', p.callEndMs)
      .set('recordingKey', p.recordingKey)
      .set('partial', p.partial)
      .set('finalizeReason', p.reason)
      .set('pipelineCreatedAtMs', nowMs)
      .set('updatedAtMs', nowMs)
      .set('ttl', this.#ttl(nowMs))
      .remove('lastErrorCode', 'lastErrorMessage');
    const m = p.metadata;
    if (m === undefined) {
      x.remove('dueAtMs', 'dueShard');
    } else {
      x.set('metadataKey', m.key)
        .set('metadataPending', true)
        .set('dueAtMs', m.retryAtMs)
        .set('dueShard', this.shardOf(transactionId));
    }
    return x;
  }

  /** Marks the call FAILED with a stable code. @returns whether the claim was ours. */
  async markFailed(
    transactionId: string,
    claimId: string,
    failureCode: string,
    failureReason: string,
    nowMs: number,
  ): Promise<boolean> {
    const x = new ExpressionBuilder();
    x.set('state', 'FAILED')
      .set('failureCode', failureCode)
      .set('failureReason', failureReason.slice(0, 2000))
      .set('failedAtMs', nowMs)
      .set('updatedAtMs', nowMs)
      .set('ttl', this.#ttl(nowMs))
      .remove('dueAtMs', 'dueShard');
    return this.#update({
      Key: this.#key(transactionId, CALL_SK),
      x,
      condition: this.#claimHeld(x, claimId),
    });
  }

  /**
   * Gives a claim back after a transient failure, so the sweep tries again at `retryAtMs`.
   * @returns whether the claim was ours.
   */
  async release(
    transactionId: string,
    claimId: string,
    retryAtMs: number,
    errorCode: string,
    errorMessage: string,
    nowMs: number,
  ): Promise<boolean> {
    const x = new ExpressionBuilder();
    x.set('dueAtMs', retryAtMs)
      .set('dueShard', this.shardOf(transactionId))
      .set('lastErrorCode', errorCode)
      .set('lastErrorMessage', errorMessage.slice(0, 2000))
      .set('updatedAtMs', nowMs)
      .set('ttl', this.#ttl(nowMs))
      .remove('state', 'claimId', 'claimedAtMs');
    return this.#update({
      Key: this.#key(transactionId, CALL_SK),
      x,
      condition: this.#claimHeld(x, claimId),
    });
  }

  /**
   * Records the outcome of a metadata write (the first or a retry): written (the call leaves the due index), or
   * failed again (retried at `retryAtMs`, or given up when `retryAtMs` is absent).
   */
  async recordMetadataAttempt(
    transactionId: string,
    outcome:
      { written: true } | { written: false; retryAtMs?: number; code: string; message: string },
    nowMs: number,
  ): Promise<void> {
    const x = this.#touched(nowMs).add('metadataAttempts', 1);
    if (outcome.written) {
      x.remove('metadataPending', 'dueAtMs', 'dueShard', 'lastErrorCode', 'lastErrorMessage');
    } else {
      x.set('lastErrorCode', outcome.code).set('lastErrorMessage', outcome.message.slice(0, 2000));
      if (outcome.retryAtMs === undefined) {
        x.set('metadataFailureCode', outcome.code).remove('metadataPending', 'dueAtMs', 'dueShard');
      } else {
        x.set('dueAtMs', outcome.retryAtMs).set('dueShard', this.shardOf(transactionId));
      }
    }
    const condition = `${x.name('metadataPending')} = ${x.value(true)}`;
    await this.#update({ Key: this.#key(transactionId, CALL_SK), x, condition });
  }

  /** Takes a finished call out of the due index (a leftover entry). */
  async clearDue(transactionId: string): Promise<void> {
    const x = new ExpressionBuilder();
    x.remove('dueAtMs', 'dueShard');
    const state = x.name('state');
    const condition = `${state} IN (${x.value('CREATED')}, ${x.value('RECORDED')}, ${x.value('FAILED')})`;
    await this.#update({ Key: this.#key(transactionId, CALL_SK), x, condition });
  }

  /**
   * Applies a pipeline outcome to the call whose created pipeline has that ARN. Only a `CREATED`
   * call moves, so a late or repeated event never undoes a terminal state.
   * @returns whether the call changed.
   */
  async applyPipelineChange(
    transactionId: string,
    pipelineArn: string,
    change: PipelineChange,
    nowMs: number,
  ): Promise<boolean> {
    const x = this.#touched(nowMs);
    setPipelineChange(x, change, nowMs);
    const condition = `${x.name('pipelineArn')} = ${x.value(pipelineArn)} AND ${x.name('state')} = ${x.value('CREATED')}`;
    return this.#update({ Key: this.#key(transactionId, CALL_SK), x, condition });
  }

  /**
   * Keeps a pipeline outcome that arrived before the call was `CREATED` (the create is in flight,
   * or was released for a retry that will get the same pipeline back through the request token),
   * so {@link markCreated} applies it. A terminal change is never replaced by a later one; a
   * progress change replaces an earlier progress change. Repeating the same change is harmless.
   * @returns whether it was kept (`false`: no such call, the call is past `CREATING`, or a
   *   different terminal change is already kept).
   */
  async deferPipelineChange(
    transactionId: string,
    pipelineArn: string,
    change: PipelineChange,
    nowMs: number,
  ): Promise<boolean> {
    const x = this.#touched(nowMs)
      .set('earlyPipelineArn', pipelineArn)
      .set('earlyPipelineStatus', change.pipelineStatus);
    if (change.state === undefined) x.remove('earlyPipelineState');
    else x.set('earlyPipelineState', change.state);
    if (change.failureReason === undefined) x.remove('earlyPipelineFailureReason');
    else x.set('earlyPipelineFailureReason', change.failureReason.slice(0, 2000));
    const state = x.name('state');
    const terminal = x.name('earlyPipelineState');
    const condition = [
      `attribute_exists(${x.name('pk')})`,
      `(attribute_not_exists(${state}) OR ${state} = ${x.value('CREATING')})`,
      `(attribute_not_exists(${terminal}) OR (${x.name('earlyPipelineArn')} = ${x.value(pipelineArn)} AND ${x.name('earlyPipelineStatus')} = ${x.value(change.pipelineStatus)}))`,
    ].join(' AND ');
    return this.#update({ Key: this.#key(transactionId, CALL_SK), x, condition });
  }

  /** One page of calls whose due time has passed, from one due-index partition. */
  async queryDue(
    shard: string,
    nowMs: number,
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ transactionIds: string[]; nextKey?: Record<string, unknown> }> {
    const out = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: this.#index,
        KeyConditionExpression: '#s = :s AND #d <= :now',
        ExpressionAttributeNames: { '#s': 'dueShard', '#d': 'dueAtMs' },
        ExpressionAttributeValues: { ':s': shard, ':now': nowMs },
        Limit: limit,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    const transactionIds = (out.Items ?? [])
      .map((i) => i['pk'])
      .filter((pk): pk is string => typeof pk === 'string');
    return out.LastEvaluatedKey
      ? { transactionIds, nextKey: out.LastEvaluatedKey }
      : { transactionIds };
  }

  async #getCall(transactionId: string): Promise<CallItem | undefined> {
    const out = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: this.#key(transactionId, CALL_SK),
        ConsistentRead: true,
      }),
    );
    return out.Item === undefined ? undefined : parseCall(out.Item);
  }

  /** A new update of a call item that sets `updatedAtMs` and renews its `ttl`. */
  #touched(nowMs: number): ExpressionBuilder {
    return new ExpressionBuilder().set('updatedAtMs', nowMs).set('ttl', this.#ttl(nowMs));
  }

  #claimHeld(x: ExpressionBuilder, claimId: string): string {
    return `${x.name('claimId')} = ${x.value(claimId)} AND ${x.name('state')} = ${x.value('CREATING')}`;
  }

  #ttl(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.#ttlSeconds;
  }

  #key(pk: string, sk: string): { pk: string; sk: string } {
    return { pk, sk };
  }

  async #update(args: {
    Key: Record<string, string>;
    x: ExpressionBuilder;
    condition?: string;
  }): Promise<boolean> {
    const input: UpdateCommandInput = {
      TableName: this.#table,
      Key: args.Key,
      UpdateExpression: args.x.update,
      ...(args.condition ? { ConditionExpression: args.condition } : {}),
      ...args.x.attributes(),
    };
    try {
      await this.#client.send(new UpdateCommand(input));
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

import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CALL_SK, type CallItem, type LegItem, parseCall, parseLeg } from './call-items';
import { RecorderError, RecorderErrorCode } from './errors';
import type { LegRole, StreamEnded, StreamFailed, StreamStarted, StreamingEvent } from './events';
import {
  EARLY_CHANGE_ATTRIBUTES,
  type EarlyPipelineChange,
  earlyChangeOf,
  setPipelineChange,
} from './pipeline-change';
import { PipelineStatusStore } from './pipeline-status-store';
import { isConditionalFailure } from './table-items';
import { ExpressionBuilder } from './update-expression';

export { CALL_SK, type CallItem, type CallState, type LegItem, type LegStatus } from './call-items';
export type { PipelineChange } from './pipeline-change';
export { isConditionalFailure } from './table-items';
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
  /**
   * When the claim was not ours: the call item as this write last read it (absent when there is
   * none). It shows what the claim became: another claim, another pipeline, a `FAILED` mark, or
   * a claim released after a failed create.
   */
  current?: CallItem;
  /**
   * The pipeline status event the call item kept from before this write, now removed from it;
   * when it is about another pipeline, it is kept on that pipeline's record instead.
   */
  early?: EarlyPipelineChange;
  /** The outcome of this pipeline applied with the `CREATED` mark (from `early` or its record). */
  applied?: EarlyPipelineChange;
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
 * the pipeline claim, and a sparse due index the finalize sweep reads (the pipeline status writes
 * are {@link PipelineStatusStore}'s). Every write is an `UpdateItem` that is safe to repeat
 * (duplicates, retries, concurrent invocations).
 *
 * @example
 * ```ts
 * const store = new CallStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({})), tableName });
 * const { call, legs } = await store.load(transactionId);
 * ```
 */
export class CallStore extends PipelineStatusStore {
  readonly #index: string;
  readonly #consistent: boolean;
  readonly #shards: number;

  constructor(options: CallStoreOptions) {
    super(options);
    this.#index = options.dueIndexName ?? 'due-index';
    this.#consistent = options.consistentReads ?? true;
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
      .set('ttl', this.ttl(nowMs));
    if (ev.status === 'STARTED') {
      x.set('status', 'STARTED', 'ifAbsent').set('startedEventId', ev.eventId, 'ifAbsent');
    } else {
      x.set('status', 'ENDED').set('endTimeMs', ev.endTimeMs).set('endedEventId', ev.eventId);
    }
    await this.update({ Key: this.key(ev.transactionId, legSk(ev.role)), x });
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
      .set('ttl', this.ttl(nowMs));
    const condition = `attribute_not_exists(${x.name('status')}) OR ${x.name('status')} <> ${x.value('ENDED')}`;
    return this.update({ Key: this.key(ev.transactionId, legSk(ev.role)), x, condition });
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
      .set('ttl', this.ttl(nowMs))
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
    const out = await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: this.key(ev.transactionId, CALL_SK),
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
    return this.update({ Key: this.key(transactionId, CALL_SK), x, condition });
  }

  /** Reads the call and its legs (strongly consistent unless configured otherwise). */
  async load(transactionId: string): Promise<CallSnapshot> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
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
      .set('ttl', this.ttl(nowMs))
      .add('createAttempts', 1);
    const state = x.name('state');
    const condition = `attribute_exists(${x.name('pk')}) AND (attribute_not_exists(${state}) OR (${state} = ${x.value('CREATING')} AND ${x.name('claimedAtMs')} <= ${x.value(nowMs - leaseMs)}))`;
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(transactionId, CALL_SK),
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
      call ??= await this.getCall(transactionId);
      if (call?.state !== 'CREATING' || call.claimId !== claimId) {
        return call === undefined ? { ours: false } : { ours: false, current: call };
      }
      const early = earlyChangeOf(call);
      const applied = await this.changeToApply(transactionId, p.pipelineArn, early);
      if (early !== undefined && early.pipelineArn !== p.pipelineArn) {
        // Another pipeline's event (CLIENT_REQUEST_TOKEN=none and a takeover): kept on its record.
        await this.recordPipelineChange(transactionId, early, nowMs);
      }
      const x = this.#createdUpdate(transactionId, p, nowMs);
      if (applied) setPipelineChange(x, applied, nowMs);
      else x.set('pipelineStatus', p.pipelineStatus);
      if (applied?.state === undefined) x.set('state', 'CREATED');
      if (early !== undefined) x.remove(...EARLY_CHANGE_ATTRIBUTES);
      const seen =
        early === undefined
          ? `attribute_not_exists(${x.name('earlyPipelineArn')})`
          : this.earlySlotIs(x, early);
      const condition = `${this.#claimHeld(x, claimId)} AND ${seen}`;
      if (await this.update({ Key: this.key(transactionId, CALL_SK), x, condition })) {
        return { ours: true, ...(early ? { early } : {}), ...(applied ? { applied } : {}) };
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
      .set('ttl', this.ttl(nowMs))
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
      .set('ttl', this.ttl(nowMs))
      .remove('dueAtMs', 'dueShard');
    return this.update({
      Key: this.key(transactionId, CALL_SK),
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
      .set('ttl', this.ttl(nowMs))
      .remove('state', 'claimId', 'claimedAtMs');
    return this.update({
      Key: this.key(transactionId, CALL_SK),
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
    const x = this.touched(nowMs).add('metadataAttempts', 1);
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
    await this.update({ Key: this.key(transactionId, CALL_SK), x, condition });
  }

  /** Takes a finished call out of the due index (a leftover entry). */
  async clearDue(transactionId: string): Promise<void> {
    const x = new ExpressionBuilder();
    x.remove('dueAtMs', 'dueShard');
    const state = x.name('state');
    const condition = `${state} IN (${x.value('CREATED')}, ${x.value('RECORDED')}, ${x.value('FAILED')})`;
    await this.update({ Key: this.key(transactionId, CALL_SK), x, condition });
  }

  /** One page of calls whose due time has passed, from one due-index partition. */
  async queryDue(
    shard: string,
    nowMs: number,
    limit: number,
    startKey?: Record<string, unknown>,
  ): Promise<{ transactionIds: string[]; nextKey?: Record<string, unknown> }> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
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

  #claimHeld(x: ExpressionBuilder, claimId: string): string {
    return `${x.name('claimId')} = ${x.value(claimId)} AND ${x.name('state')} = ${x.value('CREATING')}`;
  }
}

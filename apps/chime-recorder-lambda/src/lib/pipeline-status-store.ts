import { CALL_SK } from './call-items';
import { RecorderError, RecorderErrorCode } from './errors';
import {
  type EarlyPipelineChange,
  earlyChangeOf,
  laterOutcome,
  type PipelineChange,
  parsePipelineRecord,
  pipelineSk,
  setPipelineChange,
} from './pipeline-change';
import { TableItems } from './table-items';
import type { ExpressionBuilder } from './update-expression';

/** Writes of the early-event slot tried before giving up (each retry means another new event). */
const DEFER_ATTEMPTS = 8;

/**
 * The call table's writes for `Media Insights State Change` events: applying an outcome to the
 * call whose pipeline it is about, keeping an outcome that arrived before the call was `CREATED`
 * (the early slot on the call item), and the records of pipelines that are not, or not yet, the
 * call's (`PIPELINE#<arn>` items), so that no event is dropped.
 */
export abstract class PipelineStatusStore extends TableItems {
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
    const x = this.touched(nowMs);
    setPipelineChange(x, change, nowMs);
    const condition = `${x.name('pipelineArn')} = ${x.value(pipelineArn)} AND ${x.name('state')} = ${x.value('CREATED')}`;
    return this.update({ Key: this.key(transactionId, CALL_SK), x, condition });
  }

  /**
   * Keeps a pipeline outcome that arrived before the call was `CREATED` (the create is in flight,
   * or was released for a retry) in the call item's early slot, so `markCreated` applies it. An
   * event of the pipeline already in the slot replaces a progress event and rewrites an identical
   * one; a terminal event is never replaced by a later event of its pipeline. An event of another
   * pipeline first moves the slot's event to that pipeline's record, then takes the slot; as
   * `markCreated` reads the record of the pipeline it created whenever the slot holds an event,
   * every event of that pipeline reaches the call.
   * @returns whether it was kept (`false`: no such call, the call is past `CREATING`, or a
   *   terminal event of this pipeline is already kept).
   * @throws RecorderError `CHIME_REC_ERR_STATE_CONFLICT` (retryable) when the slot kept changing.
   */
  async deferPipelineChange(
    transactionId: string,
    pipelineArn: string,
    change: PipelineChange,
    nowMs: number,
  ): Promise<boolean> {
    for (let attempt = 1; attempt <= DEFER_ATTEMPTS; attempt++) {
      if (await this.#defer(transactionId, pipelineArn, change, nowMs)) return true;
      const call = await this.getCall(transactionId);
      if (call === undefined || (call.state !== undefined && call.state !== 'CREATING')) {
        return false;
      }
      const kept = earlyChangeOf(call);
      if (kept === undefined) continue;
      if (kept.pipelineArn === pipelineArn) {
        if (kept.state !== undefined) return false;
        continue;
      }
      await this.recordPipelineChange(transactionId, kept, nowMs);
      if (await this.#defer(transactionId, pipelineArn, change, nowMs, kept)) return true;
    }
    throw new RecorderError(
      RecorderErrorCode.StateConflict,
      `the call item's early pipeline event kept changing while another was being kept (${DEFER_ATTEMPTS} attempts)`,
      { retryable: true },
    );
  }

  /**
   * Writes the early slot: when it is empty or holds an event of the same pipeline that may be
   * replaced, or, with `replacing`, when it still holds exactly that event.
   */
  async #defer(
    transactionId: string,
    pipelineArn: string,
    change: PipelineChange,
    nowMs: number,
    replacing?: EarlyPipelineChange,
  ): Promise<boolean> {
    const x = this.touched(nowMs)
      .set('earlyPipelineArn', pipelineArn)
      .set('earlyPipelineStatus', change.pipelineStatus);
    if (change.state === undefined) x.remove('earlyPipelineState');
    else x.set('earlyPipelineState', change.state);
    if (change.failureReason === undefined) x.remove('earlyPipelineFailureReason');
    else x.set('earlyPipelineFailureReason', change.failureReason.slice(0, 2000));
    const state = x.name('state');
    const arn = x.name('earlyPipelineArn');
    const slot =
      replacing === undefined
        ? `(attribute_not_exists(${arn}) OR (${arn} = ${x.value(pipelineArn)} AND (attribute_not_exists(${x.name('earlyPipelineState')}) OR ${x.name('earlyPipelineStatus')} = ${x.value(change.pipelineStatus)})))`
        : this.earlySlotIs(x, replacing);
    const condition = [
      `attribute_exists(${x.name('pk')})`,
      `(attribute_not_exists(${state}) OR ${state} = ${x.value('CREATING')})`,
      slot,
    ].join(' AND ');
    return this.update({ Key: this.key(transactionId, CALL_SK), x, condition });
  }

  /**
   * Records a pipeline's latest outcome on its own item (`sk = PIPELINE#<arn>`): a terminal
   * outcome is never replaced by a later, different one.
   * @returns whether it was written (`false`: a different terminal outcome is already recorded).
   */
  async recordPipelineChange(
    transactionId: string,
    change: EarlyPipelineChange,
    nowMs: number,
  ): Promise<boolean> {
    const x = this.touched(nowMs)
      .set('transactionId', transactionId)
      .set('pipelineArn', change.pipelineArn)
      .set('pipelineStatus', change.pipelineStatus);
    if (change.state === undefined) x.remove('state');
    else x.set('state', change.state);
    if (change.failureReason === undefined) x.remove('failureReason');
    else x.set('failureReason', change.failureReason.slice(0, 2000));
    const condition = `attribute_not_exists(${x.name('state')}) OR ${x.name('pipelineStatus')} = ${x.value(change.pipelineStatus)}`;
    return this.update({
      Key: this.key(transactionId, pipelineSk(change.pipelineArn)),
      x,
      condition,
    });
  }

  /**
   * Records an outcome of another pipeline of a call that is past `CREATING` (its item names a
   * different pipeline, or none): the call follows its own pipeline, and this one's outcome is
   * kept on its record.
   * @returns whether the event is about another pipeline of a known call (`false`: no such call,
   *   the call is still being created, or the event is about the call's own pipeline).
   */
  async recordOtherPipelineChange(
    transactionId: string,
    pipelineArn: string,
    change: PipelineChange,
    nowMs: number,
  ): Promise<boolean> {
    const call = await this.getCall(transactionId);
    if (
      call?.state === undefined ||
      call.state === 'CREATING' ||
      call.pipelineArn === pipelineArn
    ) {
      return false;
    }
    await this.recordPipelineChange(transactionId, { ...change, pipelineArn }, nowMs);
    return true;
  }

  /**
   * The outcome to apply with the `CREATED` mark of pipeline `createdArn`, given the early slot
   * the call item holds: the slot's event when it is about this pipeline, or the pipeline's record
   * (where an event moves when another pipeline's takes the slot), a terminal outcome first.
   */
  protected async changeToApply(
    transactionId: string,
    createdArn: string | undefined,
    early: EarlyPipelineChange | undefined,
  ): Promise<EarlyPipelineChange | undefined> {
    if (early === undefined || createdArn === undefined) return undefined;
    const slot = early.pipelineArn === createdArn ? early : undefined;
    if (slot?.state !== undefined) return slot;
    const item = await this.getItem(transactionId, pipelineSk(createdArn));
    return laterOutcome(slot, item === undefined ? undefined : parsePipelineRecord(item));
  }

  /** A condition that the early slot holds exactly `kept`. */
  protected earlySlotIs(x: ExpressionBuilder, kept: EarlyPipelineChange): string {
    const reason = x.name('earlyPipelineFailureReason');
    return [
      `${x.name('earlyPipelineArn')} = ${x.value(kept.pipelineArn)}`,
      `${x.name('earlyPipelineStatus')} = ${x.value(kept.pipelineStatus)}`,
      kept.failureReason === undefined
        ? `attribute_not_exists(${reason})`
        : `${reason} = ${x.value(kept.failureReason)}`,
    ].join(' AND ');
  }
}

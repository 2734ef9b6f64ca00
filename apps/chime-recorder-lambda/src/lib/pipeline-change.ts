import { z } from 'zod';
import { type CallItem, parseItem } from './call-items';
import { RecorderErrorCode } from './errors';
import type { PipelineStateEvent } from './events';
import type { ExpressionBuilder } from './update-expression';

/** How a `Media Insights State Change` moves the call. */
export interface PipelineChange {
  pipelineStatus: string;
  /** `RECORDED` or `FAILED` for terminal events; absent for progress. */
  state?: 'RECORDED' | 'FAILED';
  failureReason?: string;
}

/**
 * A change that arrived before the call was `CREATED` (the pipeline's ARN was not stored yet),
 * kept on the call item with the ARN it is about until the creating invocation applies it.
 */
export interface EarlyPipelineChange extends PipelineChange {
  pipelineArn: string;
}

/** The call-item attributes that hold an {@link EarlyPipelineChange}. */
export const EARLY_CHANGE_ATTRIBUTES = [
  'earlyPipelineArn',
  'earlyPipelineStatus',
  'earlyPipelineState',
  'earlyPipelineFailureReason',
] as const;

/**
 * How an event type moves the call; `undefined` for types the recorder does not act on.
 *
 * @example
 * ```ts
 * pipelineChangeOf(ev); // { pipelineStatus: 'Stopped', state: 'RECORDED' } for chime:MediaInsightsStopped
 * ```
 */
export function pipelineChangeOf(ev: PipelineStateEvent): PipelineChange | undefined {
  const reason = ev.failureReason === undefined ? {} : { failureReason: ev.failureReason };
  switch (ev.eventType) {
    case 'chime:MediaInsightsInProgress':
      return { pipelineStatus: 'InProgress' };
    case 'chime:MediaInsightsPaused':
      return { pipelineStatus: 'Paused' };
    case 'chime:MediaInsightsStopped':
      return { pipelineStatus: 'Stopped', state: 'RECORDED' };
    case 'chime:MediaInsightsTemporaryFailure':
      return { pipelineStatus: 'TemporaryFailure', failureReason: ev.failureReason ?? 'unknown' };
    case 'chime:MediaInsightsPermanentFailure':
      return { pipelineStatus: 'Failed', state: 'FAILED', ...reason };
    default:
      return undefined;
  }
}

/**
 * Adds the writes of a change to an update: `pipelineStatus`, and for a terminal change `state`
 * and `completedAtMs` (plus `failureCode`/`failureReason` when it failed); a temporary failure's
 * reason goes to `lastPipelineFailureReason`.
 */
export function setPipelineChange(x: ExpressionBuilder, change: PipelineChange, nowMs: number) {
  x.set('pipelineStatus', change.pipelineStatus);
  if (change.state !== undefined) x.set('state', change.state).set('completedAtMs', nowMs);
  if (change.state === 'FAILED') {
    x.set('failureCode', RecorderErrorCode.PipelineFailed).set(
      'failureReason',
      (change.failureReason ?? 'unknown').slice(0, 2000),
    );
  } else if (change.failureReason !== undefined) {
    x.set('lastPipelineFailureReason', change.failureReason.slice(0, 2000));
  }
}

/** The early change a call item holds, if any. */
export function earlyChangeOf(call: CallItem | undefined): EarlyPipelineChange | undefined {
  if (call?.earlyPipelineArn === undefined || call.earlyPipelineStatus === undefined) {
    return undefined;
  }
  return {
    pipelineArn: call.earlyPipelineArn,
    pipelineStatus: call.earlyPipelineStatus,
    ...(call.earlyPipelineState ? { state: call.earlyPipelineState } : {}),
    ...(call.earlyPipelineFailureReason !== undefined
      ? { failureReason: call.earlyPipelineFailureReason }
      : {}),
  };
}

/**
 * Sort key of the record of one pipeline's latest status, kept for a status event that is not
 * (or not yet) about the pipeline the call item names: another pipeline of the same call (only
 * possible with `CLIENT_REQUEST_TOKEN=none` and a claim takeover), or an early event moved out of
 * the call item to make room for another pipeline's.
 */
export const pipelineSk = (pipelineArn: string): string => `PIPELINE#${pipelineArn}`;

const pipelineRecordSchema = z.object({
  pipelineArn: z.string(),
  pipelineStatus: z.string(),
  state: z.enum(['RECORDED', 'FAILED']).optional(),
  failureReason: z.string().optional(),
});

/**
 * Parses a pipeline record item (`sk = PIPELINE#<arn>`).
 * @throws RecorderError `CHIME_REC_ERR_STATE_CORRUPT`
 */
export function parsePipelineRecord(item: unknown): EarlyPipelineChange {
  const r = parseItem(pipelineRecordSchema, item, 'pipeline record');
  return {
    pipelineArn: r.pipelineArn,
    pipelineStatus: r.pipelineStatus,
    ...(r.state ? { state: r.state } : {}),
    ...(r.failureReason !== undefined ? { failureReason: r.failureReason } : {}),
  };
}

/**
 * The one of two changes of the same pipeline to apply: a terminal change wins over a progress
 * change (a pipeline ends once); otherwise `newer`.
 */
export function laterOutcome<T extends PipelineChange>(
  newer: T | undefined,
  older: T | undefined,
): T | undefined {
  if (newer?.state === undefined && older?.state !== undefined) return older;
  return newer ?? older;
}

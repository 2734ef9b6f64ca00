import type { CallItem, CallSnapshot, LegItem } from './call-store';
import { RecorderError, RecorderErrorCode } from './errors';
import type { LegRole } from './events';

/** The settings {@link decide} and {@link planRecording} read. */
export interface FinalizeSettings {
  finalizePolicy: 'both-legs' | 'caller-ended';
  streamOrder: 'caller-first' | 'callee-first';
  marginMs: number;
  requireBothLegs: boolean;
  claimLeaseMs: number;
}

/** Why the pipeline is created now. */
export type FinalizeReason =
  'both-legs-ended' | 'caller-ended' | 'deadline' | 'retry' | 'claim-expired';

/** What to do with a call after an event or during the sweep. */
export type Decision =
  | { action: 'create'; reason: FinalizeReason }
  | { action: 'wait'; why: string }
  | { action: 'done'; state: NonNullable<CallItem['state']> };

/**
 * Decides whether a call's pipeline should be created now. Pure: no I/O, no clock.
 *
 * - Immediately, from an event: when the caller and the callee leg have both ended (a FAILED leg,
 *   or a call-level FAILED, counts as ended); with `finalizePolicy: 'caller-ended'` also when the
 *   caller leg has ended and every known leg has.
 * - From the sweep, once the call is due (`dueAtMs <= now`): with whatever legs exist. That covers
 *   one-leg calls, a missing ENDED, out-of-order arrival, retries after throttling and claims of
 *   crashed invocations.
 *
 * @example
 * ```ts
 * decide(await store.load(tx), Date.now(), 'event', settings); // { action: 'create', reason: 'both-legs-ended' }
 * ```
 */
export function decide(
  snapshot: CallSnapshot,
  nowMs: number,
  trigger: 'event' | 'sweep',
  s: FinalizeSettings,
): Decision {
  const call = snapshot.call;
  if (call === undefined) return { action: 'wait', why: 'no call item' };
  if (call.state === 'CREATED' || call.state === 'RECORDED' || call.state === 'FAILED') {
    return { action: 'done', state: call.state };
  }
  const claimExpired =
    call.state === 'CREATING' && (call.claimedAtMs ?? 0) <= nowMs - s.claimLeaseMs;
  if (call.state === 'CREATING' && !claimExpired) {
    return { action: 'wait', why: 'another invocation is creating the pipeline' };
  }
  const ended = (leg: LegItem | undefined): boolean =>
    leg !== undefined &&
    (leg.status === 'ENDED' || leg.status === 'FAILED' || call.streamingFailedAtMs !== undefined);
  const caller = snapshot.legs.find((l) => l.role === 'caller');
  const callee = snapshot.legs.find((l) => l.role === 'callee');
  const retrying = call.lastErrorCode !== undefined;

  if (ended(caller) && ended(callee)) {
    return {
      action: 'create',
      reason: claimExpired ? 'claim-expired' : retrying ? 'retry' : 'both-legs-ended',
    };
  }
  if (
    s.finalizePolicy === 'caller-ended' &&
    ended(caller) &&
    snapshot.legs.every((l) => ended(l))
  ) {
    return { action: 'create', reason: claimExpired ? 'claim-expired' : 'caller-ended' };
  }
  if (trigger === 'sweep' && call.dueAtMs !== undefined && call.dueAtMs <= nowMs) {
    return {
      action: 'create',
      reason: claimExpired ? 'claim-expired' : retrying ? 'retry' : 'deadline',
    };
  }
  return { action: 'wait', why: 'legs still streaming' };
}

/** The streams and time range of one recording. */
export interface RecordingPlan {
  /** Legs in `Streams` order. */
  legs: { role: LegRole; streamArn: string }[];
  /** Inclusive range, epoch ms, margins applied. */
  startMs: number;
  endMs: number;
  /** The call itself, without margins: earliest leg start and latest leg end (or `nowMs`). */
  callStartMs: number;
  callEndMs: number;
  /** Fewer than two streams, or a leg that never reported ENDED. */
  partial: boolean;
  /** No leg reported an end; the range ends at the time of the sweep. */
  openEnded: boolean;
}

/**
 * Chooses the streams and the time range of a call's recording: streams by role in the
 * configured order (never by position), start = earliest leg start − margin, end = latest leg
 * end (or failure time) + margin, in whole milliseconds. With no end at all (a call whose ENDED
 * never came), the range ends at `nowMs`.
 *
 * @example
 * ```ts
 * planRecording(snapshot, Date.now(), settings).legs.map((l) => l.role); // ['caller', 'callee']
 * ```
 * @throws RecorderError `CHIME_REC_ERR_NO_STREAMS` or `CHIME_REC_ERR_SINGLE_LEG`.
 */
export function planRecording(
  snapshot: CallSnapshot,
  nowMs: number,
  s: FinalizeSettings,
): RecordingPlan {
  const order: LegRole[] =
    s.streamOrder === 'caller-first' ? ['caller', 'callee'] : ['callee', 'caller'];
  const legs = order
    .map((role) => snapshot.legs.find((l) => l.role === role))
    .filter(
      (l): l is LegItem & { streamArn: string; startTimeMs: number } =>
        l !== undefined && l.streamArn !== undefined && l.startTimeMs !== undefined,
    );
  if (legs.length === 0) {
    throw new RecorderError(
      RecorderErrorCode.NoStreams,
      'no leg of the call reported a stream (no STARTED or ENDED event was stored)',
    );
  }
  if (s.requireBothLegs && legs.length < 2) {
    throw new RecorderError(
      RecorderErrorCode.SingleLeg,
      `only the ${legs[0]?.role} leg reported a stream and REQUIRE_BOTH_LEGS is true`,
    );
  }
  const starts = legs.map((l) => l.startTimeMs);
  const ends: number[] = [];
  for (const l of legs) {
    if (l.endTimeMs !== undefined) ends.push(l.endTimeMs);
    if (l.failedAtMs !== undefined) ends.push(l.failedAtMs);
  }
  if (snapshot.call?.streamingFailedAtMs !== undefined)
    ends.push(snapshot.call.streamingFailedAtMs);
  const openEnded = ends.length === 0;
  const callStartMs = Math.min(...starts);
  const callEndMs = Math.max(callStartMs, openEnded ? nowMs : Math.max(...ends));
  const startMs = callStartMs - s.marginMs;
  let endMs = (openEnded ? nowMs : Math.max(...ends)) + s.marginMs;
  // A failure reported before the stream started (clock skew) must not give an empty range.
  if (endMs <= startMs) endMs = startMs + 1;
  return {
    legs: legs.map((l) => ({ role: l.role, streamArn: l.streamArn })),
    startMs,
    endMs,
    callStartMs,
    callEndMs,
    partial: legs.length < 2 || legs.some((l) => l.status !== 'ENDED'),
    openEnded,
  };
}

import type { CallItem, CallSnapshot, LegItem } from '../src/lib/call-store';
import { decide, planRecording, type FinalizeSettings } from '../src/lib/finalize';

const s: FinalizeSettings = {
  finalizePolicy: 'both-legs',
  streamOrder: 'caller-first',
  marginMs: 1000,
  requireBothLegs: false,
  claimLeaseMs: 300_000,
};
const NOW = 1_700_000_000_000;

function call(extra: Partial<CallItem> = {}): CallItem {
  return {
    pk: 'tx',
    sk: 'CALL',
    transactionId: 'tx',
    callId: 'c',
    voiceConnectorId: 'vc',
    firstSeenAtMs: NOW - 10_000,
    updatedAtMs: NOW,
    ...extra,
  };
}
function leg(role: 'caller' | 'callee', extra: Partial<LegItem> = {}): LegItem {
  return {
    pk: 'tx',
    sk: `LEG#${role}`,
    role,
    status: 'STARTED',
    streamArn: `arn:${role}`,
    startTimeMs: role === 'caller' ? 2_000 : 1_000,
    ...extra,
  };
}
const snap = (c: CallItem | undefined, ...legs: LegItem[]): CallSnapshot =>
  c ? { call: c, legs } : { legs };

describe('decide', () => {
  it('creates when both legs have ended', () => {
    expect(
      decide(
        snap(call(), leg('caller', { status: 'ENDED' }), leg('callee', { status: 'FAILED' })),
        NOW,
        'event',
        s,
      ),
    ).toEqual({ action: 'create', reason: 'both-legs-ended' });
  });

  it('waits while a leg streams, even when the caller has ended', () => {
    expect(
      decide(snap(call(), leg('caller', { status: 'ENDED' }), leg('callee')), NOW, 'event', s),
    ).toEqual({
      action: 'wait',
      why: 'legs still streaming',
    });
  });

  it('waits without a call item, and reports finished calls as done', () => {
    expect(decide(snap(undefined), NOW, 'event', s)).toMatchObject({ action: 'wait' });
    expect(decide(snap(call({ state: 'RECORDED' })), NOW, 'event', s)).toEqual({
      action: 'done',
      state: 'RECORDED',
    });
  });

  it('leaves a live claim alone and takes over an expired one', () => {
    const ended = [leg('caller', { status: 'ENDED' }), leg('callee', { status: 'ENDED' })];
    expect(
      decide(snap(call({ state: 'CREATING', claimedAtMs: NOW - 1000 }), ...ended), NOW, 'event', s),
    ).toMatchObject({
      action: 'wait',
    });
    expect(
      decide(
        snap(call({ state: 'CREATING', claimedAtMs: NOW - 300_000 }), ...ended),
        NOW,
        'sweep',
        s,
      ),
    ).toEqual({ action: 'create', reason: 'claim-expired' });
  });

  it('creates from the sweep only once the call is due', () => {
    const c = snap(call({ dueAtMs: NOW }), leg('caller', { status: 'ENDED' }));
    expect(decide(c, NOW - 1, 'sweep', s)).toMatchObject({ action: 'wait' });
    expect(decide(c, NOW, 'event', s)).toMatchObject({ action: 'wait' });
    expect(decide(c, NOW, 'sweep', s)).toEqual({ action: 'create', reason: 'deadline' });
  });

  it('labels a create after a released claim as a retry', () => {
    const c = snap(call({ dueAtMs: NOW, lastErrorCode: 'X' }), leg('caller', { status: 'ENDED' }));
    expect(decide(c, NOW, 'sweep', s)).toEqual({ action: 'create', reason: 'retry' });
  });
});

describe('planRecording', () => {
  it('orders streams by role and widens the range by the margin', () => {
    const plan = planRecording(
      snap(
        call(),
        leg('callee', { status: 'ENDED', endTimeMs: 9_000 }),
        leg('caller', { status: 'ENDED', endTimeMs: 10_000 }),
      ),
      NOW,
      s,
    );
    expect(plan).toEqual({
      legs: [
        { role: 'caller', streamArn: 'arn:caller' },
        { role: 'callee', streamArn: 'arn:callee' },
      ],
      startMs: 0,
      endMs: 11_000,
      callStartMs: 1_000,
      callEndMs: 10_000,
      partial: false,
      openEnded: false,
    });
  });

  it('never produces an empty range', () => {
    const plan = planRecording(snap(call({ streamingFailedAtMs: 500 }), leg('caller')), NOW, {
      ...s,
      marginMs: 0,
    });
    expect(plan.endMs).toBe(plan.startMs + 1);
  });

  it('skips legs without a stream, and fails when none has one', () => {
    expect(() =>
      planRecording(
        snap(call(), leg('caller', { streamArn: undefined as unknown as string })),
        NOW,
        s,
      ),
    ).toThrow(expect.objectContaining({ code: 'CHIME_REC_ERR_NO_STREAMS' }));
  });
});

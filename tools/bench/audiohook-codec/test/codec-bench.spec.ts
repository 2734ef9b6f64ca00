import { parseClientMessage } from '@org/audiohook-protocol/codec';
import { verifySignatureSync } from '@org/audiohook-protocol/signature';
import { ManualClock } from '@org/audiohook-protocol/testing';
import {
  SIGNED_REQUEST,
  TYPICAL_CLIENT_MESSAGES,
  measure,
  runCodecBench,
} from '../src/codec-bench';

describe('bench-audiohook-codec', () => {
  it('runs every measurement at a tiny size', () => {
    const report = runCodecBench({ roundMs: 2, rounds: 1 });
    for (const rate of Object.values(report)) expect(rate.perSecond).toBeGreaterThan(0);
  });

  it('uses valid typical messages and a verifying signature vector', () => {
    expect(TYPICAL_CLIENT_MESSAGES.map((t) => parseClientMessage(t).type)).toEqual([
      'open',
      'ping',
      'ping',
      'ping',
      'paused',
      'resumed',
      'ping',
      'discarded',
      'update',
      'ping',
      'error',
      'close',
    ]);
    const verification = verifySignatureSync(SIGNED_REQUEST, {
      clock: new ManualClock(1641013201000),
      resolveSecret: () => 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=',
    });
    expect(verification.code).toBe('VERIFIED');
  });

  it('counts operations per second', () => {
    let calls = 0;
    const rate = measure('x', 3, 1, () => void calls++);
    expect(rate.perSecond).toBeGreaterThan(0);
    expect(calls).toBeGreaterThan(1);
  });
});

import type { InvocationDeadline } from '../../src/lib/deadline';
import { classifyEvent, type StreamingEvent } from '../../src/lib/events';
import type { RawEvent } from './harness';

/** An {@link InvocationDeadline} moved by hand, with no timer and no wall clock. */
export interface ManualDeadline extends InvocationDeadline {
  /** Leaves only `reserveMs` and aborts the signal, as the real deadline does at the reserve. */
  expire(): void;
}

/** A deadline with `remainingMs` left until {@link ManualDeadline.expire}. */
export function manualDeadline(remainingMs: number, reserveMs: number): ManualDeadline {
  const controller = new AbortController();
  let remaining = remainingMs;
  return {
    signal: controller.signal,
    remainingMs: () => remaining,
    dispose: () => undefined,
    expire() {
      remaining = reserveMs;
      controller.abort(new Error(`the invocation has less than ${reserveMs} ms left`));
    },
  };
}

/** The validated streaming event of a raw one, for calling the recorder directly. */
export function streamingEvent(raw: RawEvent): StreamingEvent {
  const c = classifyEvent(raw);
  if (c.kind !== 'streaming') throw new Error(`not a streaming event: ${c.kind}`);
  return c.event;
}

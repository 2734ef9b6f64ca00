// The range of delays a Node.js timer keeps. Node runs a delay above 2^31 - 1 ms, or one that is
// not a finite number, after 1 ms (with a TimeoutOverflowWarning): a 30-day shutdown deadline
// would end the process at once and a 30-day EMF interval would write a document every
// millisecond. Every duration the kit hands to a timer is checked against this range first.

import { ServiceKitError, ServiceKitErrorCode } from './errors';

/** The longest delay a Node.js timer keeps: 2^31 - 1 ms (about 24.8 days). */
export const MAX_TIMER_MS = 2_147_483_647;

/** Whether `value` is a number of milliseconds in `minMs`..{@link MAX_TIMER_MS}. */
export function isTimerMs(value: unknown, minMs = 0): value is number {
  return (
    typeof value === 'number' && Number.isFinite(value) && value >= minMs && value <= MAX_TIMER_MS
  );
}

/**
 * `value`, when it is a number of milliseconds in `minMs`..{@link MAX_TIMER_MS}; otherwise throws
 * a {@link ServiceKitError} (`code`, by default `SVC_ERR_DURATION`) naming `option`.
 *
 * @example
 * ```ts
 * const deadlineMs = checkTimerMs('installShutdown deadlineMs', options.deadlineMs ?? 30_000);
 * ```
 */
export function checkTimerMs(
  option: string,
  value: unknown,
  minMs = 0,
  code: ServiceKitErrorCode = ServiceKitErrorCode.Duration,
): number {
  if (isTimerMs(value, minMs)) return value;
  throw new ServiceKitError(
    code,
    `${option} must be a number of milliseconds from ${minMs} to ${MAX_TIMER_MS} (Node.js runs a longer timer after 1 ms); got ${String(value)}`,
    { details: { option, value: String(value) } },
  );
}

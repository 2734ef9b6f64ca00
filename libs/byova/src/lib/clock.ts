// Where the turn session reads the time: injectable so that tests drive it by hand.

/**
 * A source of wall-clock time in milliseconds since the UNIX epoch.
 *
 * @example
 * ```ts
 * let now = 0;
 * const clock: Clock = { now: () => now };
 * ```
 */
export interface Clock {
  now(): number;
}

/**
 * The real clock (`Date.now`).
 *
 * @example
 * ```ts
 * new CallerTurnSession({ ...options, clock: systemClock });
 * ```
 */
export const systemClock: Clock = { now: () => Date.now() };

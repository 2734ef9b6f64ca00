// setTimeout fires at once for delays above 2^31-1 ms (~24.8 days); long waits re-arm in steps.
const MAX_DELAY = 2_147_483_647;

/** A cancellable timer that fires at an absolute time, however far away. */
export interface AtTimer {
  cancel(): void;
}

/**
 * Runs `fn` at epoch-ms `at` (at once if that is in the past).
 *
 * @example
 * ```ts
 * const t = runAt(Date.now() + 23 * 3_600_000, renew);
 * t.cancel();
 * ```
 */
export function runAt(at: number, fn: () => void): AtTimer {
  let handle: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const delay = at - Date.now();
    if (delay <= 0) {
      handle = undefined;
      fn();
      return;
    }
    handle = setTimeout(arm, Math.min(delay, MAX_DELAY));
  };
  handle = setTimeout(arm, 0);
  return {
    cancel: () => {
      if (handle) clearTimeout(handle);
      handle = undefined;
    },
  };
}

// Waiting for a condition in tests: polls, and fails with a clear message after a deadline
// instead of spinning after the test has timed out (which would keep Jest from exiting).

/** Resolves with the first value of `check` that is not `undefined` (or `false`). */
export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

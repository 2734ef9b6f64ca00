/** Per-call options of the recorder's AWS calls. */
export interface CallOptions {
  /** Aborts the call (in flight, or between its retries) when the invocation runs out of time. */
  abortSignal?: AbortSignal | undefined;
}

/** The SDK's `send` options for {@link CallOptions}: the abort signal when there is one. */
export function sendOptions(options: CallOptions | undefined): { abortSignal?: AbortSignal } {
  return options?.abortSignal ? { abortSignal: options.abortSignal } : {};
}

/** The invocation's time budget as the recorder sees it. */
export interface InvocationDeadline {
  /**
   * Aborted once the invocation has only `reserveMs` left: media-pipelines and S3 calls in flight
   * then give up (a typed, retryable error), leaving the reserve to record the outcome in DynamoDB.
   */
  readonly signal: AbortSignal;
  /** Milliseconds left in the invocation (`Infinity` without a Lambda context). */
  remainingMs(): number;
  /** Clears the timer; call it when the invocation ends. */
  dispose(): void;
}

/**
 * A deadline from the Lambda context's `getRemainingTimeInMillis`: its signal is aborted when
 * `reserveMs` are left (at once when there is less already). Without a context it never aborts.
 *
 * @example
 * ```ts
 * const deadline = invocationDeadline(() => context.getRemainingTimeInMillis(), 10_000);
 * try { await recorder.sweep(deadline); } finally { deadline.dispose(); }
 * ```
 */
export function invocationDeadline(
  remainingMs: (() => number) | undefined,
  reserveMs: number,
): InvocationDeadline {
  const controller = new AbortController();
  if (remainingMs === undefined) {
    return {
      signal: controller.signal,
      remainingMs: () => Number.POSITIVE_INFINITY,
      dispose: () => undefined,
    };
  }
  const abort = () =>
    controller.abort(new Error(`the invocation has less than ${reserveMs} ms left`));
  const untilReserve = remainingMs() - reserveMs;
  let timer: NodeJS.Timeout | undefined;
  if (untilReserve <= 0) abort();
  else {
    timer = setTimeout(abort, untilReserve);
    timer.unref();
  }
  return {
    signal: controller.signal,
    remainingMs,
    dispose: () => clearTimeout(timer),
  };
}

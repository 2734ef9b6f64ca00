import { clip, CrestaError, CrestaErrorCode } from './errors';

/** Largest delay Node's timers take (2^31 − 1 ms, about 24.8 days); longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2_147_483_647;

/** `ms` as a timer can wait it: 0 to {@link MAX_TIMER_MS}, the longest for anything not finite. */
export function clampTimerMs(ms: number): number {
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_TIMER_MS) : MAX_TIMER_MS;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const UPSTREAM_FORM = /^(\d+)(ms|s|m|h)$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * Parses a duration such as `100ms`, `10s`, `1m` or `2h` into milliseconds.
 *
 * The upstream TypeScript and Python Lambdas accept only one integer and one unit; the Go Lambda
 * accepts Go duration strings. This parser accepts the upstream form and, in addition, decimal
 * values and compound forms such as `1.5s` and `1m30s` (units `ms`, `s`, `m`, `h`), so values
 * written for any of the three implementations keep working. A bare number is rejected because
 * its unit would be a guess. A duration longer than {@link MAX_TIMER_MS} (about 24.8 days) is
 * rejected: no setting of this library needs one, and a timer of that length would fire at once.
 *
 * @throws {@link CrestaError} with code {@link CrestaErrorCode.InvalidOptions} when the text is not
 * a duration or is longer than {@link MAX_TIMER_MS}.
 * @example
 * ```ts
 * parseDuration('100ms'); // 100
 * parseDuration('1m30s'); // 90000
 * ```
 */
export function parseDuration(text: string): number {
  const value = text.trim();
  const simple = UPSTREAM_FORM.exec(value);
  if (simple)
    return withinLimit(Number(simple[1]) * (UNIT_MS[simple[2] as string] as number), text);
  let total = 0;
  let index = 0;
  PART.lastIndex = 0;
  while (index < value.length) {
    PART.lastIndex = index;
    const match = PART.exec(value);
    if (!match) break;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    index = PART.lastIndex;
  }
  if (value.length === 0 || index !== value.length) {
    throw new CrestaError(
      CrestaErrorCode.InvalidOptions,
      `invalid duration: "${clip(text)}" (expected a number and a unit ms, s, m or h, e.g. 100ms or 1m30s)`,
    );
  }
  return withinLimit(Math.round(total), text);
}

function withinLimit(ms: number, text: string): number {
  if (!Number.isFinite(ms) || ms > MAX_TIMER_MS) {
    throw new CrestaError(
      CrestaErrorCode.InvalidOptions,
      `invalid duration: "${clip(text)}" (longer than the ${MAX_TIMER_MS}ms limit)`,
    );
  }
  return ms;
}

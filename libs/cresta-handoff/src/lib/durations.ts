import { CrestaError, CrestaErrorCode } from './errors';

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
 * its unit would be a guess.
 *
 * @throws {@link CrestaError} with code {@link CrestaErrorCode.InvalidOptions} when the text is not
 * a duration.
 * @example
 * ```ts
 * parseDuration('100ms'); // 100
 * parseDuration('1m30s'); // 90000
 * ```
 */
export function parseDuration(text: string): number {
  const value = text.trim();
  const simple = UPSTREAM_FORM.exec(value);
  if (simple) return Number(simple[1]) * (UNIT_MS[simple[2] as string] as number);
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
      `invalid duration: "${text}" (expected a number and a unit ms, s, m or h, e.g. 100ms or 1m30s)`,
    );
  }
  return Math.round(total);
}

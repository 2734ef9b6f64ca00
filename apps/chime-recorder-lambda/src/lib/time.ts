import { RecorderError, RecorderErrorCode } from './errors';

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** How to bring a sub-millisecond fraction to whole milliseconds. */
export type MsRounding = 'floor' | 'ceil';

/**
 * Parses an ISO-8601 date-time as UTC and returns epoch milliseconds.
 *
 * Chime sends `2023-04-05T22:14:02.238Z`; the documentation template shows whole seconds. A
 * timestamp without a zone is read as UTC, never in the process time zone (the 2023 sample's
 * naive-datetime bug). Fractions finer than a millisecond are rounded as asked: recording ranges
 * round their start down and their end up, so no fragment that starts inside the call is lost.
 *
 * @example
 * ```ts
 * parseUtcMs('2023-04-05T22:14:17.788Z'); // 1680732857788
 * parseUtcMs('2023-04-05T22:14:17.7881Z', 'ceil'); // 1680732857789
 * ```
 * @throws RecorderError `CHIME_REC_ERR_TIMESTAMP_INVALID` when the text is not a valid date-time.
 */
export function parseUtcMs(text: string, rounding: MsRounding = 'floor'): number {
  const m = ISO_DATE_TIME.exec(text);
  if (m === null) throw invalid(text);
  const [, y, mo, d, h, mi, s, fraction = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  let ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  // Date.UTC silently rolls 2023-02-30 over into March; a round trip catches that.
  if (
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    check.getUTCHours() !== hour ||
    check.getUTCMinutes() !== minute ||
    check.getUTCSeconds() !== second
  ) {
    throw invalid(text);
  }
  const padded = fraction.padEnd(3, '0');
  ms += Number(padded.slice(0, 3));
  if (rounding === 'ceil' && /[1-9]/.test(padded.slice(3))) ms += 1;
  if (zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
    if (Number(digits.slice(0, 2)) > 23 || Number(digits.slice(2, 4)) > 59) throw invalid(text);
    ms -= sign * offsetMin * 60_000;
  }
  return ms;
}

/** Whether `text` is a date-time {@link parseUtcMs} accepts. */
export function isUtcTimestamp(text: string): boolean {
  try {
    parseUtcMs(text);
    return true;
  } catch {
    return false;
  }
}

function invalid(text: string): RecorderError {
  return new RecorderError(
    RecorderErrorCode.TimestampInvalid,
    `not an ISO-8601 date-time: ${JSON.stringify(text.slice(0, 64))}`,
  );
}

// DTMF keys <-> DTMFDigits enum values. The enum numbers are not the digits (ZERO is 10, STAR
// 15, POUND 16), so every conversion goes through these tables.

import type {
  DTMFDigits,
  DTMFDigits__Output,
} from '../generated/com/cisco/wcc/ccai/media/v1/DTMFDigits';
import { ByovaError, ByovaErrorCode } from './errors';

/** A key of a telephone keypad (with the A-D column). */
export type DtmfKey =
  '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | 'A' | 'B' | 'C' | 'D' | '*' | '#';

/** A `DTMFDigits` value name other than `DTMF_EVENT_UNSPECIFIED`. */
export type DtmfDigitName = Exclude<DTMFDigits__Output, 'DTMF_EVENT_UNSPECIFIED'>;

const KEY_BY_NAME: Readonly<Record<DtmfDigitName, DtmfKey>> = Object.freeze({
  DTMF_DIGIT_ONE: '1',
  DTMF_DIGIT_TWO: '2',
  DTMF_DIGIT_THREE: '3',
  DTMF_DIGIT_FOUR: '4',
  DTMF_DIGIT_FIVE: '5',
  DTMF_DIGIT_SIX: '6',
  DTMF_DIGIT_SEVEN: '7',
  DTMF_DIGIT_EIGHT: '8',
  DTMF_DIGIT_NINE: '9',
  DTMF_DIGIT_ZERO: '0',
  DTMF_DIGIT_A: 'A',
  DTMF_DIGIT_B: 'B',
  DTMF_DIGIT_C: 'C',
  DTMF_DIGIT_D: 'D',
  DTMF_DIGIT_STAR: '*',
  DTMF_DIGIT_POUND: '#',
});

/** Enum numbers in proto order: index = number. */
const NAME_BY_NUMBER: readonly (DtmfDigitName | undefined)[] = [
  undefined,
  'DTMF_DIGIT_ONE',
  'DTMF_DIGIT_TWO',
  'DTMF_DIGIT_THREE',
  'DTMF_DIGIT_FOUR',
  'DTMF_DIGIT_FIVE',
  'DTMF_DIGIT_SIX',
  'DTMF_DIGIT_SEVEN',
  'DTMF_DIGIT_EIGHT',
  'DTMF_DIGIT_NINE',
  'DTMF_DIGIT_ZERO',
  'DTMF_DIGIT_A',
  'DTMF_DIGIT_B',
  'DTMF_DIGIT_C',
  'DTMF_DIGIT_D',
  'DTMF_DIGIT_STAR',
  'DTMF_DIGIT_POUND',
];

const NAME_BY_KEY: ReadonlyMap<string, DtmfDigitName> = new Map(
  (Object.entries(KEY_BY_NAME) as [DtmfDigitName, DtmfKey][]).map(([name, key]) => [key, name]),
);

/**
 * The key of a `DTMFDigits` value, given as its name or its number.
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_DTMF` for `DTMF_EVENT_UNSPECIFIED` (0) or an unknown value.
 * @example
 * ```ts
 * dtmfDigitToKey('DTMF_DIGIT_ZERO'); // '0'
 * dtmfDigitToKey(16); // '#'
 * ```
 */
export function dtmfDigitToKey(digit: DTMFDigits): DtmfKey {
  const name = typeof digit === 'number' ? NAME_BY_NUMBER[digit] : digit;
  const key = name !== undefined ? KEY_BY_NAME[name as DtmfDigitName] : undefined;
  if (key === undefined) {
    throw new ByovaError(ByovaErrorCode.InvalidDtmf, `not a DTMF key: ${String(digit)}`);
  }
  return key;
}

/**
 * The `DTMFDigits` value name of a key (case-insensitive for A-D).
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_DTMF` for anything that is not one keypad character.
 * @example
 * ```ts
 * keyToDtmfDigit('*'); // 'DTMF_DIGIT_STAR'
 * ```
 */
export function keyToDtmfDigit(key: string): DtmfDigitName {
  const name = NAME_BY_KEY.get(key.toUpperCase());
  if (name === undefined) {
    throw new ByovaError(ByovaErrorCode.InvalidDtmf, `not a DTMF key: ${JSON.stringify(key)}`);
  }
  return name;
}

/**
 * The enum number of a `DTMFDigits` value name.
 *
 * @example
 * ```ts
 * dtmfDigitNumber('DTMF_DIGIT_ZERO'); // 10
 * ```
 */
export function dtmfDigitNumber(name: DtmfDigitName): number {
  return NAME_BY_NUMBER.indexOf(name);
}

/** Options of {@link dtmfEventsToString}. */
export interface DtmfEventsToStringOptions {
  /**
   * Drop one trailing key equal to this terminator (WxCC may or may not include the terminator in
   * `dtmf_events`; dropping it is right either way). `undefined` keeps every key.
   * @default undefined
   */
  readonly stripTerminator?: DtmfKey | undefined;
}

/**
 * The keys of a DTMF entry as text, in the order pressed.
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_DTMF` if an event is not a key.
 * @example
 * ```ts
 * dtmfEventsToString(['DTMF_DIGIT_ONE', 'DTMF_DIGIT_ZERO', 'DTMF_DIGIT_POUND'], { stripTerminator: '#' }); // '10'
 * ```
 */
export function dtmfEventsToString(
  events: readonly DTMFDigits[],
  options: DtmfEventsToStringOptions = {},
): string {
  let text = events.map(dtmfDigitToKey).join('');
  if (options.stripTerminator !== undefined && text.endsWith(options.stripTerminator)) {
    text = text.slice(0, -1);
  }
  return text;
}

/**
 * The `dtmf_events` of a keypad string (e.g. for a simulator).
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_DTMF` for a character that is not a key.
 * @example
 * ```ts
 * stringToDtmfEvents('0#'); // ['DTMF_DIGIT_ZERO', 'DTMF_DIGIT_POUND']
 * ```
 */
export function stringToDtmfEvents(keys: string): DtmfDigitName[] {
  return [...keys].map(keyToDtmfDigit);
}

// Original file: proto/byova_common.proto

/**
 * DTMF keys. Note that DTMF_DIGIT_ZERO is 10: never turn a key into text with its number.
 */
export const DTMFDigits = {
  DTMF_EVENT_UNSPECIFIED: 'DTMF_EVENT_UNSPECIFIED',
  DTMF_DIGIT_ONE: 'DTMF_DIGIT_ONE',
  DTMF_DIGIT_TWO: 'DTMF_DIGIT_TWO',
  DTMF_DIGIT_THREE: 'DTMF_DIGIT_THREE',
  DTMF_DIGIT_FOUR: 'DTMF_DIGIT_FOUR',
  DTMF_DIGIT_FIVE: 'DTMF_DIGIT_FIVE',
  DTMF_DIGIT_SIX: 'DTMF_DIGIT_SIX',
  DTMF_DIGIT_SEVEN: 'DTMF_DIGIT_SEVEN',
  DTMF_DIGIT_EIGHT: 'DTMF_DIGIT_EIGHT',
  DTMF_DIGIT_NINE: 'DTMF_DIGIT_NINE',
  DTMF_DIGIT_ZERO: 'DTMF_DIGIT_ZERO',
  DTMF_DIGIT_A: 'DTMF_DIGIT_A',
  DTMF_DIGIT_B: 'DTMF_DIGIT_B',
  DTMF_DIGIT_C: 'DTMF_DIGIT_C',
  DTMF_DIGIT_D: 'DTMF_DIGIT_D',
  DTMF_DIGIT_STAR: 'DTMF_DIGIT_STAR',
  DTMF_DIGIT_POUND: 'DTMF_DIGIT_POUND',
} as const;

/**
 * DTMF keys. Note that DTMF_DIGIT_ZERO is 10: never turn a key into text with its number.
 */
export type DTMFDigits =
  | 'DTMF_EVENT_UNSPECIFIED'
  | 0
  | 'DTMF_DIGIT_ONE'
  | 1
  | 'DTMF_DIGIT_TWO'
  | 2
  | 'DTMF_DIGIT_THREE'
  | 3
  | 'DTMF_DIGIT_FOUR'
  | 4
  | 'DTMF_DIGIT_FIVE'
  | 5
  | 'DTMF_DIGIT_SIX'
  | 6
  | 'DTMF_DIGIT_SEVEN'
  | 7
  | 'DTMF_DIGIT_EIGHT'
  | 8
  | 'DTMF_DIGIT_NINE'
  | 9
  | 'DTMF_DIGIT_ZERO'
  | 10
  | 'DTMF_DIGIT_A'
  | 11
  | 'DTMF_DIGIT_B'
  | 12
  | 'DTMF_DIGIT_C'
  | 13
  | 'DTMF_DIGIT_D'
  | 14
  | 'DTMF_DIGIT_STAR'
  | 15
  | 'DTMF_DIGIT_POUND'
  | 16

/**
 * DTMF keys. Note that DTMF_DIGIT_ZERO is 10: never turn a key into text with its number.
 */
export type DTMFDigits__Output = typeof DTMFDigits[keyof typeof DTMFDigits]

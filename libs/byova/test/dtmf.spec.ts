import {
  ByovaError,
  dtmfDigitNumber,
  dtmfDigitToKey,
  dtmfEventsToString,
  keyToDtmfDigit,
  stringToDtmfEvents,
} from '../src';

describe('DTMF mapping', () => {
  it.each([
    ['DTMF_DIGIT_ONE', 1, '1'],
    ['DTMF_DIGIT_NINE', 9, '9'],
    ['DTMF_DIGIT_ZERO', 10, '0'],
    ['DTMF_DIGIT_A', 11, 'A'],
    ['DTMF_DIGIT_D', 14, 'D'],
    ['DTMF_DIGIT_STAR', 15, '*'],
    ['DTMF_DIGIT_POUND', 16, '#'],
  ] as const)('maps %s (number %i) to the key %s', (name, number, key) => {
    expect(dtmfDigitToKey(name)).toBe(key);
    expect(dtmfDigitToKey(number)).toBe(key);
    expect(keyToDtmfDigit(key)).toBe(name);
    expect(dtmfDigitNumber(name)).toBe(number);
  });

  it('rejects DTMF_EVENT_UNSPECIFIED and unknown numbers with BYOVA_ERR_INVALID_DTMF', () => {
    for (const bad of ['DTMF_EVENT_UNSPECIFIED', 0, 17] as Parameters<typeof dtmfDigitToKey>[0][]) {
      expect(() => dtmfDigitToKey(bad)).toThrow(
        expect.objectContaining({ code: 'BYOVA_ERR_INVALID_DTMF' }) as ByovaError,
      );
    }
  });

  it('rejects characters that are not keys', () => {
    expect(() => keyToDtmfDigit('E')).toThrow(ByovaError);
    expect(() => stringToDtmfEvents('12x')).toThrow(/not a DTMF key: "x"/);
  });

  it('accepts lower-case a-d', () => {
    expect(keyToDtmfDigit('b')).toBe('DTMF_DIGIT_B');
  });

  it('turns an entry into text with the right characters, not the enum numbers', () => {
    expect(dtmfEventsToString(['DTMF_DIGIT_ONE', 'DTMF_DIGIT_ZERO', 'DTMF_DIGIT_STAR'])).toBe(
      '10*',
    );
    expect(dtmfEventsToString([])).toBe('');
  });

  it('drops one trailing terminator when asked', () => {
    const events = stringToDtmfEvents('12##');
    expect(dtmfEventsToString(events, { stripTerminator: '#' })).toBe('12#');
    expect(dtmfEventsToString(stringToDtmfEvents('12'), { stripTerminator: '#' })).toBe('12');
  });
});

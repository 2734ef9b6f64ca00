import { RecorderErrorCode } from '../src/lib/errors';
import { isUtcTimestamp, parseUtcMs } from '../src/lib/time';

describe('parseUtcMs', () => {
  it('reads Chime timestamps with milliseconds and Z as UTC', () => {
    expect(parseUtcMs('2023-04-05T22:14:02.238Z')).toBe(1680732842238);
  });

  it('reads whole seconds, as the documentation template shows them', () => {
    expect(parseUtcMs('2023-04-05T22:14:02Z')).toBe(1680732842000);
  });

  it('reads a timestamp without a zone as UTC, never in the process time zone', () => {
    expect(parseUtcMs('2023-04-05T22:14:02.238')).toBe(1680732842238);
  });

  it('applies numeric offsets', () => {
    expect(parseUtcMs('2023-04-05T18:14:02.238-04:00')).toBe(1680732842238);
    expect(parseUtcMs('2023-04-06T03:44:02.238+0530')).toBe(1680732842238);
  });

  it('rounds a sub-millisecond fraction down for starts and up for ends', () => {
    expect(parseUtcMs('2023-04-05T22:14:17.788001Z', 'floor')).toBe(1680732857788);
    expect(parseUtcMs('2023-04-05T22:14:17.788001Z', 'ceil')).toBe(1680732857789);
    expect(parseUtcMs('2023-04-05T22:14:17.788000Z', 'ceil')).toBe(1680732857788);
    expect(parseUtcMs('2023-04-05T22:14:17.7Z')).toBe(1680732857700);
  });

  it.each([
    'yesterday',
    '2023-02-30T10:00:00Z',
    '2023-04-05 22:14:02Z',
    '2023-04-05T24:00:00Z',
    '2023-04-05T10:00:00+25:00',
    '',
  ])('rejects %j with CHIME_REC_ERR_TIMESTAMP_INVALID', (text) => {
    expect(() => parseUtcMs(text)).toThrow(
      expect.objectContaining({ code: RecorderErrorCode.TimestampInvalid }),
    );
    expect(isUtcTimestamp(text)).toBe(false);
  });

  it('accepts what it can parse', () => {
    expect(isUtcTimestamp('2023-04-05T22:14:02.238Z')).toBe(true);
  });
});

import { CrestaErrorCode, parseDuration } from '../src';

describe('parseDuration', () => {
  it.each([
    ['100ms', 100],
    ['10s', 10_000],
    ['1m', 60_000],
    ['2h', 7_200_000],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    [' 250ms ', 250],
  ])('parses %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '100', 'ms', '10 s', '5d', '-1s', '1s2'])('rejects "%s"', (text) => {
    let code: string | undefined;
    try {
      parseDuration(text);
    } catch (err) {
      code = (err as { code?: string }).code;
    }
    expect(code).toBe(CrestaErrorCode.InvalidOptions);
  });
});

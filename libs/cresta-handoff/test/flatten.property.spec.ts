import fc from 'fast-check';
import { CrestaError, CrestaErrorCode, flattenForConnect, parseDuration } from '../src';

const FLATTEN_CODES = new Set<string>([
  CrestaErrorCode.FlattenKeyCollision,
  CrestaErrorCode.FlattenUnsupported,
  CrestaErrorCode.ResponseTooLarge,
]);

describe('flattenForConnect properties', () => {
  it('gives a flat map of strings within the size limit, or a typed flatten error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          const flat = flattenForConnect(value, 'v', { maxBytes: 4096 });
          expect(Object.values(flat).every((v) => typeof v === 'string')).toBe(true);
          expect(Buffer.byteLength(JSON.stringify(flat))).toBeLessThanOrEqual(4096);
        } catch (err) {
          expect(err).toBeInstanceOf(CrestaError);
          expect(FLATTEN_CODES.has((err as CrestaError).code)).toBe(true);
        }
      }),
    );
  });

  it('keeps one key per leaf for objects whose keys contain no separator', () => {
    const key = fc.stringMatching(/^[a-z]{1,6}$/);
    const leaf = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null));
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.dictionary(key, tie('node'), { minKeys: 1, maxKeys: 4 }),
        fc.array(tie('node'), { minLength: 1, maxLength: 4 }),
      ),
    })).node;
    const countLeaves = (value: unknown): number =>
      value !== null && typeof value === 'object'
        ? Object.values(value as Record<string, unknown>).reduce<number>(
            (n, v) => n + countLeaves(v),
            0,
          )
        : 1;
    fc.assert(
      fc.property(fc.dictionary(key, tree, { minKeys: 1, maxKeys: 4 }), (value) => {
        const flat = flattenForConnect(value, undefined, { maxBytes: 0 });
        expect(Object.keys(flat)).toHaveLength(countLeaves(value));
      }),
    );
  });
});

describe('parseDuration properties', () => {
  it('reads back any whole number of milliseconds, seconds and minutes up to the 2^31 − 1 ms limit', () => {
    fc.assert(
      // 35,000 × 61 s stays under 2^31 − 1 ms, the longest duration parseDuration accepts.
      fc.property(fc.nat({ max: 35_000 }), (n) => {
        expect(parseDuration(`${n}ms`)).toBe(n);
        expect(parseDuration(`${n}s`)).toBe(n * 1000);
        expect(parseDuration(`${n}m${n}s`)).toBe(n * 61_000);
      }),
    );
  });
});

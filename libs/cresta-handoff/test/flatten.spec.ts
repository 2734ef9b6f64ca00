import { CrestaErrorCode, assertConnectSize, flattenForConnect } from '../src';
import { fixture } from './support/helpers';

const cases =
  fixture<{ name: string; input: unknown; output: Record<string, string> }[]>('flatten-cases.json');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('flattenForConnect', () => {
  it.each(cases)('$name', ({ input, output }) => {
    expect(flattenForConnect(input)).toEqual(output);
  });

  it('produces only string values', () => {
    const flat = flattenForConnect({ a: [1, { b: null, c: [true, 2.5] }] });
    expect(Object.values(flat).every((v) => typeof v === 'string')).toBe(true);
    expect(flat).toEqual({ a_0: '1', a_1_b: '', a_1_c_0: 'true', a_1_c_1: '2.5' });
  });

  it('prefixes keys, which gives the upstream handoff_* names', () => {
    expect(
      flattenForConnect({ conversation: 'c', transferTarget: 'pstn:PSTN1' }, 'handoff'),
    ).toEqual({
      handoff_conversation: 'c',
      handoff_transferTarget: 'pstn:PSTN1',
    });
  });

  it('names a top-level scalar or array with the prefix', () => {
    expect(flattenForConnect('x', 'value')).toEqual({ value: 'x' });
    expect(flattenForConnect(['a', 'b'], 'list')).toEqual({ list_0: 'a', list_1: 'b' });
  });

  it('refuses a top-level scalar without a prefix', () => {
    expect(codeOf(() => flattenForConnect(42))).toBe(CrestaErrorCode.FlattenUnsupported);
  });

  it('leaves null values out with nullValue omit', () => {
    expect(flattenForConnect({ a: null, b: 'x' }, undefined, { nullValue: 'omit' })).toEqual({
      b: 'x',
    });
  });

  it('uses a custom separator', () => {
    expect(flattenForConnect({ a: { b: 'c' } }, undefined, { separator: '.' })).toEqual({
      'a.b': 'c',
    });
  });

  it('fails on two values that map to the same key instead of dropping one', () => {
    expect(codeOf(() => flattenForConnect({ a_b: '1', a: { b: '2' } }))).toBe(
      CrestaErrorCode.FlattenKeyCollision,
    );
  });

  it('fails on nesting deeper than maxDepth', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 40; i += 1) deep = { d: deep };
    expect(codeOf(() => flattenForConnect(deep))).toBe(CrestaErrorCode.FlattenUnsupported);
    expect(Object.keys(flattenForConnect(deep, undefined, { maxDepth: 50 }))).toHaveLength(1);
  });

  it('keeps a __proto__ key from JSON as an ordinary key', () => {
    const flat = flattenForConnect(JSON.parse('{"__proto__":{"x":"1"}}'));
    expect(Object.keys(flat)).toEqual(['__proto___x']);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('fails when the result is larger than the Connect limit', () => {
    const big = { text: 'x'.repeat(40_000) };
    expect(codeOf(() => flattenForConnect(big))).toBe(CrestaErrorCode.ResponseTooLarge);
    expect(flattenForConnect(big, undefined, { maxBytes: 0 })['text']).toHaveLength(40_000);
  });
});

describe('assertConnectSize', () => {
  it('counts UTF-8 bytes, not characters', () => {
    const value = { t: '€'.repeat(100) };
    expect(() => assertConnectSize(value, 250)).toThrow('more than the 250-byte limit');
    expect(() => assertConnectSize(value, 400)).not.toThrow();
  });
});

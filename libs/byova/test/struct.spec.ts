import { fromStruct, toStruct } from '../src';

describe('Struct conversion', () => {
  it('round-trips nested JSON through the Struct message shape', () => {
    const value = {
      s: 'x',
      n: 1.5,
      b: true,
      z: null,
      list: [1, 'a', { deep: false }],
      obj: { k: 'v' },
    };
    const struct = toStruct(value);
    expect(struct.fields?.['s']).toEqual({ stringValue: 'x' });
    expect(struct.fields?.['z']).toEqual({ nullValue: 'NULL_VALUE' });
    // Decoded Values carry the oneof name in `kind`; emulate what proto-loader returns.
    const decode = (v: unknown): unknown =>
      JSON.parse(JSON.stringify(v), (_key, item: unknown) => {
        if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
          const kind = Object.keys(item).find((k) => k.endsWith('Value') && k !== 'values');
          if (kind !== undefined && Object.keys(item).length === 1) return { ...item, kind };
        }
        return item;
      });
    expect(fromStruct(decode(struct) as Parameters<typeof fromStruct>[0])).toEqual(value);
  });

  it('drops undefined members, as JSON does', () => {
    expect(toStruct({ a: undefined, b: 1 }).fields).toEqual({ b: { numberValue: 1 } });
  });

  it('rejects non-finite numbers, functions and cycles with BYOVA_ERR_INVALID_STRUCT', () => {
    expect(() => toStruct({ n: Number.NaN })).toThrow(/\$\.n is not a finite number/);
    expect(() => toStruct({ f: () => 1 })).toThrow(/\$\.f is a function/);
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(() => toStruct(cycle)).toThrow(
      expect.objectContaining({ code: 'BYOVA_ERR_INVALID_STRUCT' }),
    );
  });

  it('turns an absent Struct into an empty object', () => {
    expect(fromStruct(null)).toEqual({});
    expect(fromStruct(undefined)).toEqual({});
  });
});

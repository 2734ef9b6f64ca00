import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { quickEnvelope, quickPingParameters } from '../src/lib/quick-check';
import { schemasFor } from '../src/lib/schemas';
import { fixture } from './helpers';

const UUID = '6e1c4f3a-2b5d-4c8e-9f01-23456789abcd';

function catalogue(direction: 'client' | 'server'): Record<string, unknown>[] {
  return readdirSync(join(__dirname, 'fixtures/messages', direction)).map((file) =>
    fixture<Record<string, unknown>>(`messages/${direction}/${file}`),
  );
}

/** Values that are sometimes right for a field, often wrong in one of the ways zod checks. */
const anyValue = fc.oneof(
  fc.constantFrom('2', '1', '', UUID, UUID.toUpperCase(), 'abc', 'PT0S', 'PT1.5S', 'PT-1S'),
  fc.constantFrom(0, 1, -1, 1.5, -0, 2 ** 53, Number.MAX_SAFE_INTEGER, Number.NaN),
  fc.constantFrom(null, true, [], {}, { rtt: 'PT0.01S' }, { rtt: 5 }, { a: 1 }),
  fc.string({ maxLength: 12 }),
  fc.integer(),
);
/** Mostly a valid value, sometimes anything. */
const mostly = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: anyValue, weight: 1 });
const envelopeLike = fc.record(
  {
    version: mostly(fc.constant('2')),
    id: mostly(fc.oneof(fc.constant(UUID), fc.uuid())),
    type: mostly(fc.constantFrom('ping', 'open', 'x')),
    seq: mostly(fc.nat()),
    serverseq: mostly(fc.nat()),
    clientseq: mostly(fc.nat()),
    position: mostly(fc.constantFrom('PT0S', 'PT12.34S', 'PT.5S')),
    parameters: mostly(fc.dictionary(fc.string({ maxLength: 4 }), fc.nat())),
    extra: anyValue,
  },
  { requiredKeys: ['version', 'id', 'type', 'seq', 'serverseq', 'clientseq', 'position'] },
);

describe('quick checks before the schemas', () => {
  it.each([false, true])(
    'take every catalogue message (strict %s) and return what the schema returns',
    (strict) => {
      for (const direction of ['client', 'server'] as const) {
        const schema = schemasFor({ strict })[`${direction}Envelope`];
        for (const message of catalogue(direction)) {
          const quick = quickEnvelope(message, direction, strict);
          expect(quick).toBeDefined();
          expect(quick).toEqual(schema.parse(message));
        }
      }
    },
  );

  it.each([false, true])(
    'never accept an envelope the schema refuses, nor return something else (strict %s)',
    (strict) => {
      let taken = 0;
      fc.assert(
        fc.property(envelopeLike, fc.constantFrom('client', 'server'), (value, direction) => {
          const quick = quickEnvelope(value, direction as 'client' | 'server', strict);
          if (quick === undefined) return;
          taken++;
          const schema = schemasFor({ strict })[
            direction === 'client' ? 'clientEnvelope' : 'serverEnvelope'
          ];
          const zod = schema.safeParse(value);
          expect(zod.success).toBe(true);
          expect(quick).toEqual(zod.data);
        }),
        { numRuns: 3000 },
      );
      // The generator must reach the quick path often enough for the comparison to mean much.
      expect(taken).toBeGreaterThan(300);
    },
  );

  it('leaves a "__proto__" parameter key to the schema', () => {
    const value = JSON.parse(
      `{"version":"2","id":"${UUID}","type":"ping","seq":1,"serverseq":0,"position":"PT0S","parameters":{"__proto__":{"x":1}}}`,
    );
    expect(quickEnvelope(value, 'client', false)).toBeUndefined();
  });

  it('takes ping parameters that are {} or a valid rtt, and returns what the schema returns', () => {
    const schema = schemasFor({}).clientParameters.ping;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom({}, { rtt: 'PT0.012S' }, { rtt: 'PT1S', extra: 1 }, { rtt: 'x' }),
          fc.dictionary(fc.constantFrom('rtt', 'seq', 'a'), anyValue),
          anyValue,
        ),
        (parameters) => {
          const quick = quickPingParameters(parameters);
          if (quick === undefined) return;
          const zod = schema.safeParse(parameters);
          expect(zod.success).toBe(true);
          expect(quick).toEqual(zod.data);
        },
      ),
      { numRuns: 2000 },
    );
    expect(quickPingParameters({})).toEqual({});
    expect(quickPingParameters({ rtt: 'PT0.012S' })).toEqual({ rtt: 'PT0.012S' });
  });
});

// What the verifier does when its own dependencies or options are at fault: a secret lookup that
// fails refuses the request (it never rejects), options that would let any signature pass are
// refused, and hostile component lists cost linear time.

import {
  AudioHookErrorCode,
  verifySignature,
  verifySignatureSync,
  type SignatureVerification,
} from '../src';
import { A, at, inputWith, must, optionsA, withHeaders } from './signature-setup';

const signed = { url: A.url, headers: A.headers };
const unsigned = withHeaders({ Signature: undefined, 'Signature-Input': undefined });
const outage = new Error('secrets manager timeout');

function expectLookupRefusal(verification: SignatureVerification): void {
  expect(verification).toMatchObject({
    code: 'UNAVAILABLE',
    ok: false,
    reason: 'the secret of the API key could not be looked up',
    error: { code: AudioHookErrorCode.SecretLookup, cause: outage },
  });
}

describe('a secret lookup that fails', () => {
  it('refuses a signed request with UNAVAILABLE (AUDIOHOOK_ERR_SECRET_LOOKUP) instead of rejecting', async () => {
    const verification = await verifySignature(signed, {
      clock: at(A.created + 1),
      resolveSecret: () => Promise.reject(outage),
    });
    expectLookupRefusal(verification);
    expect(verification.keyid).toBe(A.headers['X-API-KEY']);
  });

  it('refuses an unsigned request the same way, also when the lookup throws synchronously', async () => {
    expectLookupRefusal(
      await verifySignature(unsigned, {
        clock: at(A.created + 1),
        resolveSecret: () => {
          throw outage;
        },
      }),
    );
  });

  it('refuses with UNAVAILABLE in the synchronous verifier', () => {
    const throwing = () => {
      throw outage;
    };
    expectLookupRefusal(
      verifySignatureSync(signed, optionsA(at(A.created + 1), { resolveSecret: throwing })),
    );
    expectLookupRefusal(
      verifySignatureSync(unsigned, optionsA(at(A.created + 1), { resolveSecret: throwing })),
    );
  });

  it('is never asked when the request is refused before it (an invalid header)', async () => {
    const lookup = jest.fn(() => Promise.reject(outage));
    const verification = await verifySignature(withHeaders({ Signature: undefined }), {
      clock: at(A.created + 1),
      resolveSecret: lookup,
    });
    expect(verification.code).toBe('INVALID');
    expect(lookup).not.toHaveBeenCalled();
  });
});

describe('verifier options', () => {
  const yearLater = at(A.created + 365 * 86_400);

  it.each([
    ['maxAgeSeconds', { maxAgeSeconds: Number.NaN }],
    ['maxAgeSeconds', { maxAgeSeconds: -1 }],
    ['maxAgeSeconds', { maxAgeSeconds: Number.POSITIVE_INFINITY }],
    ['clockSkewSeconds', { clockSkewSeconds: Number.NaN }],
    ['minNonceLength', { minNonceLength: Number.NaN }],
    ['minNonceLength', { minNonceLength: 2.5 }],
    ['timeMode', { timeMode: 'lenient' as 'tolerant' }],
    ['allowUnsigned', { allowUnsigned: 'sometimes' as 'never' }],
  ])(
    'refuse %s = %p with AUDIOHOOK_ERR_INVALID_ARGUMENT rather than verifying a year-old signature',
    async (name, extra) => {
      expect(() => verifySignatureSync(signed, optionsA(yearLater, extra))).toThrow(
        expect.objectContaining({
          code: AudioHookErrorCode.InvalidArgument,
          message: expect.stringContaining(name),
        }),
      );
      await expect(verifySignature(signed, optionsA(yearLater, extra))).rejects.toMatchObject({
        code: AudioHookErrorCode.InvalidArgument,
      });
    },
  );

  it('still take 0 for the skew, the age and the nonce length', () => {
    const exact = optionsA(at(A.created), {
      clockSkewSeconds: 0,
      maxAgeSeconds: 0,
      minNonceLength: 0,
    });
    expect(verifySignatureSync(signed, exact).code).toBe('VERIFIED');
  });
});

describe('covered component lists', () => {
  const headerNames = (n: number): string[] =>
    Array.from({ length: n }, (_, i) => `x-h${String(i).padStart(4, '0')}`);

  it('are INVALID beyond 64 components, before any is resolved', () => {
    const names = headerNames(65);
    const request = withHeaders({
      'Signature-Input': inputWith(';keyid="k"', `(${names.map((n) => `"${n}"`).join(' ')})`),
    });
    expect(verifySignatureSync(request, optionsA(at(A.created))).reason).toBe(
      'more than 64 covered components',
    );
  });

  it('still find a duplicate among 64', () => {
    const names = headerNames(63);
    const list = `(${[...names, names[10]].map((n) => `"${n}"`).join(' ')})`;
    const headers = Object.fromEntries(names.map((n) => [n, 'v']));
    const request = withHeaders({ ...headers, 'Signature-Input': inputWith(';keyid="k"', list) });
    expect(verifySignatureSync(request, optionsA(at(A.created)))).toMatchObject({
      code: 'INVALID',
      reason: `duplicate component "${names[10]}"`,
    });
  });
});

describe('created and expires spelled as decimals', () => {
  // RFC 8941 parses `1641013200.0` to the same JS number as `1641013200`; the signature base is
  // rebuilt from the number, so without a type check the altered header still verified.
  const input = must(A.headers['Signature-Input']);

  it.each([
    ['created', input.replace('created=1641013200', 'created=1641013200.0')],
    ['expires', input.replace('expires=3282026430', 'expires=3282026430.000')],
  ])('are INVALID (%s must be an Integer, spec §4.3)', (name, altered) => {
    expect(altered).not.toBe(input);
    const verification = verifySignatureSync(
      withHeaders({ 'Signature-Input': altered }),
      optionsA(at(A.created)),
    );
    expect(verification).toMatchObject({
      code: 'INVALID',
      reason: `invalid value of parameter "${name}"`,
    });
  });

  it('are not confused with the same text inside a string parameter', () => {
    const altered = input.replace(/nonce="[^"]*"/, 'nonce="abcdefghijklmnopqrstuv;created=1.5"');
    const verification = verifySignatureSync(
      withHeaders({ 'Signature-Input': altered }),
      optionsA(at(A.created)),
    );
    // The nonce is signed, so the MAC no longer matches: FAILED, not INVALID.
    expect(verification.code).toBe('FAILED');
  });

  it('still verify the canonical integer spelling', () => {
    expect(verifySignatureSync(signed, optionsA(at(A.created))).code).toBe('VERIFIED');
  });
});

import {
  createAudioHookHeaders,
  createSignatureBase,
  hmacSha256,
  decodeSecret,
  signRequest,
  verifySignature,
  verifySignatureSync,
  type SignedRequest,
} from '../src';
import { A, API_KEY, B, at, inputWith, must, optionsA, withHeaders } from './signature-setup';

describe('HTTP message signatures', () => {
  describe('vector A: AudioHook documentation example 1', () => {
    it('builds the byte-exact signature base and signature', () => {
      const signed = signRequest({
        requestTarget: A.url,
        authority: 'audiohook.example.com',
        headers: {
          'audiohook-organization-id': must(A.headers['Audiohook-Organization-Id']),
          'audiohook-session-id': must(A.headers['Audiohook-Session-Id']),
          'audiohook-correlation-id': must(A.headers['Audiohook-Correlation-Id']),
          'x-api-key': API_KEY,
        },
        keyid: API_KEY,
        secret: A.clientSecret,
        nonce: A.nonce,
        created: A.created,
        expiresIn: A.expires - A.created,
      });
      expect(signed.base).toBe(A.base.join('\n'));
      expect(signed.signatureInput).toBe(A.headers['Signature-Input']);
      expect(signed.signature).toBe(A.headers['Signature']);
    });

    it('verifies within the window (created - 3 .. created + 7 in reference mode)', () => {
      for (const t of [A.created - 3, A.created, A.created + 7]) {
        expect(
          verifySignatureSync(
            { url: A.url, headers: A.headers },
            optionsA(at(t), { timeMode: 'reference' }),
          ),
        ).toMatchObject({
          code: 'VERIFIED',
          ok: true,
          signed: true,
          label: 'sig1',
          keyid: API_KEY,
        });
      }
      expect(
        verifySignatureSync(
          { url: A.url, headers: A.headers },
          optionsA(at(A.created + 8), { timeMode: 'reference' }),
        ).code,
      ).toBe('EXPIRED');
    });

    it('does not depend on header order or header-name case', () => {
      const reversed = Object.fromEntries(
        Object.entries(A.headers)
          .reverse()
          .map(([k, v]) => [k.toLowerCase(), v]),
      );
      expect(
        verifySignatureSync({ url: A.url, headers: reversed }, optionsA(at(A.created))).code,
      ).toBe('VERIFIED');
    });

    it('verifies asynchronously with an async secret lookup', async () => {
      await expect(
        verifySignature(
          { url: A.url, headers: A.headers },
          { clock: at(A.created + 1), resolveSecret: async () => A.clientSecret },
        ),
      ).resolves.toMatchObject({ code: 'VERIFIED' });
    });

    it('round-trips through createAudioHookHeaders', () => {
      const headers = createAudioHookHeaders({
        organizationId: must(A.headers['Audiohook-Organization-Id']),
        sessionId: must(A.headers['Audiohook-Session-Id']),
        correlationId: must(A.headers['Audiohook-Correlation-Id']),
        apiKey: API_KEY,
        clientSecret: A.clientSecret,
        requestTarget: A.url,
        authority: 'audiohook.example.com',
        clock: at(A.created),
      });
      expect(headers['Signature-Input']).toMatch(
        /^sig1=\(.*\);keyid=".*";nonce="[A-Za-z0-9+/=]{24}";alg="hmac-sha256";created=1641013200;expires=1641013230$/,
      );
      expect(
        verifySignatureSync(
          { url: A.url, headers: { ...headers, Host: 'audiohook.example.com' } },
          optionsA(at(A.created + 5)),
        ).code,
      ).toBe('VERIFIED');
    });

    it('sends no signature headers without a client secret', () => {
      const headers = createAudioHookHeaders({
        organizationId: 'o',
        sessionId: 's',
        correlationId: 'c',
        apiKey: 'k',
        requestTarget: '/',
        authority: 'h',
      });
      expect(Object.keys(headers)).toEqual([
        'Audiohook-Organization-Id',
        'Audiohook-Session-Id',
        'Audiohook-Correlation-Id',
        'X-API-KEY',
      ]);
    });
  });

  describe('vector B: RFC HMAC-SHA256 example (B.2.5)', () => {
    it('builds the signature base and HMAC', () => {
      const { base } = createSignatureBase(
        [
          ['date', must(B.headers['Date'])],
          ['@authority', 'example.com'],
          ['content-type', 'application/json'],
        ],
        [
          ['created', B.created],
          ['keyid', 'test-shared-secret'],
        ],
      );
      expect(base).toBe(B.base.join('\n'));
      expect(Buffer.from(hmacSha256(decodeSecret(B.key), base)).toString('base64')).toBe(
        B.signature,
      );
    });

    it('verifies with the AudioHook-specific rules switched off', () => {
      const verification = verifySignatureSync(
        { url: B.url, headers: B.headers },
        {
          clock: at(B.created + 1),
          resolveSecret: (key) => (key === 'test-shared-secret' ? B.key : undefined),
          requiredComponents: [],
          requireNonce: false,
          requireKeyIdMatchesApiKey: false,
        },
      );
      expect(verification).toMatchObject({
        code: 'VERIFIED',
        label: 'sig-b25',
        keyid: 'test-shared-secret',
      });
    });

    it('gives PRECONDITION under the default AudioHook rules', () => {
      const verification = verifySignatureSync(
        { url: B.url, headers: B.headers },
        { clock: at(B.created), resolveSecret: () => B.key },
      );
      expect(verification.code).toBe('PRECONDITION');
    });
  });

  describe('result codes', () => {
    const clock = at(A.created + 1);
    const cases: [string, SignedRequest, string][] = [
      [
        'a tampered signature',
        withHeaders({ Signature: 'sig1=:AAAAyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:' }),
        'FAILED',
      ],
      ['a signature of the wrong length', withHeaders({ Signature: 'sig1=:AAAA:' }), 'FAILED'],
      ['a different request target', { url: '/api/v1/other', headers: A.headers }, 'FAILED'],
      [
        'neither header',
        withHeaders({ Signature: undefined, 'Signature-Input': undefined }),
        'UNSIGNED',
      ],
      ['only Signature-Input', withHeaders({ Signature: undefined }), 'INVALID'],
      ['only Signature', withHeaders({ 'Signature-Input': undefined }), 'INVALID'],
      ['an unparsable Signature-Input', withHeaders({ 'Signature-Input': 'sig1=(' }), 'INVALID'],
      ['an unparsable Signature', withHeaders({ Signature: 'sig1=:::' }), 'INVALID'],
      [
        'an input that is not an inner list',
        withHeaders({ 'Signature-Input': 'sig1="x"' }),
        'INVALID',
      ],
      [
        'a label missing from Signature',
        withHeaders({ Signature: 'sig2=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:' }),
        'INVALID',
      ],
      [
        'a signature that is not a byte sequence',
        withHeaders({ Signature: 'sig1="abc"' }),
        'INVALID',
      ],
      [
        'an unknown signature parameter (tag)',
        withHeaders({
          'Signature-Input': inputWith(
            ';keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";created=1641013200;tag="x"',
          ),
        }),
        'INVALID',
      ],
      [
        'a string created',
        withHeaders({
          'Signature-Input': inputWith(
            ';keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";created="1"',
          ),
        }),
        'INVALID',
      ],
      [
        'a negative expires',
        withHeaders({
          'Signature-Input': inputWith(
            ';keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";created=1641013200;expires=-1',
          ),
        }),
        'INVALID',
      ],
      [
        'a token keyid',
        withHeaders({
          'Signature-Input': inputWith(
            ';keyid=abc;nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";created=1641013200',
          ),
        }),
        'INVALID',
      ],
      [
        'a duplicate component',
        withHeaders({ 'Signature-Input': 'sig1=("@authority" "@authority");created=1641013200' }),
        'INVALID',
      ],
      [
        '@signature-params as a component',
        withHeaders({ 'Signature-Input': 'sig1=("@signature-params");created=1641013200' }),
        'INVALID',
      ],
      [
        'a token component',
        withHeaders({ 'Signature-Input': 'sig1=(date);created=1641013200' }),
        'INVALID',
      ],
      [
        'an unknown derived component',
        withHeaders({ 'Signature-Input': 'sig1=("@foo");created=1641013200' }),
        'INVALID',
      ],
      [
        'an unknown component parameter',
        withHeaders({ 'Signature-Input': 'sig1=("x-api-key";zzz);created=1641013200' }),
        'INVALID',
      ],
      [
        'a known component parameter (;sf)',
        withHeaders({ 'Signature-Input': 'sig1=("x-api-key";sf);created=1641013200' }),
        'UNSUPPORTED',
      ],
      [
        '@query-params',
        withHeaders({ 'Signature-Input': 'sig1=("@query-params");created=1641013200' }),
        'UNSUPPORTED',
      ],
      [
        'signature as a component',
        withHeaders({ 'Signature-Input': 'sig1=("signature");created=1641013200' }),
        'UNSUPPORTED',
      ],
      [
        'an unsupported alg',
        withHeaders({
          'Signature-Input': inputWith(
            ';keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";alg="rsa-pss-sha512";created=1641013200',
          ),
        }),
        'UNSUPPORTED',
      ],
      [
        'an unresolved derived component (@method)',
        withHeaders({ 'Signature-Input': 'sig1=("@method");created=1641013200' }),
        'PRECONDITION',
      ],
      [
        'a covered header that is absent',
        withHeaders({ 'Signature-Input': 'sig1=("date");created=1641013200' }),
        'PRECONDITION',
      ],
      [
        'fewer covered components',
        withHeaders({
          'Signature-Input':
            'sig1=("@authority");keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";created=1641013200',
        }),
        'PRECONDITION',
      ],
      [
        'a missing nonce',
        withHeaders({
          'Signature-Input': inputWith(
            ';keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";created=1641013200',
          ),
        }),
        'PRECONDITION',
      ],
      [
        'a short nonce',
        withHeaders({
          'Signature-Input': inputWith(
            ';keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="short";created=1641013200',
          ),
        }),
        'PRECONDITION',
      ],
      [
        'a missing keyid',
        withHeaders({
          'Signature-Input': inputWith(';nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";created=1641013200'),
        }),
        'PRECONDITION',
      ],
      [
        'a keyid that differs from X-API-KEY',
        withHeaders({ 'X-API-KEY': 'other' }),
        'PRECONDITION',
      ],
      ['a missing X-API-KEY', withHeaders({ 'X-API-KEY': undefined }), 'PRECONDITION'],
      [
        'a missing created',
        withHeaders({
          'Signature-Input': inputWith(
            ';keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="VGhpc0lzQVVuaXF1ZU5vbmNl"',
          ),
        }),
        'PRECONDITION',
      ],
      ['a missing Host', withHeaders({ Host: undefined }), 'PRECONDITION'],
    ];
    it.each(cases)('reports %s', (_name, request, code) => {
      expect(verifySignatureSync(request, optionsA(clock)).code).toBe(code);
    });

    it('fails an unknown API key without revealing it', () => {
      const verification = verifySignatureSync(
        { url: A.url, headers: A.headers },
        optionsA(clock, { resolveSecret: () => undefined }),
      );
      expect(verification).toMatchObject({ code: 'FAILED', reason: 'Signatures do not match' });
    });

    it('fails when the configured secret is not base64', () => {
      expect(
        verifySignatureSync(
          { url: A.url, headers: A.headers },
          optionsA(clock, { resolveSecret: () => '***' }),
        ).code,
      ).toBe('FAILED');
    });

    it('fails a signed request for a key that has no secret', () => {
      expect(
        verifySignatureSync(
          { url: A.url, headers: A.headers },
          optionsA(clock, { resolveSecret: () => '' }),
        ).code,
      ).toBe('FAILED');
    });
  });

  describe('unsigned requests', () => {
    const unsigned = withHeaders({ Signature: undefined, 'Signature-Input': undefined });
    it('accepts them for a known key without a secret', () => {
      for (const secret of ['', null, new Uint8Array(0)]) {
        expect(
          verifySignatureSync(unsigned, optionsA(at(0), { resolveSecret: () => secret })),
        ).toMatchObject({ code: 'VERIFIED', signed: false });
      }
    });
    it('rejects them for a key with a secret, an unknown key, or no key', () => {
      expect(verifySignatureSync(unsigned, optionsA(at(0))).code).toBe('UNSIGNED');
      expect(
        verifySignatureSync(unsigned, optionsA(at(0), { resolveSecret: () => undefined })).code,
      ).toBe('UNSIGNED');
      expect(
        verifySignatureSync(
          withHeaders({
            Signature: undefined,
            'Signature-Input': undefined,
            'X-API-KEY': undefined,
          }),
          optionsA(at(0)),
        ).code,
      ).toBe('UNSIGNED');
    });
    it('follows the never/always policies', () => {
      expect(
        verifySignatureSync(
          unsigned,
          optionsA(at(0), { resolveSecret: () => '', allowUnsigned: 'never' }),
        ).code,
      ).toBe('UNSIGNED');
      expect(verifySignatureSync(unsigned, optionsA(at(0), { allowUnsigned: 'always' })).code).toBe(
        'VERIFIED',
      );
    });
  });

  describe('time window', () => {
    function signedAt(created: number, expiresIn: number | null = 30): SignedRequest {
      const headers = createAudioHookHeaders({
        organizationId: 'd7934305-0972-4844-938e-9060eef73d05',
        sessionId: '30b0e395-84d3-4570-ac13-9a62d8f514c0',
        correlationId: 'e160e428-53e2-487c-977d-96989bf5c99d',
        apiKey: API_KEY,
        clientSecret: A.clientSecret,
        requestTarget: '/ws',
        authority: 'h.example',
        created,
        expiresIn,
      });
      return { url: '/ws', headers: { ...headers, host: 'h.example' } };
    }
    const T = 1_700_000_000;

    it('accepts a signature a few seconds old by default (unlike the reference)', () => {
      expect(verifySignatureSync(signedAt(T), optionsA(at(T + 9))).code).toBe('VERIFIED');
      expect(
        verifySignatureSync(signedAt(T), optionsA(at(T + 9), { timeMode: 'reference' })).code,
      ).toBe('EXPIRED');
    });
    it('rejects a signature from the future beyond the skew', () => {
      expect(verifySignatureSync(signedAt(T + 3), optionsA(at(T))).code).toBe('VERIFIED');
      expect(verifySignatureSync(signedAt(T + 4), optionsA(at(T))).code).toBe('PRECONDITION');
    });
    it('expires old signatures and honours expires', () => {
      expect(verifySignatureSync(signedAt(T), optionsA(at(T + 13))).code).toBe('VERIFIED');
      expect(verifySignatureSync(signedAt(T), optionsA(at(T + 14))).code).toBe('EXPIRED');
      expect(verifySignatureSync(signedAt(T, 1), optionsA(at(T + 5))).code).toBe('EXPIRED');
      expect(
        verifySignatureSync(signedAt(T, null), optionsA(at(T + 60), { maxAgeSeconds: 120 })).code,
      ).toBe('VERIFIED');
      expect(verifySignatureSync(signedAt(T), optionsA(at(T + 60))).code).toBe('EXPIRED');
    });
  });

  describe('signing errors', () => {
    it('rejects a secret that is not base64 and a missing covered header', () => {
      const base = { requestTarget: '/', authority: 'h', keyid: 'k', headers: {} };
      expect(() => signRequest({ ...base, secret: '!!!', components: [] })).toThrow(/base64/);
      expect(() => signRequest({ ...base, secret: 'AA==' })).toThrow(/no value/);
      expect(() => createSignatureBase([['x', 'v']], [['keyid', 'é']])).toThrow(/serialize/);
    });
    it('refuses a created or expiresIn no verifier accepts (not whole seconds ≥ 0)', () => {
      const base = { requestTarget: '/', authority: 'h', keyid: 'k', headers: {}, secret: 'AA==' };
      // Date.now() / 1000 without Math.floor would be signed as an RFC 8941 Decimal.
      for (const bad of [
        { created: 1641013200.5 },
        { created: -1 },
        { created: Number.NaN },
        { created: 1641013200, expiresIn: 0.5 },
        { created: 1641013200, expiresIn: -30 },
      ]) {
        expect(() => signRequest({ ...base, components: [], ...bad })).toThrow(
          expect.objectContaining({ code: 'AUDIOHOOK_ERR_SIGNATURE_BUILD' }),
        );
      }
      expect(signRequest({ ...base, components: [], created: 0, expiresIn: 0 }).base).toContain(
        'created=0;expires=0',
      );
    });

    it('accepts a raw-byte secret and joins repeated header values', () => {
      const signed = signRequest({
        requestTarget: '/',
        authority: 'h',
        keyid: 'k',
        headers: { a: ' one ' },
        components: ['a'],
        secret: new Uint8Array([1, 2, 3]),
        created: 1,
        expiresIn: null,
        nonce: 'n',
      });
      expect(signed.base).toBe(
        '"a": one\n"@signature-params": ("a");keyid="k";nonce="n";alg="hmac-sha256";created=1',
      );
      const verification = verifySignatureSync(
        {
          url: '/',
          headers: {
            a: ['one'],
            'signature-input': signed.signatureInput,
            signature: signed.signature,
          },
        },
        {
          clock: at(1),
          resolveSecret: () => new Uint8Array([1, 2, 3]),
          requiredComponents: ['a'],
          requireKeyIdMatchesApiKey: false,
          minNonceLength: 1,
        },
      );
      expect(verification.code).toBe('VERIFIED');
    });
  });
});

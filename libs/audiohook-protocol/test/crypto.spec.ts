// The signatures' cryptography on both paths: Node.js' crypto module (the fast path the rest of
// the suite uses) and Web Crypto, which browsers and workers get. The Web Crypto path is loaded
// here with the Node.js parts hidden (no `process.getBuiltinModule`, no `Buffer`), in a fresh
// module registry.

import * as signature from '../src/signature';
import { randomUuid } from '../src/lib/uuid';
import { A, API_KEY, B, at, optionsA } from './signature-setup';

type SignatureModule = typeof signature;

/** The signature entry point as a browser sees it. */
function loadWithoutNode(): SignatureModule {
  const runtime = globalThis as unknown as {
    process: { getBuiltinModule?: unknown };
    Buffer?: unknown;
  };
  const getBuiltinModule = runtime.process.getBuiltinModule;
  const buffer = runtime.Buffer;
  let loaded: SignatureModule | undefined;
  runtime.process.getBuiltinModule = undefined;
  runtime.Buffer = undefined;
  try {
    jest.isolateModules(() => {
      loaded = jest.requireActual<SignatureModule>('../src/signature');
    });
  } finally {
    runtime.process.getBuiltinModule = getBuiltinModule;
    runtime.Buffer = buffer;
  }
  if (loaded === undefined) throw new Error('not loaded');
  return loaded;
}

const web = loadWithoutNode();
const requestA = { url: A.url, headers: A.headers };

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

describe('signature cryptography', () => {
  it('uses Node.js crypto synchronously in Node.js', () => {
    expect(signature.hasSyncCrypto()).toBe(true);
    expect(web.hasSyncCrypto()).toBe(false);
  });

  it('computes the RFC HMAC vector the same way with Web Crypto and with Node.js', async () => {
    const base = B.base.join('\n');
    const key = web.decodeSecret(B.key);
    expect(hex(key)).toBe(hex(signature.decodeSecret(B.key)));
    const viaWeb = await web.hmacSha256Async(key, base);
    expect(hex(viaWeb)).toBe(hex(signature.hmacSha256(key, base)));
    expect(Buffer.from(viaWeb).toString('base64')).toBe(B.signature);
    expect(hex(await web.hmacSha256Async(new Uint8Array(0), 'x'))).toBe(
      hex(signature.hmacSha256(new Uint8Array(0), 'x')),
    );
  });

  it('refuses the synchronous functions without Node.js crypto, with a typed error', () => {
    expect(() => web.hmacSha256(new Uint8Array(1), 'x')).toThrow(
      expect.objectContaining({ code: 'AUDIOHOOK_ERR_CRYPTO_UNAVAILABLE' }),
    );
    expect(() => web.nonceKey('k', 'n')).toThrow(
      expect.objectContaining({ code: 'AUDIOHOOK_ERR_CRYPTO_UNAVAILABLE' }),
    );
    expect(() => web.verifySignatureSync(requestA, optionsA(at(A.created)))).toThrow(
      expect.objectContaining({ code: 'AUDIOHOOK_ERR_CRYPTO_UNAVAILABLE' }),
    );
  });

  it('verifies vector A and claims the same nonce key with Web Crypto', async () => {
    const claims: string[] = [];
    const verification = await web.verifySignature(requestA, {
      ...optionsA(at(A.created)),
      nonceStore: { claim: (key) => (claims.push(key), true) },
    });
    expect(verification.code).toBe('VERIFIED');
    expect(claims).toEqual([signature.nonceKey(API_KEY, A.nonce)]);
    const forged = { url: A.url, headers: { ...A.headers, 'X-API-KEY': 'other' } };
    expect((await web.verifySignature(forged, optionsA(at(A.created)))).ok).toBe(false);
  });

  it('signs with Web Crypto exactly as with Node.js', async () => {
    const options = {
      organizationId: 'd7934305-0972-4844-938e-9060eef73d05',
      sessionId: '30b0e395-84d3-4570-ac13-9a62d8f514c0',
      correlationId: 'e160e428-53e2-487c-977d-96989bf5c99d',
      apiKey: API_KEY,
      clientSecret: A.clientSecret,
      requestTarget: A.url,
      authority: 'audiohook.example.com',
      nonce: A.nonce,
      created: A.created,
      expiresIn: A.expires - A.created,
    };
    const viaWeb = await web.createAudioHookHeadersAsync(options);
    expect(viaWeb).toEqual(signature.createAudioHookHeaders(options));
    expect(viaWeb['Signature']).toBe(A.headers['Signature']);
    expect(await signature.createAudioHookHeadersAsync(options)).toEqual(viaWeb);
    const fresh = await web.signRequestAsync({
      requestTarget: '/',
      authority: 'h',
      headers: {},
      components: [],
      keyid: 'k',
      secret: 'AAAA',
    });
    expect(fresh.signatureInput).toMatch(/;nonce="[A-Za-z0-9+/=]{24}";/);
  });

  it('makes version-4 UUIDs, with crypto.randomUUID or (insecure browser contexts) without', () => {
    const check = (): void => {
      const ids = new Set(Array.from({ length: 100 }, () => randomUuid()));
      expect(ids.size).toBe(100);
      for (const id of ids) {
        expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      }
    };
    check();
    const webCrypto = globalThis.crypto;
    Object.defineProperty(webCrypto, 'randomUUID', { value: undefined, configurable: true });
    try {
      check();
    } finally {
      delete (webCrypto as { randomUUID?: unknown }).randomUUID;
    }
    expect(typeof globalThis.crypto.randomUUID).toBe('function');
  });
});

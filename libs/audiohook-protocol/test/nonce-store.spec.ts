// Replay protection: the in-process NonceCache and pluggable NonceStores.

import {
  AudioHookError,
  NonceCache,
  nonceKey,
  type NonceStore,
  verifySignature,
  verifySignatureSync,
} from '../src';
import { A, API_KEY, at, optionsA, withHeaders } from './signature-setup';

describe('replay protection', () => {
  describe('NonceCache', () => {
    it('rejects a replayed nonce while it is alive and accepts it after expiry', () => {
      const nonceCache = new NonceCache();
      const request = { url: A.url, headers: A.headers };
      expect(verifySignatureSync(request, optionsA(at(A.created), { nonceCache })).code).toBe(
        'VERIFIED',
      );
      expect(
        verifySignatureSync(request, optionsA(at(A.created + 1), { nonceCache })),
      ).toMatchObject({
        code: 'PRECONDITION',
        reason: '"nonce" was already used',
      });
      const key = nonceKey(API_KEY, A.nonce);
      expect(nonceCache.has(key, (A.created + 1) * 1000)).toBe(true);
      expect(nonceCache.has(key, (A.expires + 60) * 1000)).toBe(false);
    });
    it('keeps at most maxEntries nonces, evicting the oldest', () => {
      const cache = new NonceCache({ maxEntries: 2 });
      cache.add('a', 10_000, 0);
      cache.add('b', 10_000, 0);
      cache.add('c', 10_000, 0);
      expect(cache.size).toBe(2);
      expect(cache.has('a', 0)).toBe(false);
      expect(cache.has('c', 0)).toBe(true);
      cache.add('d', 20_000, 15_000);
      expect(cache.size).toBe(1);
    });
    it('claims a key once until it expires', () => {
      const cache = new NonceCache();
      expect(cache.claim('k', 1_000, 0)).toBe(true);
      expect(cache.claim('k', 2_000, 999)).toBe(false);
      expect(cache.claim('k', 3_000, 1_001)).toBe(true);
    });
    it('rejects a non-positive size', () => {
      expect(() => new NonceCache({ maxEntries: 0 })).toThrow(/maxEntries/);
    });
  });

  describe('NonceStore', () => {
    const request = { url: A.url, headers: A.headers };

    /** A store shared by several verifiers, recording every claim. */
    function sharedStore(): NonceStore & { claims: [string, number, number][] } {
      const cache = new NonceCache();
      const claims: [string, number, number][] = [];
      return {
        claims,
        claim: async (key, expiresAtMs, nowMs) => {
          claims.push([key, expiresAtMs, nowMs]);
          await Promise.resolve();
          return cache.claim(key, expiresAtMs, nowMs);
        },
      };
    }

    it('keys a claim by keyid and nonce, without revealing either', () => {
      const key = nonceKey(API_KEY, A.nonce);
      expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(key).not.toContain(API_KEY);
      expect(nonceKey('other-key', A.nonce)).not.toBe(key);
      expect(nonceKey('a:b', 'c')).not.toBe(nonceKey('a', 'b:c'));
    });

    it('claims the nonce of a valid signature once, with its lifetime', async () => {
      const store = sharedStore();
      const first = await verifySignature(request, {
        ...optionsA(at(A.created)),
        nonceStore: store,
      });
      expect(first.code).toBe('VERIFIED');
      // Kept until the signature would be too old anyway (created + max age 10 s + skew 3 s),
      // not until its far-away expires.
      expect(store.claims).toEqual([
        [nonceKey(API_KEY, A.nonce), (A.created + 13) * 1000, A.created * 1000],
      ]);
      expect(
        (await verifySignature(request, { ...optionsA(at(A.created + 14)), nonceStore: store }))
          .code,
      ).toBe('EXPIRED');
      const replay = await verifySignature(request, {
        ...optionsA(at(A.created + 1)),
        nonceStore: store,
      });
      expect(replay).toMatchObject({ code: 'PRECONDITION', reason: '"nonce" was already used' });
    });

    it('refuses a request replayed to another verifier sharing the store, even concurrently', async () => {
      const store = sharedStore();
      const results = await Promise.all(
        [0, 1, 2].map(() =>
          verifySignature(request, { ...optionsA(at(A.created)), nonceStore: store }),
        ),
      );
      expect(results.map((r) => r.code).sort()).toEqual([
        'PRECONDITION',
        'PRECONDITION',
        'VERIFIED',
      ]);
    });

    it('never claims for a signature that failed', async () => {
      const store = sharedStore();
      const forged = withHeaders({ Signature: `sig1=:${Buffer.alloc(32).toString('base64')}:` });
      expect(
        (await verifySignature(forged, { ...optionsA(at(A.created)), nonceStore: store })).code,
      ).toBe('FAILED');
      expect(
        (
          await verifySignature(request, {
            ...optionsA(at(A.created)),
            resolveSecret: () => undefined,
            nonceStore: store,
          })
        ).code,
      ).toBe('FAILED');
      expect(store.claims).toEqual([]);
    });

    it('fails closed with UNAVAILABLE and a typed error when the store throws or rejects', async () => {
      const outage = new Error('table unreachable');
      for (const claim of [
        () => {
          throw outage;
        },
        () => Promise.reject(outage),
      ]) {
        const verification = await verifySignature(request, {
          ...optionsA(at(A.created)),
          nonceStore: { claim },
        });
        expect(verification).toMatchObject({
          code: 'UNAVAILABLE',
          ok: false,
          keyid: API_KEY,
          error: { code: 'AUDIOHOOK_ERR_NONCE_STORE', cause: outage },
        });
        expect(verification.error).toBeInstanceOf(AudioHookError);
      }
    });

    it('treats anything but true from the store as a replay', async () => {
      const verification = await verifySignature(request, {
        ...optionsA(at(A.created)),
        nonceStore: { claim: () => 'yes' as unknown as boolean },
      });
      expect(verification.code).toBe('PRECONDITION');
    });

    it('fails closed in the synchronous verifier when the store throws or answers later', async () => {
      const thrown = verifySignatureSync(
        request,
        optionsA(at(A.created), {
          nonceStore: {
            claim: () => {
              throw new Error('down');
            },
          },
        }),
      );
      expect(thrown).toMatchObject({
        code: 'UNAVAILABLE',
        error: { code: 'AUDIOHOOK_ERR_NONCE_STORE' },
      });
      let rejected = false;
      const later = verifySignatureSync(
        request,
        optionsA(at(A.created), {
          nonceStore: {
            claim: () =>
              Promise.reject(new Error('late')).catch((error: unknown) => {
                rejected = true;
                throw error;
              }) as unknown as boolean,
          },
        }),
      );
      expect(later.code).toBe('UNAVAILABLE');
      await new Promise((resolve) => setImmediate(resolve));
      expect(rejected).toBe(true);
    });

    it('accepts the deprecated nonceCache option name', async () => {
      const nonceCache = new NonceCache();
      await verifySignature(request, { ...optionsA(at(A.created)), nonceCache });
      expect(
        (await verifySignature(request, { ...optionsA(at(A.created)), nonceCache })).code,
      ).toBe('PRECONDITION');
    });
  });
});

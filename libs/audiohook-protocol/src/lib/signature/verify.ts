// The server side of the signatures: verification (spec §4.3), asynchronous (secret lookup and
// nonce store may be remote) or synchronous, with the replay check after the MAC matched.

import { AudioHookError, AudioHookErrorCode } from '../errors';
import { analyze, macKey, macResult, result, unsignedResult, type ResultMeta } from './analyze';
import { hmacSha256, hmacSha256Async } from './crypto';
import { nonceKey, nonceKeyAsync } from './nonce-store';
import type {
  SecretLookupResult,
  SignatureVerification,
  SignedRequest,
  VerifySignatureOptions,
  VerifySignatureSyncOptions,
} from './types';

/**
 * Verifies the HTTP message signature of an upgrade request (spec §4.3) with the tolerant time
 * window by default. Never rejects: every problem is a result code, and a secret lookup or nonce
 * store that fails gives `UNAVAILABLE` (fail closed) with the typed error. Runs anywhere: Node.js'
 * crypto where there is one, else Web Crypto.
 *
 * @example
 * ```ts
 * const verification = await verifySignature(
 *   { url: request.url ?? '/', headers: request.headers },
 *   { resolveSecret: (apiKey) => secrets.get(apiKey), nonceStore },
 * );
 * if (!verification.ok) session.disconnect('unauthorized', verification.code);
 * ```
 */
export async function verifySignature(
  request: SignedRequest,
  options: VerifySignatureOptions,
): Promise<SignatureVerification> {
  const analysis = analyze(request, options);
  if (analysis.kind === 'done') return analysis.result;
  let secret: SecretLookupResult;
  try {
    secret =
      analysis.lookupKey === undefined
        ? undefined
        : await options.resolveSecret(analysis.lookupKey);
  } catch (error) {
    return lookupFailed(error, analysis.kind === 'signed' ? analysis.meta : {});
  }
  if (analysis.kind === 'unsigned') return unsignedResult(secret);
  const key = macKey(secret, analysis.meta);
  if (!(key instanceof Uint8Array)) return key;
  const mac = await hmacSha256Async(key, analysis.base);
  const verification = macResult(mac, analysis.signature, secret, analysis.meta);
  const store = options.nonceStore ?? options.nonceCache;
  const claim = analysis.claim;
  if (!verification.ok || store === undefined || claim === undefined) return verification;
  try {
    const storeKey = await nonceKeyAsync(claim.keyid, claim.nonce);
    const claimed = await store.claim(storeKey, claim.expiresAtMs, claim.nowMs);
    return afterClaim(verification, claimed, analysis.meta);
  } catch (error) {
    return storeFailed(error, analysis.meta);
  }
}

/**
 * {@link verifySignature} with a synchronous secret lookup (and nonce store). A lookup or store
 * that throws gives `UNAVAILABLE` too.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_CRYPTO_UNAVAILABLE` where Node.js' crypto module is not
 *   (browsers, workers: use {@link verifySignature}).
 *
 * @example
 * ```ts
 * const verification = verifySignatureSync(request, { resolveSecret: (k) => keys[k] });
 * ```
 */
export function verifySignatureSync(
  request: SignedRequest,
  options: VerifySignatureSyncOptions,
): SignatureVerification {
  const analysis = analyze(request, options);
  if (analysis.kind === 'done') return analysis.result;
  let secret: SecretLookupResult;
  try {
    secret =
      analysis.lookupKey === undefined ? undefined : options.resolveSecret(analysis.lookupKey);
  } catch (error) {
    return lookupFailed(error, analysis.kind === 'signed' ? analysis.meta : {});
  }
  if (analysis.kind === 'unsigned') return unsignedResult(secret);
  const key = macKey(secret, analysis.meta);
  if (!(key instanceof Uint8Array)) return key;
  const verification = macResult(
    hmacSha256(key, analysis.base),
    analysis.signature,
    secret,
    analysis.meta,
  );
  const store = options.nonceStore ?? options.nonceCache;
  const claim = analysis.claim;
  if (!verification.ok || store === undefined || claim === undefined) return verification;
  let claimed: unknown;
  try {
    claimed = store.claim(nonceKey(claim.keyid, claim.nonce), claim.expiresAtMs, claim.nowMs);
  } catch (error) {
    return storeFailed(error, analysis.meta);
  }
  if (isThenable(claimed)) {
    // A store that cannot answer now cannot serve a synchronous check: refuse, and make sure
    // its eventual rejection is not unhandled.
    claimed.then(undefined, () => undefined);
    return storeFailed(
      new TypeError('the nonce store answered asynchronously; use verifySignature'),
      analysis.meta,
    );
  }
  return afterClaim(verification, claimed, analysis.meta);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** The result when the store answered whether the nonce was new. */
function afterClaim(
  verification: SignatureVerification,
  claimed: unknown,
  meta: ResultMeta,
): SignatureVerification {
  return claimed === true ? verification : result('PRECONDITION', '"nonce" was already used', meta);
}

/** The result when the secret lookup failed: refuse (fail closed), carrying the typed error. */
function lookupFailed(cause: unknown, meta: ResultMeta): SignatureVerification {
  const error = new AudioHookError(
    AudioHookErrorCode.SecretLookup,
    'the secret lookup failed; the request is refused',
    { cause },
  );
  return result('UNAVAILABLE', 'the secret of the API key could not be looked up', {
    ...meta,
    error,
  });
}

/** The result when the store failed: refuse (fail closed), carrying the typed error. */
function storeFailed(cause: unknown, meta: ResultMeta): SignatureVerification {
  const error = new AudioHookError(
    AudioHookErrorCode.NonceStore,
    'the nonce store failed; the request is refused',
    { cause },
  );
  return result('UNAVAILABLE', 'the replay check could not be made', { ...meta, error });
}

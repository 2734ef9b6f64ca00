// `@org/audiohook-protocol/signature`: HTTP message signatures of the upgrade request (signing,
// verification, replay protection). Pure: Web Crypto where there is no Node.js, Node's crypto as
// a fast path where there is. Every export is listed by name.

export {
  AUDIOHOOK_SIGNED_COMPONENTS,
  SIGNATURE_RESULT_CODES,
  type RequestHeaders,
  type SecretLookupResult,
  type SignatureResultCode,
  type SignatureVerification,
  type SignedRequest,
  type VerifySignatureBaseOptions,
  type VerifySignatureOptions,
  type VerifySignatureSyncOptions,
} from './lib/signature/types';
export { canonicalHeaderValue, createSignatureBase } from './lib/signature/base';
export { decodeSecret, hasSyncCrypto, hmacSha256, hmacSha256Async } from './lib/signature/crypto';
export {
  createAudioHookHeaders,
  createAudioHookHeadersAsync,
  signRequest,
  signRequestAsync,
  type AudioHookHeaderOptions,
  type SignRequestOptions,
  type SignatureHeaders,
} from './lib/signature/sign';
export {
  NonceCache,
  nonceKey,
  type NonceCacheOptions,
  type NonceStore,
  type SyncNonceStore,
} from './lib/signature/nonce-store';
export { verifySignature, verifySignatureSync } from './lib/signature/verify';

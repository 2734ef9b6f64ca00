// The cryptography the signatures need, in one place: HMAC-SHA256, SHA-256, random bytes,
// constant-time comparison and base64. Where the runtime is Node.js, its crypto module does the
// hashing (a fast, synchronous path; found with `process.getBuiltinModule`, never imported, so
// this file stays loadable anywhere). Elsewhere (browsers, workers, edge runtimes) Web Crypto
// does it, asynchronously; the synchronous functions then throw `AUDIOHOOK_ERR_CRYPTO_UNAVAILABLE`.

import { AudioHookError, AudioHookErrorCode } from '../errors';

/** The part of `node:crypto` used here. */
interface NodeCrypto {
  createHmac(
    algorithm: 'sha256',
    key: Uint8Array,
  ): { update(data: string, encoding: 'utf8'): { digest(): Uint8Array } };
  createHash(algorithm: 'sha256'): {
    update(data: string, encoding: 'utf8'): { digest(encoding: 'base64url'): string };
  };
}

/** The part of Node.js' `Buffer` used here (base64 without a string of code points). */
interface NodeBuffer {
  from(data: string, encoding: 'base64'): Uint8Array;
  from(data: ArrayBufferLike, offset: number, length: number): { toString(e: 'base64'): string };
}

/** The part of Web Crypto used here. */
interface WebCrypto {
  getRandomValues(array: Uint8Array): Uint8Array;
  readonly subtle?: {
    importKey(
      format: 'raw',
      key: Uint8Array,
      algorithm: { name: 'HMAC'; hash: 'SHA-256' },
      extractable: false,
      usages: ['sign'],
    ): Promise<unknown>;
    sign(algorithm: 'HMAC', key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
    digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>;
  };
}

interface Runtime {
  readonly process?: { readonly getBuiltinModule?: (id: string) => unknown };
  readonly Buffer?: NodeBuffer;
  readonly crypto: WebCrypto;
}

const runtime = globalThis as unknown as Runtime;

/** `node:crypto` when the runtime is Node.js (≥ 20.16), else undefined. */
const nodeCrypto: NodeCrypto | undefined = (() => {
  try {
    return runtime.process?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
  } catch {
    return undefined;
  }
})();

const encoder = new TextEncoder();

/** Web Crypto, for runtimes without Node's crypto module. */
function subtle(): NonNullable<WebCrypto['subtle']> {
  const webCrypto = runtime.crypto as WebCrypto | undefined;
  if (webCrypto?.subtle === undefined) {
    throw new AudioHookError(
      AudioHookErrorCode.CryptoUnavailable,
      'this runtime has neither Node.js crypto nor Web Crypto (crypto.subtle needs a secure context)',
    );
  }
  return webCrypto.subtle;
}

function noSyncCrypto(what: string): never {
  throw new AudioHookError(
    AudioHookErrorCode.CryptoUnavailable,
    `${what} needs Node.js' crypto module; use the asynchronous function (Web Crypto) here`,
  );
}

/**
 * True where the synchronous signing and verification functions work (Node.js); elsewhere use
 * the asynchronous ones.
 *
 * @example
 * ```ts
 * const headers = hasSyncCrypto()
 *   ? createAudioHookHeaders(options)
 *   : await createAudioHookHeadersAsync(options);
 * ```
 */
export function hasSyncCrypto(): boolean {
  return nodeCrypto !== undefined;
}

/**
 * Decodes a base64 client secret (or passes bytes through).
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_SIGNATURE_BUILD` when the text is not base64.
 *
 * @example
 * ```ts
 * decodeSecret('TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU='); // 32 bytes
 * ```
 */
export function decodeSecret(secret: string | Uint8Array): Uint8Array {
  if (typeof secret !== 'string') return secret;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(secret) || secret.length % 4 === 1) {
    throw new AudioHookError(
      AudioHookErrorCode.SignatureBuild,
      'the client secret is not valid base64',
    );
  }
  if (runtime.Buffer !== undefined) return runtime.Buffer.from(secret, 'base64');
  const binary = atob(secret.padEnd(secret.length + ((4 - (secret.length % 4)) % 4), '='));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Base64 of bytes. @internal */
export function base64(bytes: Uint8Array): string {
  if (runtime.Buffer !== undefined) {
    return runtime.Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  }
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Unpadded URL-safe base64 of bytes. @internal */
export function base64Url(bytes: Uint8Array): string {
  return base64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** UTF-8 bytes of a string. @internal */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * HMAC-SHA256 of the UTF-8 signature base (synchronous: Node.js only).
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_CRYPTO_UNAVAILABLE` without Node.js' crypto module
 *   (use {@link hmacSha256Async}).
 *
 * @example
 * ```ts
 * const mac = hmacSha256(decodeSecret(secret), base); // 32 bytes
 * ```
 */
export function hmacSha256(key: Uint8Array, base: string): Uint8Array {
  if (nodeCrypto === undefined) noSyncCrypto('hmacSha256');
  return nodeCrypto.createHmac('sha256', key).update(base, 'utf8').digest();
}

/**
 * HMAC-SHA256 of the UTF-8 signature base: Node.js' crypto where there is one, else Web Crypto.
 *
 * @example
 * ```ts
 * const mac = await hmacSha256Async(decodeSecret(secret), base); // 32 bytes
 * ```
 */
export async function hmacSha256Async(key: Uint8Array, base: string): Promise<Uint8Array> {
  if (nodeCrypto !== undefined) return hmacSha256(key, base);
  // HMAC pads a short key with zeros, so an empty key is 64 zero bytes; Web Crypto refuses the
  // empty one.
  const raw = key.length === 0 ? new Uint8Array(64) : key;
  const cryptoKey = await subtle().importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  return new Uint8Array(await subtle().sign('HMAC', cryptoKey, utf8(base)));
}

/** SHA-256 of the UTF-8 text as unpadded URL-safe base64 (synchronous: Node.js only). @internal */
export function sha256Base64Url(text: string): string {
  if (nodeCrypto === undefined) noSyncCrypto('nonceKey');
  return nodeCrypto.createHash('sha256').update(text, 'utf8').digest('base64url');
}

/** SHA-256 of the UTF-8 text as unpadded URL-safe base64. @internal */
export async function sha256Base64UrlAsync(text: string): Promise<string> {
  if (nodeCrypto !== undefined) return sha256Base64Url(text);
  const digest = await subtle().digest('SHA-256', utf8(text));
  return base64Url(new Uint8Array(digest));
}

/** `n` random bytes from the runtime's secure generator. @internal */
export function randomKey(n: number): Uint8Array {
  const bytes = new Uint8Array(n);
  runtime.crypto.getRandomValues(bytes);
  return bytes;
}

/** A fresh nonce: 18 random bytes as base64 (24 characters). @internal */
export function randomNonce(): string {
  return base64(randomKey(18));
}

/**
 * Compares two byte strings in time that depends only on the first one's length (lengths are
 * not secret here).
 * @internal
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  const same = a.length === b.length;
  const other = same ? b : a;
  let difference = same ? 0 : 1;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (other[i] as number);
  return difference === 0;
}

// The cryptography the signatures need, in one place: HMAC-SHA256, SHA-256, random nonces,
// constant-time comparison and base64.

import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AudioHookError, AudioHookErrorCode } from '../errors';

/**
 * Decodes a base64 client secret (or passes bytes through).
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
  return Buffer.from(secret, 'base64');
}

/**
 * HMAC-SHA256 of the UTF-8 signature base.
 *
 * @example
 * ```ts
 * hmacSha256(decodeSecret(secret), base).toString('base64');
 * ```
 */
export function hmacSha256(key: Uint8Array, base: string): Buffer {
  return createHmac('sha256', key).update(base, 'utf8').digest();
}

/** SHA-256 of the UTF-8 text, as unpadded URL-safe base64. @internal */
export function sha256Base64Url(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

/** A fresh nonce: 18 random bytes as base64 (24 characters). @internal */
export function randomNonce(): string {
  return randomBytes(18).toString('base64');
}

/** `n` random bytes (the key unknown API keys are checked against). @internal */
export function randomKey(n: number): Uint8Array {
  return randomBytes(n);
}

/** Compares two byte strings in time that depends only on their lengths. @internal */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** UTF-8 bytes of a string. @internal */
export function utf8(text: string): Uint8Array {
  return Buffer.from(text, 'utf8');
}

/** Base64 of bytes. @internal */
export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

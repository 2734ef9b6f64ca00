// TEMPORARY until @org/audiohook-protocol exports its verifier; replaced before commit.
import type { SignatureChecker } from './auth';

export interface SignatureCheckerOptions {
  readonly maxAgeSeconds: number;
  readonly clockSkewSeconds: number;
  readonly nonceMinLength: number;
  readonly replayCacheSize: number;
}

export function createSignatureChecker(_options: SignatureCheckerOptions): SignatureChecker {
  return () => ({ code: 'UNSUPPORTED', reason: 'not yet available' });
}

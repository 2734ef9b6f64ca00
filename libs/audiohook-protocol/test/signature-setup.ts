// Set-up shared by the signature specs: the two test vectors and request builders.

import { type SignedRequest, type VerifySignatureSyncOptions } from '../src';
import { ManualClock } from '../src/testing';
import { fixture } from './helpers';

export interface Vectors {
  audiohookExample1: {
    url: string;
    headers: Record<string, string>;
    clientSecret: string;
    nonce: string;
    created: number;
    expires: number;
    base: string[];
  };
  rfcHmacB25: {
    url: string;
    headers: Record<string, string>;
    key: string;
    created: number;
    base: string[];
    signature: string;
  };
}

export const vectors = fixture<Vectors>('signature-vectors.json');
export const A = vectors.audiohookExample1;
export const B = vectors.rfcHmacB25;
export function must(value: string | undefined): string {
  if (value === undefined) throw new Error('fixture value missing');
  return value;
}
export const API_KEY = must(A.headers['X-API-KEY']);

export function at(seconds: number): ManualClock {
  return new ManualClock(seconds * 1000);
}

export function optionsA(
  clock: ManualClock,
  extra: Partial<VerifySignatureSyncOptions> = {},
): VerifySignatureSyncOptions {
  return {
    clock,
    resolveSecret: (key) => (key === API_KEY ? A.clientSecret : undefined),
    ...extra,
  };
}

export function withHeaders(patch: Record<string, string | undefined>): SignedRequest {
  const headers: Record<string, string | undefined> = { ...A.headers, ...patch };
  return { url: A.url, headers };
}

export function inputWith(
  params: string,
  components = must(A.headers['Signature-Input']).slice(5).split(';')[0],
): string {
  return `sig1=${components}${params}`;
}

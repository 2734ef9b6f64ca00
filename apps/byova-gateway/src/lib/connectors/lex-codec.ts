// The compressed headers of Lex V2 RecognizeUtterance: JSON -> gzip -> base64 on requests, the
// reverse on responses.

import { gunzipSync, gzipSync } from 'node:zlib';

/** Encodes a value for a compressed Lex header (sessionState, requestAttributes). */
export function encodeLexHeader(value: unknown): string {
  return gzipSync(Buffer.from(JSON.stringify(value), 'utf8')).toString('base64');
}

/**
 * Decodes a compressed Lex header; `undefined` for an absent or undecodable header (a bad header
 * must not fail the turn).
 */
export function decodeLexHeader<T>(header: string | undefined): T | undefined {
  if (header === undefined || header === '') return undefined;
  try {
    return JSON.parse(gunzipSync(Buffer.from(header, 'base64')).toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The parts of Lex's response shapes the connector reads. */
export interface LexMessage {
  readonly content?: string;
  readonly contentType?: string;
}
export interface LexIntent {
  readonly name?: string;
  readonly state?: string;
}
export interface LexInterpretation {
  readonly intent?: LexIntent;
}
export interface LexSessionState {
  readonly dialogAction?: { readonly type?: string };
  readonly intent?: LexIntent;
  readonly sessionAttributes?: Record<string, string>;
}

// The signature base of RFC 9421 as AudioHook uses it (spec §4.2): canonical header values and
// the base built from the covered components and the serialized signature parameters.

import {
  type BareItem,
  type InnerList,
  type Item,
  serializeInnerList,
  serializeString,
} from 'structured-headers';
import { AudioHookError, AudioHookErrorCode } from '../errors';
import type { RequestHeaders } from './types';

/**
 * Canonicalizes a header value: joins repeats with `, `, unfolds, trims (RFC 9421 §2.1).
 *
 * @example
 * ```ts
 * canonicalHeaderValue([' a ', 'b']); // 'a, b'
 * ```
 */
export function canonicalHeaderValue(value: string | readonly string[]): string {
  const values = typeof value === 'string' ? [value] : value;
  return values.map((v) => v.replace(/\r\n[ \t]+/g, ' ').trim()).join(', ');
}

/** Case-insensitive, canonicalizing header access. @internal */
export function headerLookup(headers: RequestHeaders): (name: string) => string | undefined {
  const lower = new Map<string, string | readonly string[]>();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const existing = lower.get(key);
    if (existing === undefined) lower.set(key, value);
    else
      lower.set(key, [
        ...(typeof existing === 'string' ? [existing] : existing),
        ...(typeof value === 'string' ? [value] : value),
      ]);
  }
  return (name) => {
    const value = lower.get(name);
    return value === undefined ? undefined : canonicalHeaderValue(value);
  };
}

/**
 * Builds the signature base (spec §4.2) for the given component values and signature
 * parameters, both in order. Returns the base and the serialized inner list that goes into
 * `Signature-Input` after `<label>=`.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_SIGNATURE_BUILD` for values RFC 8941 cannot carry.
 *
 * @example
 * ```ts
 * const { base, signatureParams } = createSignatureBase(
 *   [['@authority', 'example.com']],
 *   [['created', 1618884473], ['keyid', 'test-shared-secret']],
 * );
 * ```
 */
export function createSignatureBase(
  components: readonly (readonly [name: string, value: string])[],
  parameters: readonly (readonly [name: string, value: string | number])[],
): { base: string; signatureParams: string } {
  try {
    const list: InnerList = [
      components.map(([name]): Item => [name, new Map()]),
      new Map<string, BareItem>(parameters.map(([k, v]) => [k, v])),
    ];
    return createSignatureBaseFromList(
      list,
      components.map(([, value]) => value),
    );
  } catch (cause) {
    if (cause instanceof AudioHookError) throw cause;
    throw new AudioHookError(
      AudioHookErrorCode.SignatureBuild,
      'cannot serialize the signature parameters',
      { cause },
    );
  }
}

/** The signature base of a parsed inner list and its component values. @internal */
export function createSignatureBaseFromList(
  list: InnerList,
  values: readonly string[],
): { base: string; signatureParams: string } {
  const signatureParams = serializeInnerList(list);
  const lines = list[0].map(
    ([name], i) => `${serializeString(name as string)}: ${values[i] ?? ''}`,
  );
  lines.push(`"@signature-params": ${signatureParams}`);
  return { base: lines.join('\n'), signatureParams };
}

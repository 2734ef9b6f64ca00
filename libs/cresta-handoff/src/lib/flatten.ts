import { CrestaError, CrestaErrorCode } from './errors';

/** Options of {@link flattenForConnect}. */
export interface FlattenOptions {
  /**
   * Joins a parent key and a child key (or array index).
   * @default '_'
   */
  separator?: string;
  /**
   * What `null` becomes: `empty` keeps the key with `""`; `omit` leaves the key out.
   * @default 'empty'
   */
  nullValue?: 'empty' | 'omit';
  /**
   * Largest nesting depth that is flattened; deeper values fail with
   * `CRESTA_ERR_FLATTEN_UNSUPPORTED`.
   * @default 32
   */
  maxDepth?: number;
  /**
   * Largest size of the result, as UTF-8 JSON, in bytes (Connect accepts about 32 KB); `0`
   * disables the check.
   * @default 32768
   */
  maxBytes?: number;
}

/** Connect's response size limit used by default, in bytes of UTF-8 JSON. */
export const CONNECT_MAX_RESPONSE_BYTES = 32_768;

/**
 * Flattens any JSON value into the flat string map that Amazon Connect's `STRING_MAP` response
 * validation requires:
 *
 * - object members become `<parent><separator><key>`; top-level keys are kept as they are;
 * - array elements become `<parent><separator><index>` (0-based);
 * - strings are kept; numbers become their JSON text (`1.5`, `1e+21`); booleans become `"true"` /
 *   `"false"`; `null` becomes `""` (or is left out with `nullValue: 'omit'`);
 * - an empty object or array becomes `""`, so its key stays visible to the flow;
 * - two paths that end in the same key (e.g. `{"a_b":"1","a":{"b":"2"}}`) fail with
 *   `CRESTA_ERR_FLATTEN_KEY_COLLISION` instead of one silently winning;
 * - a top-level scalar or array needs a `prefix` to name it.
 *
 * With `prefix` = `handoff`, `{conversation: "c"}` becomes `{handoff_conversation: "c"}`: the
 * upstream `handoff_*` key names.
 *
 * @throws {@link CrestaError} `CRESTA_ERR_FLATTEN_KEY_COLLISION`, `CRESTA_ERR_FLATTEN_UNSUPPORTED`
 * or `CRESTA_ERR_RESPONSE_TOO_LARGE`.
 * @example
 * ```ts
 * flattenForConnect({ a: { b: [1, true, null] } });
 * // { a_b_0: '1', a_b_1: 'true', a_b_2: '' }
 * flattenForConnect({ conversation: 'c' }, 'handoff'); // { handoff_conversation: 'c' }
 * ```
 */
export function flattenForConnect(
  value: unknown,
  prefix?: string,
  options: FlattenOptions = {},
): Record<string, string> {
  const separator = options.separator ?? '_';
  const nullValue = options.nullValue ?? 'empty';
  const maxDepth = options.maxDepth ?? 32;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;

  const put = (key: string, text: string): void => {
    if (Object.prototype.hasOwnProperty.call(out, key)) {
      throw new CrestaError(
        CrestaErrorCode.FlattenKeyCollision,
        `cannot flatten response: two values map to the key "${key}"`,
      );
    }
    out[key] = text;
  };

  const walk = (node: unknown, key: string | undefined, depth: number): void => {
    if (depth > maxDepth) {
      throw new CrestaError(
        CrestaErrorCode.FlattenUnsupported,
        `cannot flatten response: nesting deeper than ${maxDepth} levels at "${key ?? ''}"`,
      );
    }
    const join = (child: string): string =>
      key === undefined ? child : `${key}${separator}${child}`;
    if (node !== null && typeof node === 'object') {
      const entries = Array.isArray(node)
        ? node.map((item, index) => [String(index), item] as const)
        : Object.entries(node as Record<string, unknown>);
      if (entries.length === 0) {
        if (key === undefined) return;
        put(key, '');
        return;
      }
      for (const [child, item] of entries) walk(item, join(child), depth + 1);
      return;
    }
    if (key === undefined) {
      throw new CrestaError(
        CrestaErrorCode.FlattenUnsupported,
        'cannot flatten response: a top-level scalar needs a prefix to name it',
      );
    }
    if (node === null) {
      if (nullValue === 'empty') put(key, '');
      return;
    }
    switch (typeof node) {
      case 'string':
        put(key, node);
        return;
      case 'number':
        if (!Number.isFinite(node)) {
          throw new CrestaError(
            CrestaErrorCode.FlattenUnsupported,
            `cannot flatten response: non-finite number at "${key}"`,
          );
        }
        put(key, JSON.stringify(node));
        return;
      case 'boolean':
        put(key, node ? 'true' : 'false');
        return;
      default:
        throw new CrestaError(
          CrestaErrorCode.FlattenUnsupported,
          `cannot flatten response: unsupported ${typeof node} value at "${key}"`,
        );
    }
  };

  walk(value, prefix, 0);
  const result = { ...out };
  assertConnectSize(result, options.maxBytes ?? CONNECT_MAX_RESPONSE_BYTES);
  return result;
}

/**
 * Throws `CRESTA_ERR_RESPONSE_TOO_LARGE` when `value`, as UTF-8 JSON, is larger than `maxBytes`
 * (Connect rejects responses of more than about 32 KB), and `CRESTA_ERR_FLATTEN_UNSUPPORTED` when
 * it cannot be serialised at all (nested deeper than the stack, or cyclic). `0` disables the check.
 *
 * @example
 * ```ts
 * assertConnectSize({ phoneNumber: '+15550100' }); // ok
 * ```
 */
export function assertConnectSize(
  value: unknown,
  maxBytes: number = CONNECT_MAX_RESPONSE_BYTES,
): void {
  if (maxBytes <= 0) return;
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    // A hostile body nested deeper than the stack overflows JSON.stringify; Connect cannot take it.
    throw new CrestaError(
      CrestaErrorCode.FlattenUnsupported,
      'response for Amazon Connect cannot be serialised as JSON (nested too deeply or cyclic)',
      { cause: err },
    );
  }
  const bytes = Buffer.byteLength(json ?? '', 'utf8');
  if (bytes > maxBytes) {
    throw new CrestaError(
      CrestaErrorCode.ResponseTooLarge,
      `response for Amazon Connect is ${bytes} bytes, more than the ${maxBytes}-byte limit`,
    );
  }
}

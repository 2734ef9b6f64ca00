// google.protobuf.Struct <-> plain JSON values. With proto-loader a Struct is
// `{ fields: { key: { stringValue | numberValue | boolValue | nullValue | structValue | listValue } } }`,
// not a plain object.

import type { ListValue__Output } from '../generated/google/protobuf/ListValue';
import type { Struct, Struct__Output } from '../generated/google/protobuf/Struct';
import type { Value, Value__Output } from '../generated/google/protobuf/Value';
import { ByovaError, ByovaErrorCode } from './errors';

/** A JSON value. */
export type JsonValue =
  null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
/** A JSON object, the shape a Struct holds. */
export type JsonObject = { [key: string]: JsonValue };

function toValue(value: unknown, path: string, seen: Set<object>): Value {
  if (value === null) return { nullValue: 'NULL_VALUE' };
  switch (typeof value) {
    case 'string':
      return { stringValue: value };
    case 'boolean':
      return { boolValue: value };
    case 'number':
      if (!Number.isFinite(value)) {
        throw new ByovaError(ByovaErrorCode.InvalidStruct, `${path} is not a finite number`);
      }
      return { numberValue: value };
    case 'object': {
      if (seen.has(value))
        throw new ByovaError(ByovaErrorCode.InvalidStruct, `${path} is circular`);
      seen.add(value);
      try {
        if (Array.isArray(value)) {
          return {
            listValue: { values: value.map((item, i) => toValue(item, `${path}[${i}]`, seen)) },
          };
        }
        return { structValue: toStructInner(value as Record<string, unknown>, path, seen) };
      } finally {
        seen.delete(value);
      }
    }
    default:
      throw new ByovaError(ByovaErrorCode.InvalidStruct, `${path} is a ${typeof value}, not JSON`);
  }
}

function toStructInner(object: Record<string, unknown>, path: string, seen: Set<object>): Struct {
  const fields: Record<string, Value> = {};
  for (const [key, value] of Object.entries(object)) {
    // JSON.stringify drops undefined members; so does the Struct.
    if (value === undefined) continue;
    fields[key] = toValue(value, `${path}.${key}`, seen);
  }
  return { fields };
}

/**
 * Converts a JSON object to a `google.protobuf.Struct` message object.
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_STRUCT` for non-finite numbers, cycles and non-JSON values.
 * @example
 * ```ts
 * const metadata = toStruct({ reason: 'intent_failed', attempts: 2 });
 * ```
 */
export function toStruct(object: Readonly<Record<string, unknown>>): Struct {
  return toStructInner(object as Record<string, unknown>, '$', new Set());
}

function fromValue(value: Value__Output): JsonValue {
  switch (value.kind) {
    case 'stringValue':
      return value.stringValue ?? '';
    case 'numberValue':
      return value.numberValue ?? 0;
    case 'boolValue':
      return value.boolValue ?? false;
    case 'structValue':
      return fromStruct(value.structValue ?? null);
    case 'listValue':
      return fromList(value.listValue ?? null);
    default:
      return null;
  }
}

function fromList(list: ListValue__Output | null): JsonValue[] {
  return (list?.values ?? []).map(fromValue);
}

/**
 * Converts a decoded `google.protobuf.Struct` (or `null`, an absent Struct) to a JSON object.
 *
 * @example
 * ```ts
 * const parameters = fromStruct(request.event_input?.parameters ?? null);
 * ```
 */
export function fromStruct(struct: Struct__Output | null | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(struct?.fields ?? {})) out[key] = fromValue(value);
  return out;
}

// What the kit's loggers never write. One rule for keys (a key that names a secret, in any case,
// at any depth: objects, arrays, an error's properties and `cause`) and one for text (credentials
// in URLs and query strings, bearer tokens, JWTs), plus the pino-style paths an app adds. No
// dependency, so the light `./lambda` entry can use it.

import { addPath, childOf, newNode, parseRedactPath, type RedactNode } from './redact-paths';

export { parseRedactPath, redactPathsFor } from './redact-paths';

/**
 * Keys of the old fixed list, kept for callers that build paths from it. Every one of them is
 * matched by {@link isSecretKey} (which also matches any case and any depth), so the list itself no
 * longer drives the redaction.
 */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'signature',
  'signature-input',
  'cookie',
  'set-cookie',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'accessToken',
  'refreshToken',
  'apiKey',
  'api_key',
];

/** The text that replaces a redacted value. */
export const REDACTED = '[redacted]';
/** Replaces an object or array nested deeper than {@link REDACT_MAX_DEPTH}. */
export const REDACTED_TOO_DEEP = '[redacted: too deep]';
/**
 * The key (in an object) or the last item (in an array) that stands for what was cut after
 * {@link REDACT_MAX_ENTRIES} entries of one line.
 */
export const TRUNCATED = '[truncated]';
/** Replaces a reference back to an object that contains it. */
export const CIRCULAR = '[Circular]';
/** Replaces a property whose getter threw. */
const UNREADABLE = '[unreadable]';

/**
 * Objects and arrays nested deeper than this below a line's fields (a field's value is at depth 1)
 * are not inspected and are written as {@link REDACTED_TOO_DEEP}.
 */
export const REDACT_MAX_DEPTH = 10;
/**
 * A line's fields carry at most this many keys and array items, all levels together: the object or
 * array being walked when the count is reached is cut there, with a {@link TRUNCATED} entry saying
 * how many keys or items were left out, so a huge value cannot make logging slow.
 */
export const REDACT_MAX_ENTRIES = 10_000;

// ---------------------------------------------------------------------------------------------
// The key rule

/** A quick test on the raw key: a key without any of these is never a secret. */
const MAYBE_SECRET =
  /secret|passw|passphrase|pwd|authori[sz]ation|cookie|credential|signature|bearer|token|key/i;

/** A word (lower case) that names a secret by itself, or contains one. */
const SECRET_WORD =
  /secret|passw(?:or)?d|passphrase|^pwd$|authori[sz]ation|cookie|credential|signature|^bearer$|api-?key|privatekey|tokens?$/;

/** Words that name a secret when `key`/`keys` follows them (`api key`, `private key`). */
const KEY_QUALIFIERS = new Set([
  'api',
  'private',
  'signing',
  'encryption',
  'master',
  'client',
  'subscription',
  'auth',
]);

/**
 * Words that, right after a secret word, make the key describe the secret rather than hold it:
 * `tokenCount`, `secretArn`, `apiKeyId`, `tokenExpiresAt`, `client_secret_env`.
 */
const DESCRIBING_WORDS = new Set([
  'arn',
  'name',
  'names',
  'id',
  'ids',
  'env',
  'ref',
  'count',
  'counts',
  'length',
  'len',
  'size',
  'type',
  'types',
  'kind',
  'format',
  'expires',
  'expiry',
  'expiration',
  'exp',
  'ttl',
  'lifetime',
  'age',
  'issued',
  'version',
  'source',
  'provider',
  'file',
  'path',
  'status',
  'state',
  'valid',
  'verified',
  'verification',
  'result',
  'error',
  'required',
  'enabled',
  'present',
  'missing',
  'configured',
  'limit',
  'usage',
  'used',
]);

/** `oauthClientSecret`, `X-API-KEY`, `x_amz_security_token` → their lower-case words. */
function wordsOf(key: string): string[] {
  return (
    key
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      // A lookahead, not `([A-Z]+)([A-Z][a-z])`: that one backtracks over every run of capitals at
      // every start, quadratic in a long all-capitals key (a client's JSON or query string).
      .replace(/([A-Z])(?=[A-Z][a-z])/g, '$1 ')
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((word) => word !== '')
  );
}

function namesSecret(key: string): boolean {
  if (!MAYBE_SECRET.test(key)) return false;
  const words = wordsOf(key);
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    let end = i;
    if (KEY_QUALIFIERS.has(word) && /^keys?$/.test(words[i + 1] ?? '')) end = i + 1;
    else if (!SECRET_WORD.test(word)) continue;
    const after = words[end + 1];
    if (after === undefined || !DESCRIBING_WORDS.has(after)) return true;
    i = end;
  }
  return false;
}

const KEY_CACHE_LIMIT = 4096;
/** Longer keys (client-made, say) are not cached, so the cache stays small. */
const CACHED_KEY_LENGTH = 128;
const keyCache = new Map<string, boolean>();

/**
 * Whether a field named `key` holds a secret. The key is split into words (camelCase, `_`, `-`,
 * any case); it names a secret when a word contains `secret`, `password`, `passwd`, `passphrase`,
 * `authorization`, `cookie`, `credential`, `signature` or `apikey`, is `pwd` or `bearer`, ends in
 * `token` or `tokens`, or is `api`, `private`, `signing`, `encryption`, `master`, `client`,
 * `subscription` or `auth` followed by `key`/`keys` — unless the next word says the key describes
 * the secret (`count`, `type`, `arn`, `name`, `id`, `expires`, `env`, ... : `tokenCount`,
 * `secretArn`, `apiKeyId`).
 * The loggers replace the value under such a key when it is text (unless empty), an object or
 * array (as a whole) or a bigint; numbers, booleans, `null` and `undefined` are kept (under such a
 * name they are counts and flags: `maxTokens: 4096`, `fencingToken: 7`, `cookie: false`).
 *
 * @example
 * ```ts
 * isSecretKey('Authorization'); // true
 * isSecretKey('oauthClientSecret'); // true
 * isSecretKey('X-Amz-Security-Token'); // true
 * isSecretKey('tokenCount'); // false
 * ```
 */
export function isSecretKey(key: string): boolean {
  let secret = keyCache.get(key);
  if (secret === undefined) {
    secret = namesSecret(key);
    if (key.length <= CACHED_KEY_LENGTH) {
      if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
      keyCache.set(key, secret);
    }
  }
  return secret;
}

// ---------------------------------------------------------------------------------------------
// The text rule

// Each pattern starts only where a run of its characters starts (a lookbehind, not `\b`), so a
// crafted text (`.a.a.a…://`, `eyJ-eyJ-…`) costs linear time, not quadratic.

/** `scheme://user:password@`: the user information of a URL. */
const URL_USERINFO = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;
/** `?name=value`, `&name=value` (and a form body's first `name=value`). */
const QUERY_PARAMETER = /(^|[?&;])([^=&#\s?;]+)=([^&#\s;]*)/g;
/** Query parameters that carry credentials although their name is not caught by the key rule. */
const SECRET_PARAMETERS = new Set(['key', 'sig', 'code', 'auth', 'pass', 'jwt']);
/** One test that rules out most texts (ids, words, numbers) before the replacements run. */
const MAYBE_CREDENTIAL = /=|:\/\/|eyJ|bearer|^basic\s/i;
/** `Bearer <token>`. */
const BEARER = /\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi;
/** A whole value `Basic <base64>`. */
const BASIC = /^basic\s+[A-Za-z0-9+/]{4,}={0,2}$/i;
/** A JSON Web Token: `eyJ<header>.eyJ<payload>.<signature>`. */
const JWT = /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

function isSecretParameter(name: string): boolean {
  let decoded = name;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    // keep the name as written
  }
  return SECRET_PARAMETERS.has(decoded.toLowerCase()) || isSecretKey(decoded);
}

/**
 * `text` with credentials taken out: the user information of every URL (`https://[redacted]@host`),
 * the value of every query or form parameter whose name is a secret (`access_token`, `token`,
 * `api_key`, `key`, `sig`, `signature`, `password`, `secret`, `code`, `X-Amz-Signature`, ...),
 * `Bearer` tokens and JSON Web Tokens; a whole value `Basic <base64>` becomes `[redacted]`. Text
 * shorter than 6 characters, or without `=`, `://`, `eyJ`, `bearer` or a leading `basic`, is
 * returned after one regular expression test.
 *
 * @example
 * ```ts
 * redactText('https://svc:pw@api.example.com/v1?access_token=abc&page=2');
 * // 'https://[redacted]@api.example.com/v1?access_token=[redacted]&page=2'
 * ```
 */
export function redactText(text: string): string {
  if (text.length < 6 || !MAYBE_CREDENTIAL.test(text)) return text;
  let out = text;
  if (out.includes('@') && out.includes('://')) out = out.replace(URL_USERINFO, `$1${REDACTED}@`);
  if (out.includes('=')) {
    out = out.replace(QUERY_PARAMETER, (whole: string, sep: string, name: string) =>
      isSecretParameter(name) ? `${sep}${name}=${REDACTED}` : whole,
    );
  }
  out = out.replace(BEARER, `$1 ${REDACTED}`);
  if (out.includes('eyJ')) out = out.replace(JWT, REDACTED);
  if (BASIC.test(out)) out = REDACTED;
  return out;
}

// ---------------------------------------------------------------------------------------------
// The walk

type Container = Record<string, unknown>;

/** The state of one call: entries inspected so far and the objects being walked (for cycles). */
interface Walk {
  entries: number;
  readonly stack: object[];
}

/** A shallow copy that keeps what the value is: arrays stay arrays, errors keep message and stack. */
function copyOf(holder: object): Container {
  if (Array.isArray(holder)) return [...(holder as unknown[])] as unknown as Container;
  const proto = Object.getPrototypeOf(holder) as object | null;
  if (proto === Object.prototype || proto === null) {
    try {
      return { ...(holder as Container) };
    } catch {
      // a getter threw: copy the properties as they are (put() replaces the accessor)
    }
  }
  const descriptors: PropertyDescriptorMap = Object.getOwnPropertyDescriptors(holder);
  for (const descriptor of Object.values(descriptors)) descriptor.configurable = true;
  return Object.defineProperties(Object.create(proto) as Container, descriptors);
}

/** Sets `key` of a copy made by {@link copyOf}, as a data property (an accessor is replaced). */
function put(copy: Container, key: string, value: unknown): void {
  const descriptor = Object.getOwnPropertyDescriptor(copy, key);
  if (descriptor === undefined || descriptor.writable === true) {
    copy[key] = value;
    return;
  }
  Object.defineProperty(copy, key, {
    value,
    enumerable: descriptor.enumerable ?? true,
    writable: true,
    configurable: true,
  });
}

/** What {@link read} returns for a property whose getter threw. */
const THREW = Symbol('threw');

function read(holder: Container, key: string): unknown {
  try {
    return holder[key];
  } catch {
    return THREW;
  }
}

/** A value already redacted, in any case (`[REDACTED]` of an app's own redaction): kept as it is. */
function isMarker(text: string): boolean {
  return text.length === REDACTED.length && text.toLowerCase() === REDACTED;
}

/** The redacted form of one property (`key` of an object, or an array item when `key` is undefined). */
function redactEntry(
  current: unknown,
  key: string | undefined,
  node: RedactNode | undefined,
  depth: number,
  walk: Walk,
): unknown {
  if (typeof current === 'string') {
    if (key !== undefined && current !== '' && isSecretKey(key) && !isMarker(current)) {
      return REDACTED;
    }
    return redactText(current);
  }
  if (typeof current !== 'object' || current === null) {
    return key !== undefined && typeof current === 'bigint' && isSecretKey(key)
      ? REDACTED
      : current;
  }
  if (key !== undefined && isSecretKey(key)) return REDACTED;
  return redactObject(current, node, depth, walk);
}

/** A header name (`X-Api-Key`): the characters of an HTTP token, not a sentence. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,256}$/;

/**
 * Whether the text at odd index `i` is the value of a name/value list such as Node's `rawHeaders`
 * (`['Host', 'h', 'X-Api-Key', 'k', ...]`) whose name, the item before it, names a secret.
 */
function followsSecretName(items: readonly unknown[], i: number, current: string): boolean {
  if (i % 2 === 0 || current === '' || isMarker(current)) return false;
  const name = items[i - 1];
  if (typeof name !== 'string' || !HEADER_NAME.test(name) || !isSecretKey(name)) return false;
  // A list of header names (`['Authorization', 'Cookie']`) rather than of names and values.
  return !(HEADER_NAME.test(current) && isSecretKey(current));
}

function redactArray(
  items: readonly unknown[],
  node: RedactNode | undefined,
  depth: number,
  walk: Walk,
): unknown {
  let copy: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    if (walk.entries >= REDACT_MAX_ENTRIES) {
      const kept = (copy ?? items).slice(0, i);
      kept.push(`${TRUNCATED} ${items.length - i} more items`);
      return kept;
    }
    walk.entries++;
    const current = items[i];
    let next: unknown;
    if (node !== undefined && (node.anyLeaf || node.leaves.has(String(i)))) next = REDACTED;
    else if (typeof current === 'object' && current !== null) {
      next = redactObject(current, childOf(node, String(i)), depth + 1, walk);
    } else if (typeof current === 'string') {
      next = followsSecretName(items, i, current) ? REDACTED : redactText(current);
    } else continue;
    if (next === current) continue;
    copy ??= [...items];
    copy[i] = next;
  }
  return copy ?? items;
}

/** `holder` (or its copy) cut to its first `count` keys, and a {@link TRUNCATED} key. */
function truncated(
  holder: Container,
  copy: Container | undefined,
  keys: readonly string[],
  count: number,
): Container {
  const from = copy ?? holder;
  const proto = Object.getPrototypeOf(holder) as object | null;
  const plain = proto === Object.prototype || proto === null;
  const out: Container = plain ? {} : (Object.create(proto) as Container);
  if (!plain) {
    // What `Object.keys` does not list (an error's message and stack) stays.
    for (const name of Object.getOwnPropertyNames(from)) {
      const descriptor = Object.getOwnPropertyDescriptor(from, name);
      if (descriptor !== undefined && descriptor.enumerable !== true) {
        Object.defineProperty(out, name, descriptor);
      }
    }
  }
  for (const key of keys.slice(0, count)) {
    const value = read(from, key);
    out[key] = value === THREW ? UNREADABLE : value;
  }
  out[TRUNCATED] = `${keys.length - count} more keys`;
  return out;
}

/** Own properties of an error that JSON and the log serializers show but `Object.keys` misses. */
const ERROR_EXTRAS = ['message', 'stack', 'cause', 'errors'] as const;

function redactRecord(
  holder: Container,
  node: RedactNode | undefined,
  depth: number,
  walk: Walk,
): unknown {
  let copy: Container | undefined;
  const keys = Object.keys(holder);
  for (let i = 0; i < keys.length; i++) {
    if (walk.entries >= REDACT_MAX_ENTRIES) {
      copy = truncated(holder, copy, keys, i);
      break;
    }
    walk.entries++;
    const key = keys[i] ?? '';
    const current = read(holder, key);
    let next: unknown;
    if (node !== undefined && (node.anyLeaf || node.leaves.has(key))) next = REDACTED;
    else if (current === THREW) next = UNREADABLE;
    else if (typeof current === 'number' || typeof current === 'boolean') continue;
    else next = redactEntry(current, key, childOf(node, key), depth + 1, walk);
    if (next === current) continue;
    copy ??= copyOf(holder);
    put(copy, key, next);
  }
  if (holder instanceof Error) {
    for (const key of ERROR_EXTRAS) {
      const descriptor = Object.getOwnPropertyDescriptor(holder, key);
      if (descriptor === undefined || descriptor.enumerable === true || !('value' in descriptor)) {
        continue;
      }
      const current: unknown = descriptor.value;
      const next = redactEntry(current, undefined, childOf(node, key), depth + 1, walk);
      if (next === current) continue;
      copy ??= copyOf(holder);
      put(copy, key, next);
    }
  }
  return copy ?? holder;
}

/**
 * A Buffer or typed array as it is, its elements counted against {@link REDACT_MAX_ENTRIES} (its
 * JSON lists every one: a 1 MB audio frame would be a 4 MB line); past the budget it is written
 * as `[truncated] <type> of <n> bytes`.
 */
function binary(value: ArrayBufferView | ArrayBuffer, walk: Walk): unknown {
  if (value instanceof ArrayBuffer || value instanceof DataView) return value; // JSON: {}
  const count = (value as unknown as ArrayLike<unknown>).length;
  if (walk.entries + count > REDACT_MAX_ENTRIES) {
    const name = (value.constructor as { name?: unknown } | undefined)?.name;
    return `${TRUNCATED} ${typeof name === 'string' ? name : 'binary'} of ${value.byteLength} bytes`;
  }
  walk.entries += count;
  return value;
}

/**
 * `value.toJSON()` for a value that has one (a class with private fields, an SDK object), since
 * that is what the log line's JSON holds rather than the own properties; `value` itself for
 * errors (the log serializers write their properties), dates and values without one; {@link THREW}
 * when it throws, so that neither the walk nor the line's JSON runs it again.
 */
function jsonOf(value: object): unknown {
  if (value instanceof Error || value instanceof Date) return value;
  try {
    const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
    return typeof toJSON === 'function'
      ? (toJSON as (key: string) => unknown).call(value, '')
      : value;
  } catch {
    return THREW;
  }
}

function redactObject(
  value: object,
  node: RedactNode | undefined,
  depth: number,
  walk: Walk,
): unknown {
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return binary(value, walk);
  if (value instanceof URL) return redactText(value.href);
  if (walk.stack.includes(value)) return CIRCULAR;
  if (depth > REDACT_MAX_DEPTH) return REDACTED_TOO_DEEP;
  // A line's fields themselves are written key by key (their `toJSON` is not called); below
  // them JSON, and so the log line, shows a value's `toJSON()` result: that is what is redacted.
  const json = depth === 0 ? value : jsonOf(value);
  if (json !== value) {
    return json === THREW ? UNREADABLE : redactEntry(json, undefined, node, depth + 1, walk);
  }
  walk.stack.push(value);
  try {
    return Array.isArray(value)
      ? redactArray(value, node, depth, walk)
      : redactRecord(value as Container, node, depth, walk);
  } finally {
    walk.stack.pop();
  }
}

/**
 * A function that returns `value` (a line's fields, a child's bindings) with its secrets replaced,
 * copying only what it changes (the caller's objects are never modified; an `Error` stays an
 * `Error`). What is replaced:
 *
 * - at any depth (objects, arrays, an error's properties and its `cause`), the value of every key
 *   that names a secret ({@link isSecretKey}), whatever its case;
 * - in every text, credentials in URLs and query strings, bearer tokens and JWTs ({@link redactText});
 * - the values at `paths` (pino syntax, `*` for any key), of any type;
 * - objects nested deeper than {@link REDACT_MAX_DEPTH} and references to an enclosing object
 *   (`[Circular]`); past {@link REDACT_MAX_ENTRIES} keys and items the rest is cut
 *   ({@link TRUNCATED}).
 *
 * The paths are compiled once into a tree; key decisions are cached, so a small flat object costs
 * one cache look-up per text or object field.
 *
 * @example
 * ```ts
 * const redact = compileRedaction(['*.connectUri']);
 * redact({ user: { name: 'a', Password: 'b' }, channel: { connectUri: 'wss://x' } });
 * // { user: { name: 'a', Password: '[redacted]' }, channel: { connectUri: '[redacted]' } }
 * ```
 */
export function compileRedaction(paths: readonly string[] = []): <T>(value: T) => T {
  let root: RedactNode | undefined;
  for (const path of paths) addPath((root ??= newNode()), parseRedactPath(path));
  let spare: Walk | undefined = { entries: 0, stack: [] };
  return <T>(value: T): T => {
    if (typeof value === 'string') return redactText(value) as T;
    if (typeof value !== 'object' || value === null) return value;
    // One walk state, reused (a getter that logs while being read gets a fresh one).
    const walk = spare ?? { entries: 0, stack: [] };
    spare = undefined;
    try {
      return redactObject(value, root, 0, walk) as T;
    } catch (error) {
      // A getter or proxy that throws while being copied: write nothing of the value.
      const reason = error instanceof Error ? error.message : String(error);
      return { redactionFailed: redactText(reason) } as T;
    } finally {
      walk.entries = 0;
      walk.stack.length = 0;
      spare = walk;
    }
  };
}

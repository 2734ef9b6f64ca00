// What the kit's loggers never write: the keys whose values are replaced, the pino-style paths
// that name them, and (for the pino-free Lambda logger) a function that applies such paths to a
// value without changing it. No dependency, so the light `./lambda` entry can use it.

/** Keys whose values never reach a log line (any case variant must be listed as written). */
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

function pathKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * pino redaction paths for `keys`: at the top level, one level down, under `headers` and under
 * `*.headers`.
 *
 * @example
 * ```ts
 * redactPathsFor(['x-api-key']);
 * // ['["x-api-key"]', '*["x-api-key"]', 'headers["x-api-key"]', '*.headers["x-api-key"]']
 * ```
 */
export function redactPathsFor(keys: readonly string[]): string[] {
  const paths: string[] = [];
  for (const key of keys) {
    const k = pathKey(key);
    paths.push(k.startsWith('.') ? k.slice(1) : k, `*${k}`, `headers${k}`, `*.headers${k}`);
  }
  return paths;
}

const SEGMENT = /(?:^|\.)([A-Za-z_$][\w$-]*|\*)|\[("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\]/gy;

/**
 * The segments of a pino-style path (`a.b`, `*.headers["x-api-key"]`, `*.*.key`); `*` matches any
 * key. Throws on a path it cannot read, so a typo fails at start instead of leaking later.
 */
export function parseRedactPath(path: string): string[] {
  const segments: string[] = [];
  SEGMENT.lastIndex = 0;
  let end = 0;
  for (let m = SEGMENT.exec(path); m !== null; m = SEGMENT.exec(path)) {
    if (m[1] !== undefined) segments.push(m[1]);
    else if (m[2] !== undefined) {
      const quoted = m[2].startsWith("'") ? `"${m[2].slice(1, -1).replace(/"/g, '\\"')}"` : m[2];
      segments.push(JSON.parse(quoted) as string);
    }
    end = SEGMENT.lastIndex;
  }
  if (segments.length === 0 || end !== path.length) {
    throw new Error(`cannot read the redaction path ${JSON.stringify(path)}`);
  }
  return segments;
}

type Container = Record<string, unknown>;

/** One level of the compiled paths: what is replaced here and where to look deeper. */
interface RedactNode {
  /** Keys whose values are replaced at this level. */
  readonly leaves: Set<string>;
  /** Every value at this level is replaced (a path ending in `*`). */
  anyLeaf: boolean;
  /** Keys to look under, with what to look for there. */
  readonly children: Map<string, RedactNode>;
  /** What to look for under every key (a `*` segment before the end). */
  any: RedactNode | undefined;
}

function newNode(): RedactNode {
  return { leaves: new Set(), anyLeaf: false, children: new Map(), any: undefined };
}

function addPath(root: RedactNode, path: readonly string[]): void {
  let node = root;
  path.forEach((segment, i) => {
    const last = i === path.length - 1;
    if (segment === '*') {
      if (last) node.anyLeaf = true;
      else node = node.any ??= newNode();
    } else if (last) {
      node.leaves.add(segment);
    } else {
      let child = node.children.get(segment);
      if (child === undefined) {
        child = newNode();
        node.children.set(segment, child);
      }
      node = child;
    }
  });
}

/** A shallow copy that keeps what the value is: arrays stay arrays, errors keep message and stack. */
function copyOf(holder: Container): Container {
  if (Array.isArray(holder)) return [...holder] as unknown as Container;
  const proto = Object.getPrototypeOf(holder) as object | null;
  if (proto === Object.prototype || proto === null) return { ...holder };
  return Object.defineProperties(
    Object.create(proto) as Container,
    Object.getOwnPropertyDescriptors(holder),
  );
}

function redactKey(holder: Container, key: string, node: RedactNode): unknown {
  const current = holder[key];
  if (node.anyLeaf || node.leaves.has(key)) return REDACTED;
  let next = current;
  const child = node.children.get(key);
  if (child !== undefined) next = walk(next, child);
  if (node.any !== undefined) next = walk(next, node.any);
  return next;
}

function walk(value: unknown, node: RedactNode): unknown {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const holder = value as Container;
  let copy: Container | undefined;
  for (const key of Object.keys(holder)) {
    const current = holder[key];
    const next = redactKey(holder, key, node);
    if (next === current) continue;
    copy ??= copyOf(holder);
    copy[key] = next;
  }
  return copy ?? value;
}

/**
 * A function that returns `value` with every value at `paths` replaced by {@link REDACTED}, copying
 * only what it changes (the caller's objects are never modified). The paths are compiled once
 * into a tree, so a call costs a walk over the keys the paths can reach, however many paths there
 * are.
 *
 * @example
 * ```ts
 * const redact = compileRedaction(['*.password']);
 * redact({ user: { name: 'a', password: 'b' } }); // { user: { name: 'a', password: '[redacted]' } }
 * ```
 */
export function compileRedaction(paths: readonly string[]): <T>(value: T) => T {
  const root = newNode();
  for (const path of paths) addPath(root, parseRedactPath(path));
  return <T>(value: T): T => walk(value, root) as T;
}

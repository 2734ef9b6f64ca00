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

function redactAt(value: unknown, path: readonly string[], depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  const holder = value as Container;
  const segment = path[depth] as string;
  const keys =
    segment === '*'
      ? Object.keys(holder)
      : Object.prototype.hasOwnProperty.call(holder, segment)
        ? [segment]
        : [];
  let copy: Container | undefined;
  for (const key of keys) {
    const current = holder[key];
    const next = depth === path.length - 1 ? REDACTED : redactAt(current, path, depth + 1);
    if (next === current) continue;
    copy ??= Array.isArray(value) ? ([...value] as unknown as Container) : { ...holder };
    copy[key] = next;
  }
  return copy ?? value;
}

/**
 * A function that returns `value` with every value at `paths` replaced by {@link REDACTED}, copying
 * only what it changes (the caller's objects are never modified).
 *
 * @example
 * ```ts
 * const redact = compileRedaction(['*.password']);
 * redact({ user: { name: 'a', password: 'b' } }); // { user: { name: 'a', password: '[redacted]' } }
 * ```
 */
export function compileRedaction(paths: readonly string[]): <T>(value: T) => T {
  const parsed = paths.map(parseRedactPath);
  return <T>(value: T): T => {
    let out: unknown = value;
    for (const path of parsed) out = redactAt(out, path, 0);
    return out as T;
  };
}

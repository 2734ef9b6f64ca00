// Redaction paths an app adds, in pino's syntax (`a.b`, `*.headers["x-api-key"]`), compiled once
// into a tree the redaction walk follows. No dependency (the light `./lambda` entry uses it).

function pathKey(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/**
 * pino redaction paths for `keys`: at the top level, one level down, under `headers` and under
 * `*.headers`. (The key rule already covers secret-named keys at any depth; paths are for other
 * names, e.g. `connectUri`.)
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

/** One level of the compiled paths: what is replaced here and where to look deeper. */
export interface RedactNode {
  /** Keys whose values are replaced at this level. */
  readonly leaves: Set<string>;
  /** Every value at this level is replaced (a path ending in `*`). */
  anyLeaf: boolean;
  /** Keys to look under, with what to look for there. */
  readonly children: Map<string, RedactNode>;
  /** What to look for under every key (a `*` segment before the end). */
  any: RedactNode | undefined;
  /** `children.get(key)` and `any` merged, for keys that have both. */
  readonly merged: Map<string, RedactNode>;
}

export function newNode(): RedactNode {
  return {
    leaves: new Set(),
    anyLeaf: false,
    children: new Map(),
    any: undefined,
    merged: new Map(),
  };
}

export function addPath(root: RedactNode, path: readonly string[]): void {
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

/** One node that looks for what `a` and `b` look for. */
function mergeNodes(a: RedactNode, b: RedactNode): RedactNode {
  const out = newNode();
  for (const leaf of [...a.leaves, ...b.leaves]) out.leaves.add(leaf);
  out.anyLeaf = a.anyLeaf || b.anyLeaf;
  for (const [key, child] of a.children) out.children.set(key, child);
  for (const [key, child] of b.children) {
    const mine = out.children.get(key);
    out.children.set(key, mine === undefined ? child : mergeNodes(mine, child));
  }
  if (a.any !== undefined && b.any !== undefined) out.any = mergeNodes(a.any, b.any);
  else out.any = a.any ?? b.any;
  return out;
}

/** What the paths look for under `key` of a value at `node`. */
export function childOf(node: RedactNode | undefined, key: string): RedactNode | undefined {
  if (node === undefined) return undefined;
  const child = node.children.get(key);
  if (child === undefined) return node.any;
  if (node.any === undefined) return child;
  let merged = node.merged.get(key);
  if (merged === undefined) {
    merged = mergeNodes(child, node.any);
    node.merged.set(key, merged);
  }
  return merged;
}

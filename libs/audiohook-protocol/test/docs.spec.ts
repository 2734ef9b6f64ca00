// The API reference: TypeDoc builds it from the six entry points with the options of the docs
// target (typedoc.json: warnings are errors, every kind of export must be documented), and every
// export's documentation has an example.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

jest.setTimeout(180_000);

const root = join(__dirname, '../../..');

interface Comment {
  blockTags?: { tag: string }[];
}
interface Reflection {
  name: string;
  kind: number;
  comment?: Comment;
  signatures?: { comment?: Comment }[];
  children?: Reflection[];
}

/** TypeDoc's ReflectionKind.Reference: a re-export of something documented elsewhere. */
const REFERENCE = 4_194_304;

describe('the API reference', () => {
  let out: string;
  let project: Reflection;

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'audiohook-protocol-docs-'));
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/typedoc/bin/typedoc'),
        '--options',
        join(root, 'libs/audiohook-protocol/typedoc.json'),
        '--out',
        join(out, 'html'),
        '--json',
        join(out, 'api.json'),
      ],
      { cwd: root, stdio: 'pipe' },
    );
    project = JSON.parse(readFileSync(join(out, 'api.json'), 'utf8')) as Reflection;
  }, 180_000);

  afterAll(() => {
    if (out !== undefined) rmSync(out, { recursive: true, force: true });
  });

  it('builds without a warning, with a page per entry point', () => {
    expect(existsSync(join(out, 'html/index.html'))).toBe(true);
    expect(project.children?.map((m) => m.name).sort()).toEqual([
      'codec',
      'index',
      'node',
      'session',
      'signature',
      'testing',
    ]);
  });

  it('has an example on every export', () => {
    const exports = (project.children ?? []).flatMap((module) =>
      (module.children ?? [])
        .filter((c) => c.kind !== REFERENCE)
        .map((c) => ({ name: `${module.name}.${c.name}`, reflection: c })),
    );
    expect(exports.length).toBeGreaterThan(150);
    const withoutExample = exports
      .filter(({ reflection }) => {
        const comments = [
          reflection.comment,
          ...(reflection.signatures ?? []).map((s) => s.comment),
        ];
        return !comments.some((c) => c?.blockTags?.some((t) => t.tag === '@example'));
      })
      .map(({ name }) => name);
    expect(withoutExample).toEqual([]);
  });
});

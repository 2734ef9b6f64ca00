// ARCHITECTURE.md names the file of every step of every data path. This keeps it honest: every
// repository path it mentions (in backticks, in links, or in the pictures) must exist, so a file
// moved or renamed without updating the document fails the build.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '../../..');
const DOCUMENT = 'ARCHITECTURE.md';

/** Top-level folders whose paths the document may name. */
const TOP = ['apps', 'libs', 'tools', 'proto', 'docs'];

/**
 * Every repository path in `text`: a path under one of {@link TOP} anywhere (backticks, links,
 * code blocks), or a root file such as `README.md` in backticks. Placeholders (`<app>`), globs and
 * package specifiers (`@org/...`) are not paths.
 */
export function repoPaths(text: string): string[] {
  const found = new Set<string>();
  const under = new RegExp(`(?<![\\w@./-])(?:${TOP.join('|')})/[\\w./<>*-]*`, 'g');
  for (const match of text.matchAll(under)) found.add(match[0]);
  for (const match of text.matchAll(/`([\w.-]+\.(?:md|json|mjs|cjs|js|ts))`/g)) {
    if (match[1] !== undefined) found.add(match[1]);
  }
  for (const match of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
    const target = match[1];
    if (target !== undefined && !/^[a-z]+:/.test(target)) found.add(target);
  }
  return [...found]
    .map((p) => p.replace(/[.,:;]+$/, '').replace(/\/$/, ''))
    .filter((p) => p.length > 0 && !/[<>*]/.test(p));
}

describe('ARCHITECTURE.md', () => {
  const text = readFileSync(join(root, DOCUMENT), 'utf8');

  it('names only repository paths that exist', () => {
    const missing = repoPaths(text).filter((p) => !existsSync(join(root, p)));
    expect(missing).toEqual([]);
  });

  it('names a file for every step of the five data paths', () => {
    const paths = repoPaths(text);
    for (const app of [
      'audiohook-server',
      'byova-gateway',
      'event-collector',
      'chime-recorder-lambda',
      'connect-lambda',
    ]) {
      expect(paths.filter((p) => p.startsWith(`apps/${app}/src/`)).length).toBeGreaterThan(3);
    }
  });

  it('finds paths in backticks, links and pictures, and skips placeholders', () => {
    expect(
      repoPaths(
        'see `apps/a/src/main.ts`, [x](docs/deploy.md#top), `README.md`,\n' +
          '  libs/b/src/lib/c.ts   step\n`apps/<app>/src/infra/` and `@org/libs/x` and https://h/apps/y',
      ).sort(),
    ).toEqual(['README.md', 'apps/a/src/main.ts', 'docs/deploy.md', 'libs/b/src/lib/c.ts']);
  });
});

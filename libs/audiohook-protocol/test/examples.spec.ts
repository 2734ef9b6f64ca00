// The README's examples are the files under examples/ (type-checked by the typecheck target;
// test/package.spec.ts compiles them against the packed package and runs them on loopback):
// the README shows each of them verbatim.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');

describe('README examples', () => {
  it.each(['server.ts', 'client.ts', 'verify-http.ts'])('shows examples/%s verbatim', (file) => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const code = readFileSync(join(root, 'examples', file), 'utf8').replace(
      /^\/\* eslint-disable[^\n]*\n/,
      '',
    );
    expect(readme).toContain('```ts\n' + code + '```');
  });
});

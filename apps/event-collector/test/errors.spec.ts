import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COLLECTOR_ERROR_CODES } from '../src/lib/errors';

describe('error codes', () => {
  it('are exactly the ones the README "Error codes" table documents', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.split('## Error codes')[1]?.split('\n## ')[0] ?? '';
    const documented = [...section.matchAll(/^\| `(COLLECTOR_ERR_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...COLLECTOR_ERROR_CODES].sort());
  });
});

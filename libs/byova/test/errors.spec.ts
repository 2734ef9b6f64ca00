import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ByovaErrorCode } from '../src';

describe('error codes', () => {
  it('lists exactly the codes of ByovaErrorCode in the README table', () => {
    const readme = readFileSync(join(__dirname, '../README.md'), 'utf8');
    const section = readme.split('## Error codes')[1]?.split('\n## ')[0] ?? '';
    const documented = [...section.matchAll(/^\| `(BYOVA_ERR_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.values(ByovaErrorCode).sort());
  });
});

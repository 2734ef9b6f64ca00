import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraErrorCode } from '../src';

describe('error codes', () => {
  it('lists exactly the codes of InfraErrorCode in the README table', () => {
    const readme = readFileSync(join(__dirname, '../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Error codes'));
    const documented = [...section.matchAll(/^\| `(INFRA_ERR_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.values(InfraErrorCode).sort());
  });
});

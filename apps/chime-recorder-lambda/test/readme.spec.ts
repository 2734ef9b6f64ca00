import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecorderErrorCode } from '../src/lib/errors';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  it('documents exactly the error codes the recorder defines', () => {
    const section = readme.slice(
      readme.indexOf('## Error codes'),
      readme.indexOf('## What it fixes'),
    );
    const documented = [...section.matchAll(/`(CHIME_REC_ERR_[A-Z_]+)`/g)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.values(RecorderErrorCode).sort());
  });

  it('documents every setting the configuration reads', () => {
    const config = readFileSync(join(__dirname, '..', 'src', 'config.ts'), 'utf8');
    const schema = config.slice(
      config.indexOf('const envSchema'),
      config.indexOf('export function loadConfig'),
    );
    const variables = [...schema.matchAll(/^ {2}([A-Z_]+):/gm)].map((m) => m[1]);
    expect(variables.length).toBeGreaterThan(20);
    for (const v of variables) expect(readme).toContain(`| \`${v}\``);
  });
});

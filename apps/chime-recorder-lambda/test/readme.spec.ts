import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { documentedErrorCodes } from '@org/service-kit/testing';
import { RecorderErrorCode } from '../src/lib/errors';

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  it('documents exactly the error codes the recorder defines', () => {
    expect(documentedErrorCodes(join(__dirname, '..', 'README.md'))).toEqual(
      Object.values(RecorderErrorCode),
    );
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

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CrestaError, CrestaErrorCode } from '../src';

/** The first column of the first table under the README's "Error codes" heading. */
function documentedCodes(): string[] {
  const lines = readFileSync(join(__dirname, '..', 'README.md'), 'utf8').split('\n');
  const start = lines.findIndex((line) => /^#+ Error codes/.test(line));
  const rows = [];
  for (const line of lines.slice(start + 1)) {
    if (/^#/.test(line)) break;
    if (line.startsWith('|')) rows.push(line);
    else if (rows.length > 0) break;
  }
  return rows.slice(2).map((row) => (row.split('|')[1] ?? '').trim().replace(/`/g, ''));
}

describe('CrestaError', () => {
  it('has every code documented in the README table, and only those', () => {
    expect(documentedCodes()).toEqual(Object.values(CrestaErrorCode));
  });

  it('carries its code, status and cause', () => {
    const cause = new Error('socket hang up');
    const err = new CrestaError(CrestaErrorCode.Network, 'request failed', {
      cause,
      status: 502,
      retryable: true,
    });
    expect(err).toMatchObject({
      name: 'CrestaError',
      code: 'CRESTA_ERR_NETWORK',
      status: 502,
      retryable: true,
      cause,
    });
  });
});

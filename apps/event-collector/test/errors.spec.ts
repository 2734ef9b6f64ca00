import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServiceError } from '@org/service-kit';
import { COLLECTOR_ERROR_CODES, CollectorError, GenesysApiError } from '../src/lib/errors';

describe('error codes', () => {
  it('are exactly the ones the README "Error codes" table documents', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.split('## Error codes')[1]?.split('\n## ')[0] ?? '';
    const documented = [...section.matchAll(/^\| `(COLLECTOR_ERR_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...COLLECTOR_ERROR_CODES].sort());
  });

  it("are carried by errors on the service kit's coded ServiceError base", () => {
    const err = new GenesysApiError(
      'COLLECTOR_ERR_AUTH',
      'GET /x failed with HTTP 403',
      403,
      'c-1',
    );
    expect(err).toBeInstanceOf(CollectorError);
    expect(err).toBeInstanceOf(ServiceError);
    expect(err.name).toBe('GenesysApiError');
    expect(err.toJSON()).toEqual({
      name: 'GenesysApiError',
      code: 'COLLECTOR_ERR_AUTH',
      message: 'GET /x failed with HTTP 403',
      details: { status: 403, correlationId: 'c-1' },
    });
  });
});

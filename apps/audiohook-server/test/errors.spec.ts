import { join } from 'node:path';
import { ServiceError } from '@org/service-kit';
import { documentedErrorCodes } from '@org/service-kit/testing';
import { ServerError, ServerErrorCode } from '../src/lib/errors';

describe('error codes', () => {
  it('documents every code in the README table, and only those', () => {
    expect(new Set(documentedErrorCodes(join(__dirname, '../README.md')))).toEqual(
      new Set(Object.values(ServerErrorCode)),
    );
  });

  it('extends the service kit base with a stable code', () => {
    const error = new ServerError(ServerErrorCode.UploadFailed, 'upload failed', {
      cause: new Error('503'),
    });
    expect(error).toBeInstanceOf(ServiceError);
    expect(error.toJSON()).toEqual({
      name: 'ServerError',
      code: 'AHS_ERR_UPLOAD_FAILED',
      message: 'upload failed',
    });
  });
});

import { join } from 'node:path';
import { ServiceError } from '@org/service-kit';
import { documentedErrorCodes } from '@org/service-kit/testing';
import { AudioInputError } from '../src/lib/audio-input';
import { ClientErrorCode } from '../src/lib/errors';
import { UsageError } from '../src/lib/options';

describe('error codes', () => {
  it('documents every code in the README table, and only those', () => {
    expect(new Set(documentedErrorCodes(join(__dirname, '../README.md')))).toEqual(
      new Set(Object.values(ClientErrorCode)),
    );
  });

  it('gives each error its code on the service kit base', () => {
    expect(new UsageError('x')).toBeInstanceOf(ServiceError);
    expect(new UsageError('x').code).toBe('AHC_ERR_USAGE');
    expect(new AudioInputError('y').code).toBe('AHC_ERR_AUDIO_INPUT');
    expect(new AudioInputError('y').name).toBe('AudioInputError');
  });
});

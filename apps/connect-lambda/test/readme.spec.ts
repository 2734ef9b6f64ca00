import { join } from 'node:path';
import { documentedErrorCodes } from '@org/service-kit/testing';
import { CONFIG_VARIABLES } from '../src/config';
import { ConnectLambdaErrorCode } from '../src/lib/errors';
import { readFileSync } from 'node:fs';

const README = join(__dirname, '..', 'README.md');

describe('README', () => {
  it('documents exactly the error codes the Lambda defines', () => {
    expect(documentedErrorCodes(README)).toEqual(Object.values(ConnectLambdaErrorCode));
  });

  it('documents every environment variable the Lambda reads', () => {
    const text = readFileSync(README, 'utf8');
    for (const name of CONFIG_VARIABLES.filter((v) => v !== 'AWS_LAMBDA_RUNTIME_API')) {
      expect(text).toContain(`\`${name}\``);
    }
  });
});

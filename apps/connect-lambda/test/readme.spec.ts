import { dirname, join, resolve } from 'node:path';
import { documentedErrorCodes } from '@org/service-kit/testing';
import { CONFIG_VARIABLES } from '../src/config';
import { ConnectLambdaErrorCode } from '../src/lib/errors';
import { existsSync, readFileSync } from 'node:fs';

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

  it('links the OpenAPI description of the Cresta calls, and the linked file exists', () => {
    const text = readFileSync(README, 'utf8');
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] as string);
    const spec = links.find((link) => link.endsWith('cresta-handoff/docs/api-spec.yaml'));
    expect(spec).toBeDefined();
    expect(existsSync(resolve(dirname(README), spec as string))).toBe(true);
  });
});

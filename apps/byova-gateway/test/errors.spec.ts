import { join } from 'node:path';
import { documentedErrorCodes } from '@org/service-kit/testing';
import { ServiceError } from '@org/service-kit';
import { ConfigError, GatewayError, GatewayErrorCode } from '../src/lib/errors';
import { JwtValidationError } from '../src/lib/jwt';
import { DataSourceError } from '../src/lib/datasource';
import { WebexLoginError } from '../src/lib/dashboard/webex-oauth';
import { PromptFolderError } from '../src/lib/connectors/prompt-folder';

describe('error codes', () => {
  it('lists exactly the codes of GatewayErrorCode in the README table', () => {
    expect(new Set(documentedErrorCodes(join(__dirname, '../README.md')))).toEqual(
      new Set(Object.values(GatewayErrorCode)),
    );
  });

  it('gives every error class of the gateway the one base and a code', () => {
    const errors = [
      new ConfigError('bad'),
      new JwtValidationError('expired', 'expired'),
      new DataSourceError('down'),
      new WebexLoginError('nope'),
      new PromptFolderError('local', 'audio', ['/a/audio', '/b/audio']),
      new GatewayError(GatewayErrorCode.AgentNotFound, 'Agent not found: x'),
    ];
    for (const error of errors) {
      expect(error).toBeInstanceOf(GatewayError);
      expect(error).toBeInstanceOf(ServiceError);
      expect(Object.values(GatewayErrorCode)).toContain(error.code);
    }
    expect(errors.map((e) => e.name)).toEqual([
      'ConfigError',
      'JwtValidationError',
      'DataSourceError',
      'WebexLoginError',
      'PromptFolderError',
      'GatewayError',
    ]);
  });
});

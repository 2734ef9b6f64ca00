import { awsSdkLogger, createLogger } from '../src';
import { captureLogs } from '../src/testing';

describe('awsSdkLogger', () => {
  it("keeps the SDK's warnings as structured warn lines naming the client", () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'svc', level: 'info', destination: logs.destination });
    awsSdkLogger(logger, 'Transcribe').warn(
      'An error was encountered in a non-retryable streaming request.',
    );
    expect(logs.lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        service: 'svc',
        sdk: 'An error was encountered in a non-retryable streaming request.',
        msg: 'Transcribe client warning',
      }),
    ]);
  });

  it('writes errors at debug only (the caller gets them thrown) and drops info and debug', () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'svc', level: 'debug', destination: logs.destination });
    const sdk = awsSdkLogger(logger, 'S3');
    sdk.info({ clientName: 'S3Client', commandName: 'PutObjectCommand' });
    sdk.debug('endpoint resolved');
    sdk.error('request failed:', new Error('socket hang up'));
    expect(logs.lines).toEqual([
      expect.objectContaining({
        level: 'debug',
        sdk: 'request failed: socket hang up',
        msg: 'S3 client error',
      }),
    ]);
  });
});

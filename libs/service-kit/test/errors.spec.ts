import { join } from 'node:path';
import {
  ConfigError,
  describeError,
  ServiceError,
  ServiceKitError,
  ServiceKitErrorCode,
} from '../src';
import { documentedErrorCodes } from '../src/testing';

describe('the kit errors', () => {
  it('documents every code in the README, and only those', () => {
    expect(documentedErrorCodes(join(__dirname, '../README.md'))).toEqual(
      Object.values(ServiceKitErrorCode),
    );
  });

  it('has unique codes that all start with SVC_ERR_', () => {
    const codes = Object.values(ServiceKitErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^SVC_ERR_[A-Z_]+$/);
  });
});

describe('ServiceError', () => {
  const AppErrorCode = { Upstream: 'APP_ERR_UPSTREAM', State: 'APP_ERR_STATE' } as const;
  type AppErrorCode = (typeof AppErrorCode)[keyof typeof AppErrorCode];
  class AppError extends ServiceError<AppErrorCode> {}
  class UpstreamError extends AppError {
    constructor(readonly status: number) {
      super(AppErrorCode.Upstream, `upstream answered ${status}`, { details: { status } });
    }
  }

  it('carries a stable code, the message, the cause, details, and the subclass name', () => {
    const cause = new Error('socket hang up');
    const error = new AppError(AppErrorCode.State, 'already started', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toMatchObject({
      name: 'AppError',
      code: 'APP_ERR_STATE',
      message: 'already started',
      cause,
    });
    expect(error.details).toBeUndefined();
    const upstream = new UpstreamError(503);
    expect(upstream.name).toBe('UpstreamError');
    expect(upstream).toBeInstanceOf(AppError);
    expect(JSON.parse(JSON.stringify(upstream))).toEqual({
      name: 'UpstreamError',
      code: 'APP_ERR_UPSTREAM',
      message: 'upstream answered 503',
      details: { status: 503 },
    });
  });

  it('gives the kit errors their codes', () => {
    const config = new ConfigError([
      { variable: 'PORT', reason: 'must be a whole number (got "x")' },
      { variable: 'API_KEY', reason: 'is required' },
    ]);
    expect(config).toBeInstanceOf(ServiceError);
    expect(config).toMatchObject({
      name: 'ConfigError',
      code: 'SVC_ERR_CONFIG',
      message:
        'invalid configuration: PORT: must be a whole number (got "x"); API_KEY: is required',
      details: { variables: ['PORT', 'API_KEY'] },
    });
    const kit = new ServiceKitError(ServiceKitErrorCode.DotEnv, 'cannot read .env');
    expect(kit).toMatchObject({ name: 'ServiceKitError', code: 'SVC_ERR_DOTENV' });
  });

  it('describes anything thrown in one safe line', () => {
    expect(describeError(new Error('x'))).toBe('x');
    expect(describeError(42)).toBe('42');
  });
});

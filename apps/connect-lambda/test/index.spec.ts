import { rejectionOf } from './support/helpers';

function loadHandlerWith(env: Record<string, string>) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let handler: ((event: unknown) => Promise<unknown>) | undefined;
    jest.isolateModules(() => {
      ({ handler } = require('../src/index') as { handler: (event: unknown) => Promise<unknown> });
    });
    return handler as (event: unknown) => Promise<unknown>;
  } finally {
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
}

describe('the exported handler', () => {
  it('reports a broken configuration on every invocation instead of crashing the import', async () => {
    const handler = loadHandlerWith({ HTTP_CLIENT_TIMEOUT: 'soon' });
    const first = await rejectionOf(handler({}));
    const second = await rejectionOf(handler({}));
    expect(first.name).toBe('ConfigError');
    expect(first['code']).toBe('CONNECT_LAMBDA_ERR_CONFIG');
    expect(first.message).toContain('HTTP_CLIENT_TIMEOUT must be a duration');
    expect(second.message).toBe(first.message);
  });

  it('validates invocations with the upstream messages', async () => {
    const handler = loadHandlerWith({ LOG_LEVEL: 'silent' });
    const err = await rejectionOf(handler({ Details: { ContactData: {}, Parameters: {} } }));
    expect(err.message).toBe('region is required');
  });
});

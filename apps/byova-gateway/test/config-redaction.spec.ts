// No secret reaches the dashboard's configuration view (/api/config): every value under a key that
// names a secret is redacted whatever its type, the key names are matched in snake, kebab or camel
// case, URLs lose their user information, and plug-in connector entries get the same treatment as
// the built-in ones.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../src/config';
import { dashboardData, type DashboardSources } from '../src/lib/dashboard/data';
import { REDACTED, isSecretKey, redactSecrets } from '../src/lib/security';
import { startGateway, testConfig } from './helpers/gateway';
import { readmeConnector } from './helpers/plugins';

describe('redactSecrets', () => {
  it('redacts numbers, booleans, objects and arrays under a secret key, not only strings', () => {
    expect(
      redactSecrets({
        password: 123456,
        api_key: 987654321,
        client_secret: true,
        credentials: { user: 'svc', pass: 'p' },
        tokens: ['t1', 't2'],
        private_key: ['-----BEGIN PRIVATE KEY-----', 42],
        host: 'db.internal',
        port: 5432,
      }),
    ).toEqual({
      password: REDACTED,
      api_key: REDACTED,
      client_secret: REDACTED,
      credentials: REDACTED,
      tokens: REDACTED,
      private_key: REDACTED,
      host: 'db.internal',
      port: 5432,
    });
  });

  it('finds secrets at any depth, inside objects and arrays of objects', () => {
    expect(
      redactSecrets({
        connectors: {
          crm: {
            config: {
              backends: [
                { name: 'a', password: 1 },
                { name: 'b', options: { dsn: 'postgres://db/x', retries: 3 } },
              ],
            },
          },
        },
      }),
    ).toEqual({
      connectors: {
        crm: {
          config: {
            backends: [
              { name: 'a', password: REDACTED },
              { name: 'b', options: { dsn: REDACTED, retries: 3 } },
            ],
          },
        },
      },
    });
  });

  it.each([
    'service_account_key',
    'client_key',
    'private_key',
    'dsn',
    'sentry_dsn',
    'credentials',
    'connection_string',
    'connectionString',
    'conn_str',
    'privateKey',
    'apiKey',
    'APIKey',
    'x-api-key',
    'aws_secret_access_key',
    'aws_session_token',
    'db_pwd',
    'passphrase',
    'basic_auth',
    'openai_key',
    'key',
    'Set-Cookie',
    'authorization',
  ])('treats %s as a secret key', (key) => {
    expect(isSecretKey(key)).toBe(true);
    expect(redactSecrets({ [key]: 7 })).toEqual({ [key]: REDACTED });
  });

  it.each([
    'token_env',
    'client_secret_env',
    'secret_key_env',
    'tokenEnv',
    'authentication',
    'region_name',
    'bot_alias_id',
    'endpoint',
    'ids_name',
    'monkey',
  ])('shows %s (not a secret, or the name of an environment variable)', (key) => {
    expect(isSecretKey(key)).toBe(false);
    expect(redactSecrets({ [key]: 'shown' })).toEqual({ [key]: 'shown' });
  });

  it('keeps null and unset secrets as they are, so an unset value stays visible as unset', () => {
    expect(redactSecrets({ password: null, token: undefined })).toEqual({
      password: null,
      token: undefined,
    });
  });

  it('removes the user information of a URL under any key', () => {
    expect(
      redactSecrets({
        database_url: 'postgres://app:hunter2@db:5432/x',
        endpoints: ['redis://:pw@cache:6379', 'https://example.com/a@b'],
        plain: 'user@example.com',
      }),
    ).toEqual({
      database_url: `postgres://${REDACTED}@db:5432/x`,
      endpoints: [`redis://${REDACTED}@cache:6379`, 'https://example.com/a@b'],
      plain: 'user@example.com',
    });
  });
});

describe('the dashboard configuration data', () => {
  it('redacts plug-in connector entries exactly like built-in ones', () => {
    const config = testConfig({
      connectors: {
        vendor: {
          module: './vendor-connector.js',
          class: 'VendorConnector',
          config: {
            endpoint: 'https://vendor.example.com',
            password: 123456,
            service_account_key: { type: 'service_account', private_key_id: 'abc' },
            nested: { clientKey: 'k', timeout_ms: 2500 },
          },
        },
      },
    });
    const sources = {
      config,
      usable: () => [],
      grpcPort: () => 50051,
    } as unknown as DashboardSources;
    const view = dashboardData(sources).config() as {
      connector_config: Record<string, { module: string; config: Record<string, unknown> }>;
    };
    expect(view.connector_config['vendor']).toEqual({
      module: './vendor-connector.js',
      class: 'VendorConnector',
      config: {
        endpoint: 'https://vendor.example.com',
        password: REDACTED,
        service_account_key: REDACTED,
        nested: { clientKey: REDACTED, timeout_ms: 2500 },
      },
    });
  });
});

describe('GET /api/config', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'byova-redaction-'));
    writeFileSync(join(dir, 'echo-connector.js'), readmeConnector());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows a running plug-in connector’s configuration without any of its secrets', async () => {
    const pluginConfig = parseConfig(
      {
        connectors: {
          echo: {
            module: './echo-connector.js',
            class: 'EchoConnector',
            config: {
              greeting: 'Hello from the echo agent.',
              password: 123456,
              pin_enabled: true,
              service_account_key: { type: 'service_account', private_key: 'SECRET-1' },
              client_key: 'SECRET-2',
              private_key: ['SECRET-3'],
              dsn: 'https://SECRET-4@sentry.example.com/1',
              credentials: { user: 'svc', secret: 'SECRET-5' },
              connection_string: 'Server=db;Password=SECRET-6',
              database_url: 'postgres://app:SECRET-7@db:5432/x',
              limits: { apiKey: 987654321, timeout_ms: 2500 },
            },
          },
        },
      },
      {},
      dir,
    );
    const base = testConfig();
    const gw = await startGateway({ ...base, connectors: pluginConfig.connectors, baseDir: dir });
    try {
      const response = await fetch(`${gw.httpUrl}/api/config`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).not.toMatch(/SECRET|123456|987654321/);
      const view = JSON.parse(text) as {
        connector_config: { echo: { config: Record<string, unknown> } };
      };
      expect(view.connector_config.echo.config).toEqual({
        greeting: 'Hello from the echo agent.',
        password: REDACTED,
        pin_enabled: true,
        service_account_key: REDACTED,
        client_key: REDACTED,
        private_key: REDACTED,
        dsn: REDACTED,
        credentials: REDACTED,
        connection_string: REDACTED,
        database_url: `postgres://${REDACTED}@db:5432/x`,
        limits: { apiKey: REDACTED, timeout_ms: 2500 },
      });
    } finally {
      await gw.stop();
    }
  });
});

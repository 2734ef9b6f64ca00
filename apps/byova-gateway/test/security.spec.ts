// Issue 15 (10): no unauthenticated listener on a non-loopback address unless
// BYOVA_ALLOW_INSECURE=true (with a loud warning), and no secret in the dashboard's config view.
// Also BYOVA_CONFIG_YAML, the deployment's way to pass the configuration.

import { join } from 'node:path';
import { createLogger } from '@org/service-kit';
import { captureLogs } from '@org/service-kit/testing';
import pino from 'pino';
import { createGateway } from '../src/app';
import { loadConfig, parseConfig } from '../src/config';
import { GatewayError } from '../src/lib/errors';
import { checkExposure, isLoopback, unauthenticatedListeners } from '../src/lib/security';
import { APP_DIR, startGateway, testConfig } from './helpers/gateway';

const JWT_ON = {
  enabled: true,
  enforce_validation: true,
  datasource_url: 'https://byova.example.com/',
};

describe('refusing to start exposed without authentication', () => {
  it('refuses gRPC on 0.0.0.0 with JWT validation off, naming the listener and the way out', async () => {
    const gateway = createGateway(
      testConfig({ gateway: { host: '0.0.0.0' }, monitoring: { enabled: false } }),
      { logger: pino({ level: 'silent' }) },
    );
    const started = gateway.start();
    await expect(started).rejects.toThrow(GatewayError);
    await expect(started).rejects.toMatchObject({ code: 'BYOVA_GW_ERR_INSECURE' });
    await expect(started).rejects.toThrow(
      /gRPC on 0\.0\.0\.0:0 without enforced JWT validation[\s\S]*BYOVA_ALLOW_INSECURE=true/,
    );
  });

  it('refuses an open dashboard on a non-loopback address even when gRPC is loopback-only', async () => {
    const gateway = createGateway(testConfig({ monitoring: { host: '0.0.0.0' } }), {
      logger: pino({ level: 'silent' }),
    });
    await expect(gateway.start()).rejects.toThrow(/dashboard on 0\.0\.0\.0:0 without login/);
  });

  it('counts JWT validation that only logs (enforce_validation false) as off', () => {
    const lenient = testConfig({
      gateway: { host: '10.0.0.5' },
      jwt_validation: { ...JWT_ON, enforce_validation: false },
      monitoring: { enabled: false },
    });
    expect(unauthenticatedListeners(lenient)).toHaveLength(1);
  });

  it('accepts non-loopback listeners that authenticate', () => {
    const secured = testConfig({
      gateway: { host: '0.0.0.0' },
      jwt_validation: JWT_ON,
      monitoring: { host: '0.0.0.0' },
      authentication: { enabled: true },
    });
    expect(unauthenticatedListeners(secured)).toEqual([]);
    expect(unauthenticatedListeners(testConfig())).toEqual([]);
  });

  it('starts anyway with BYOVA_ALLOW_INSECURE=true, with a loud warning per exposed listener', () => {
    const config = parseConfig(
      {
        gateway: { host: '0.0.0.0' },
        monitoring: { host: '0.0.0.0' },
        logging: { level: 'silent' },
      },
      { BYOVA_ALLOW_INSECURE: 'true' },
      APP_DIR,
    );
    expect(config.allowInsecure).toBe(true);
    const logs = captureLogs();
    const logger = createLogger({
      service: 'byova-gateway',
      level: 'info',
      destination: logs.destination,
    });
    checkExposure(config, config.allowInsecure, logger);
    const warnings = logs.lines.filter((l) => l.level === 'warn');
    expect(warnings.map((w) => w.msg)).toEqual([
      expect.stringMatching(/^INSECURE: gRPC on 0\.0\.0\.0:50051/),
      expect.stringMatching(/^INSECURE: dashboard on 0\.0\.0\.0:8080/),
    ]);
  });

  it('takes only true or false for BYOVA_ALLOW_INSECURE and knows loopback addresses', () => {
    expect(() => parseConfig({}, { BYOVA_ALLOW_INSECURE: 'yes please' }, '.')).toThrow(
      /BYOVA_ALLOW_INSECURE/,
    );
    expect(parseConfig({}, {}, '.').allowInsecure).toBe(false);
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '::', '10.1.2.3', 'example.com'].some(isLoopback)).toBe(false);
  });
});

describe('the dashboard configuration view', () => {
  it('shows the connector configuration with every secret redacted', async () => {
    const gw = await startGateway(
      testConfig({
        connectors: {
          local_audio_connector: {
            type: 'local_audio_connector',
            config: { audio_base_path: 'assets/prompts' },
          },
          lex: {
            type: 'aws_lex_connector',
            config: {
              region_name: 'us-east-1',
              bot_id: 'BOT',
              bot_alias_id: 'ALIAS',
              endpoint: 'http://127.0.0.1:9',
              session_attributes: { crm_api_token: 'tok-SECRET-1', tier: 'gold' },
            },
          },
        },
      }),
    );
    try {
      const text = await (await fetch(`${gw.httpUrl}/api/config`)).text();
      expect(text).not.toContain('SECRET');
      const view = JSON.parse(text) as {
        connector_config: Record<string, { config: Record<string, unknown> }>;
      };
      expect(view.connector_config['lex']?.config['session_attributes']).toEqual({
        crm_api_token: '[redacted]',
        tier: 'gold',
      });
      expect(view.connector_config['lex']?.config['region_name']).toBe('us-east-1');
    } finally {
      await gw.stop();
    }
  });
});

describe('BYOVA_CONFIG_YAML', () => {
  it('takes precedence over the file, and relative paths still start at the file’s folder', () => {
    const file = join(APP_DIR, 'config/default.yaml');
    const config = loadConfig(file, {
      BYOVA_CONFIG_YAML:
        'gateway:\n  port: 6001\nconnectors:\n  local:\n    type: local_audio_connector\n',
    });
    expect(config.gateway.port).toBe(6001);
    expect(Object.keys(config.connectors)).toEqual(['local']);
    expect(config.baseDir).toBe(join(APP_DIR, 'config'));
  });

  it('needs no file and reports bad YAML by its name', () => {
    const missing = join(APP_DIR, 'config/none.yaml');
    expect(loadConfig(missing, { BYOVA_CONFIG_YAML: 'gateway: { port: 6002 }' }).gateway.port).toBe(
      6002,
    );
    expect(() => loadConfig(missing, { BYOVA_CONFIG_YAML: 'gateway: [' })).toThrow(
      /\$BYOVA_CONFIG_YAML is not valid YAML/,
    );
    // An empty value counts as unset: the file is read.
    expect(() => loadConfig(missing, { BYOVA_CONFIG_YAML: '  ' })).toThrow(/cannot read/);
  });
});

// APP_SETTINGS: the shared parameter and its refusals (secrets by name, URLs with credentials),
// which never echo a value.

import { z } from 'zod';
import {
  appSettingsParam,
  appSettingsProblems,
  InfraErrorCode,
  readStackParameters,
  secretSettings,
} from '../src';

const rules = {
  refused: {
    ...secretSettings(['API_TOKEN', 'CLIENT_SECRET'], 'name it in APP_SECRETS'),
    TABLE: 'set by the stack (the table it creates)',
  },
};

describe('appSettingsProblems', () => {
  it('accepts plain settings', () => {
    expect(
      appSettingsProblems({ LOG_LEVEL: 'debug', ENDPOINT: 'https://api.example.com/v1' }, rules),
    ).toEqual([]);
  });

  it('refuses each secret setting by name, says why and where it goes instead, and never echoes the value', () => {
    const problems = appSettingsProblems(
      { LOG_LEVEL: 'debug', API_TOKEN: 'hunter2', CLIENT_SECRET: 'hunter3', TABLE: 't' },
      rules,
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^API_TOKEN cannot be in APP_SETTINGS: it is a secret, and APP_SETTINGS become plain-text environment variables .*; name it in APP_SECRETS$/,
      ),
      expect.stringMatching(/^CLIENT_SECRET cannot be in APP_SETTINGS: it is a secret/),
      'TABLE cannot be in APP_SETTINGS: set by the stack (the table it creates)',
    ]);
    expect(problems.join('\n')).not.toMatch(/hunter/);
  });

  it('refuses AWS credentials and OpenTelemetry exporter headers for every app, even with no rules', () => {
    const problems = appSettingsProblems(
      {
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'hunter2',
        AWS_SESSION_TOKEN: 'hunter3',
        AWS_REGION: 'eu-west-1',
        OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer hunter4',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'authorization=Bearer hunter5',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com',
      },
      { refused: {} },
    );
    expect(problems).toEqual([
      expect.stringMatching(
        /^AWS_ACCESS_KEY_ID cannot be in APP_SETTINGS: AWS credentials .* role/,
      ),
      expect.stringMatching(/^AWS_SECRET_ACCESS_KEY cannot be in APP_SETTINGS: AWS credentials/),
      expect.stringMatching(/^AWS_SESSION_TOKEN cannot be in APP_SETTINGS: AWS credentials/),
      expect.stringMatching(
        /^OTEL_EXPORTER_OTLP_HEADERS cannot be in APP_SETTINGS: exporter headers/,
      ),
      expect.stringMatching(/^OTEL_EXPORTER_OTLP_TRACES_HEADERS cannot be in APP_SETTINGS/),
    ]);
    expect(problems.join('\n')).not.toMatch(/hunter|AKIAEXAMPLE/);
  });

  it('refuses any URL with credentials, whatever its name, without echoing them', () => {
    const problems = appSettingsProblems(
      {
        ELASTIC_URL: 'https://elastic:hunter2@search.example.com',
        OTHER_URL: 'https://token@h.example.com',
        PLAIN: 'user:password@not-a-url',
      },
      { ...rules, urlCredentials: 'put them in ELASTIC_AUTH' },
    );
    expect(problems).toEqual([
      'ELASTIC_URL in APP_SETTINGS is a URL with credentials (user:password@), which would be a plain-text environment variable; put them in ELASTIC_AUTH',
      expect.stringMatching(/^OTHER_URL in APP_SETTINGS is a URL with credentials/),
    ]);
    expect(problems.join('\n')).not.toMatch(/hunter2|token@/);
  });
});

describe('appSettingsParam', () => {
  const schema = z.object({ APP_SETTINGS: appSettingsParam(rules) });

  it('reads a JSON object of strings, {} when unset', () => {
    expect(readStackParameters(schema, {}).APP_SETTINGS).toEqual({});
    expect(readStackParameters(schema, { APP_SETTINGS: '{"LOG_LEVEL":"debug"}' })).toEqual({
      APP_SETTINGS: { LOG_LEVEL: 'debug' },
    });
    expect(() => readStackParameters(schema, { APP_SETTINGS: '{"N":1}' })).toThrow(
      /APP_SETTINGS: expected a JSON object of string values/,
    );
  });

  it('fails synthesis with a parameters error listing every refused setting', () => {
    const read = () =>
      readStackParameters(schema, {
        APP_SETTINGS: '{"API_TOKEN":"hunter2","U":"https://a:hunter2@h.example.com"}',
      });
    expect(read).toThrow(/APP_SETTINGS: API_TOKEN cannot be in APP_SETTINGS/);
    expect(read).toThrow(/APP_SETTINGS: U in APP_SETTINGS is a URL with credentials/);
    expect(read).not.toThrow(/hunter2/);
    expect(read).toThrow(expect.objectContaining({ code: InfraErrorCode.Parameters }));
  });
});

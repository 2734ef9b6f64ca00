import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnvValue, loadConfig } from '../src/config';
import { CollectorError } from '../src/lib/errors';
import { resolveGenesysEnv } from '../src/lib/regions';

const required = { GENESYS_CLIENT_ID: 'id', GENESYS_CLIENT_SECRET: 'secret' };

function parseDotEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) out[m[1] ?? ''] = m[2] ?? '';
  }
  return out;
}

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(CollectorError);
    expect((err as CollectorError).code).toBe('COLLECTOR_ERR_CONFIG');
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('reads the Python collector .env (inline comments, quotes, blanks) with its defaults', () => {
    const env = parseDotEnv(readFileSync(join(__dirname, 'fixtures/legacy.env'), 'utf8'));
    const c = loadConfig(env);
    expect(c.genesys).toMatchObject({
      env: 'usw2.pure.cloud',
      loginBaseUrl: 'https://login.usw2.pure.cloud',
      apiBaseUrl: 'https://api.usw2.pure.cloud',
      clientId: 'your-client-id',
      clientSecret: 'your-client-secret',
      subscribeIgnoreErrors: true,
      heartbeatTimeoutMs: 65_000,
      channelRefreshAgeMs: 23 * 3_600_000,
    });
    expect(c.output).toEqual({
      file: './audiohook_events.jsonl',
      maxFileSize: 10485760,
      backupCount: 5,
      queueMax: 10_000,
      checkpointFile: './audiohook_events.jsonl.checkpoint',
      checkpointIntervalMs: 1000,
    });
    expect(c.backfill).toEqual({
      enabled: true,
      marginMs: 60_000,
      maxAgeMs: 240 * 3_600_000,
      maxLagMs: 300_000,
    });
    expect(c.http).toEqual({ host: '0.0.0.0', port: 8077 });
    expect(c.elastic).toBeUndefined();
    expect(c.topics).toMatchObject({ file: './topics.json', fileExplicit: true, discover: true });
  });

  it('accepts the shipped .env.example as it is', () => {
    const env = parseDotEnv(readFileSync(join(__dirname, '../.env.example'), 'utf8'));
    const c = loadConfig(env);
    expect(c.elastic).toBeUndefined();
    expect(c.topics.override).toBeUndefined();
    expect(c.log).toEqual({ level: 'info', consoleEvents: true });
  });

  it('accepts a region key and resolves it to the environment domain', () => {
    expect(loadConfig({ ...required, GENESYS_ENV: 'eu-central-1' }).genesys.apiBaseUrl).toBe(
      'https://api.mypurecloud.de',
    );
    expect(resolveGenesysEnv('MYPURECLOUD.COM.AU')).toBe('mypurecloud.com.au');
  });

  it('refuses an environment outside the allow-list, so credentials never go to an arbitrary host', () => {
    expect(configError({ ...required, GENESYS_ENV: 'evil.example.com' })).toContain('GENESYS_ENV');
  });

  it('names every missing or invalid variable in one start-up error, without echoing secrets', () => {
    const msg = configError({
      GENESYS_CLIENT_SECRET: 'hunter2',
      MAX_FILE_SIZE: '10MB',
      HTTP_PORT: '99999',
      CONSOLE_OUTPUT: 'maybe',
    });
    expect(msg).toContain('GENESYS_CLIENT_ID is required');
    expect(msg).toContain('MAX_FILE_SIZE must be a whole number (got "10MB")');
    expect(msg).toContain('HTTP_PORT must be at most 65535');
    expect(msg).toContain('CONSOLE_OUTPUT must be true, false, 1, 0, yes, no, y, n, on or off');
    expect(msg).not.toContain('hunter2');
  });

  it('allows plain-http base URLs only towards loopback', () => {
    expect(
      loadConfig({ ...required, GENESYS_API_BASE_URL: 'http://127.0.0.1:9000/' }).genesys
        .apiBaseUrl,
    ).toBe('http://127.0.0.1:9000');
    expect(
      configError({ ...required, GENESYS_LOGIN_BASE_URL: 'http://login.example.com' }),
    ).toContain('GENESYS_LOGIN_BASE_URL must be https://');
  });

  it('refuses credentials (user:password@) in the Genesys base URLs instead of only redacting them, echoing neither them nor the URL in clear', () => {
    for (const variable of ['GENESYS_API_BASE_URL', 'GENESYS_LOGIN_BASE_URL']) {
      for (const url of [
        'https://svc:hunter2@api.example.com',
        'http://svc:hunter2@127.0.0.1:9000',
        'https://hunter2@login.example.com/',
      ]) {
        const msg = configError({ ...required, [variable]: url });
        expect(msg).toContain(`${variable} must not contain credentials (user:password@)`);
        expect(msg).toContain('GENESYS_CLIENT_ID and GENESYS_CLIENT_SECRET');
        expect(msg).not.toContain('hunter2');
      }
    }
    // Other refusals of these URLs show them redacted too, never their credentials.
    const msg = configError({
      ...required,
      GENESYS_API_BASE_URL: 'http://u:hunter2@api.example.com',
    });
    expect(msg).toContain('GENESYS_API_BASE_URL must be https://');
    expect(msg).toContain('(got "http://api.example.com")');
    expect(msg).not.toContain('hunter2');
  });

  it('refuses a query string or fragment in the Genesys base URLs, which request paths are appended to', () => {
    expect(
      configError({ ...required, GENESYS_API_BASE_URL: 'https://api.example.com/?org=1' }),
    ).toContain('GENESYS_API_BASE_URL must not contain a query string or fragment');
    expect(
      configError({ ...required, GENESYS_LOGIN_BASE_URL: 'https://login.example.com#x' }),
    ).toContain('GENESYS_LOGIN_BASE_URL must not contain a query string or fragment');
  });

  it('refuses an ELASTIC_URL with a query string or fragment (the sink appends /_bulk to it), without echoing it', () => {
    for (const url of [
      'https://es.example.com:9200/?api_key=c2VjcmV0a2V5',
      'https://es.example.com:9200/prefix?',
      'https://es.example.com:9200#c2VjcmV0a2V5',
      'https://elastic:c2VjcmV0a2V5@es.example.com/?x=1',
    ]) {
      const msg = configError({ ...required, ELASTIC_URL: url });
      expect(msg).toContain('ELASTIC_URL must not contain a query string or fragment');
      expect(msg).not.toContain('c2VjcmV0a2V5');
    }
  });

  it('bounds the Elasticsearch memory by size as well: ELASTIC_QUEUE_MAX_BYTES, 64 Mi by default', () => {
    const base = { ...required, ELASTIC_URL: 'https://es:9200/' };
    expect(loadConfig(base).elastic?.queueMaxBytes).toBe(64 * 1024 * 1024);
    expect(loadConfig({ ...base, ELASTIC_QUEUE_MAX_BYTES: '1048576' }).elastic?.queueMaxBytes).toBe(
      1048576,
    );
    expect(configError({ ...base, ELASTIC_QUEUE_MAX_BYTES: '10' })).toContain(
      'ELASTIC_QUEUE_MAX_BYTES',
    );
  });

  it('builds the Elasticsearch settings, with spool and dead-letter files beside the output', () => {
    const c = loadConfig({
      ...required,
      ELASTIC_URL: 'https://es:9200/',
      ELASTIC_AUTH: 'u:p',
      OUTPUT_FILE: '/data/out.jsonl',
    });
    expect(c.elastic).toMatchObject({
      url: 'https://es:9200',
      authorization: `Basic ${Buffer.from('u:p').toString('base64')}`,
      index: 'genesys-audiohook',
      bulkSize: 50,
      spoolFile: '/data/elastic-spool.jsonl',
      deadLetterFile: '/data/elastic-dead-letter.jsonl',
    });
    expect(
      configError({ ...required, ELASTIC_URL: 'https://es', ELASTIC_INDEX: 'Bad Index' }),
    ).toContain('ELASTIC_INDEX');
  });

  it('moves credentials in ELASTIC_URL into a Basic Authorization header and cleans the URL', () => {
    const c = loadConfig({
      ...required,
      ELASTIC_URL: 'https://elastic:p%40ss%3Aw0rd%2F%20x@es.example.com:9200/prefix/',
    });
    expect(c.elastic?.url).toBe('https://es.example.com:9200/prefix');
    expect(c.elastic?.authorization).toBe(
      `Basic ${Buffer.from('elastic:p@ss:w0rd/ x').toString('base64')}`,
    );
    // A user name alone is still Basic, with an empty password.
    expect(loadConfig({ ...required, ELASTIC_URL: 'https://svc@es' }).elastic).toMatchObject({
      url: 'https://es',
      authorization: `Basic ${Buffer.from('svc:').toString('base64')}`,
    });
  });

  it('refuses credentials in ELASTIC_URL together with ELASTIC_AUTH, naming both and echoing neither', () => {
    const msg = configError({
      ...required,
      ELASTIC_URL: 'https://elastic:hunter2@es.example.com:9200',
      ELASTIC_AUTH: 'ApiKey c2VjcmV0a2V5',
    });
    expect(msg).toContain('ELASTIC_URL');
    expect(msg).toContain('ELASTIC_AUTH');
    expect(msg).not.toContain('hunter2');
    expect(msg).not.toContain('c2VjcmV0a2V5');
  });

  it('reports credentials in ELASTIC_URL that are not valid percent-encoding, without echoing them', () => {
    const msg = configError({ ...required, ELASTIC_URL: 'https://elastic:hunter2%zz@es' });
    expect(msg).toContain('ELASTIC_URL contains credentials that are not valid percent-encoding');
    expect(msg).not.toContain('hunter2');
  });

  it('accepts the legacy collector.py names as fallbacks', () => {
    const c = loadConfig({
      ...required,
      ELASTIC_URL: 'http://es:9200',
      BULK_MAX_DOCS: '200',
      BULK_MAX_SECONDS: '5',
      HTTP_STATUS_PORT: '9000',
    });
    expect(c.elastic?.bulkSize).toBe(200);
    expect(c.elastic?.flushIntervalMs).toBe(5000);
    expect(c.http.port).toBe(9000);
  });

  it('builds the lease settings from LEASE_TABLE, with defaults that take over within 30 s', () => {
    expect(loadConfig(required).lease).toBeUndefined();
    expect(
      loadConfig({ ...required, LEASE_TABLE: 'leases', AWS_DEFAULT_REGION: 'eu-west-1' }).lease,
    ).toEqual({
      table: 'leases',
      key: 'event-collector/lease/default',
      durationMs: 15_000,
      renewEveryMs: 5000,
      pollEveryMs: 2000,
      region: 'eu-west-1',
      endpoint: undefined,
    });
    expect(configError({ ...required, LEASE_TABLE: 'leases' })).toContain(
      'AWS_REGION is required with LEASE_TABLE',
    );
    expect(
      configError({ ...required, LEASE_TABLE: 't', AWS_REGION: 'x', LEASE_RENEW_S: '10' }),
    ).toContain('LEASE_RENEW_S must be at most half of LEASE_DURATION_S');
    expect(configError({ ...required, LEASE_NAME: 'a/b' })).toContain('LEASE_NAME');
  });

  it('parses TOPICS, AUDIOHOOK_MATCH and the switches', () => {
    const c = loadConfig({
      ...required,
      TOPICS: ' AUDIOHOOK-0001 , v2.operations.events.AUDIOHOOK-0002 ',
      AUDIOHOOK_MATCH: 'name,id-prefix',
      WRITE_ALL_EVENTS: 'yes',
      TIMESTAMP_SOURCE: 'event',
      BACKFILL_ENABLED: 'off',
    });
    expect(c.topics.override).toEqual(['AUDIOHOOK-0001', 'v2.operations.events.AUDIOHOOK-0002']);
    expect(c.events).toMatchObject({
      match: ['name', 'id-prefix'],
      writeAll: true,
      timestampSource: 'event',
    });
    expect(c.backfill.enabled).toBe(false);
    expect(configError({ ...required, AUDIOHOOK_MATCH: 'id-prefix,guess' })).toContain(
      'unknown matcher(s) guess',
    );
  });

  it('accepts in TOPICS only operational-event topics and bare definition ids (a UUID-style id too)', () => {
    const uuidTopic = 'v2.operations.events.0f8f91f9-a27d-4ddf-9026-7e1e3a8d73a6';
    expect(
      loadConfig({ ...required, TOPICS: `AUDIOHOOK-0012,${uuidTopic},,` }).topics.override,
    ).toEqual(['AUDIOHOOK-0012', uuidTopic]);
    expect(loadConfig({ ...required, TOPICS: ' , ' }).topics.override).toBeUndefined();
  });

  it('refuses TOPICS entries that are not operational-event topics, naming each with the reason', () => {
    const msg = configError({
      ...required,
      TOPICS:
        'AUDIOHOOK-0001,channel.metadata,v2.users.abc.presence,platform.integration.audiohook,v2.operations.events.{id},v2.operations.events.AUDIOHOOK-*',
    });
    expect(msg).toContain('TOPICS must list operational-event topics');
    expect(msg).toContain('"channel.metadata": system topics arrive without subscribing');
    expect(msg).toContain('"v2.users.abc.presence": not an operational-event topic');
    expect(msg).toContain('"platform.integration.audiohook": not an operational-event topic');
    expect(msg).toContain('"v2.operations.events.{id}": the part after v2.operations.events.');
    expect(msg).toContain('"v2.operations.events.AUDIOHOOK-*": the part after');
    expect(msg).not.toContain('"AUDIOHOOK-0001":');
  });

  it('refuses a TOPICS list longer than the 1000 topics a Genesys channel takes', () => {
    const many = Array.from({ length: 1001 }, (_, i) => `AUDIOHOOK-${i + 1}`).join(',');
    expect(configError({ ...required, TOPICS: many })).toContain(
      'lists 1001 topics; a Genesys channel takes at most 1000',
    );
  });
});

describe('cleanEnvValue', () => {
  it.each([
    ['  42  # comment', '42'],
    ['"quoted # not a comment"', 'quoted # not a comment'],
    ["'single'", 'single'],
    ['value#hash', 'value#hash'],
    ['   ', undefined],
    ['# only a comment', undefined],
  ])('cleans %j to %j', (raw, expected) => {
    expect(cleanEnvValue(raw)).toBe(expected);
  });
});
